/**
 * Fault injection for the kill-and-resume tests: with THAW_FAULT_KILL_AFTER_CHECKPOINT set to
 * "<stage>:<epoch>" (1-based, e.g. "1:1"), the process SIGKILLs itself right after that
 * epoch's checkpoint is on disk, the one moment a test cannot hit by timing a kill from outside.
 * Unset (always, outside those tests) it does nothing.
 */
export function faultAfterCheckpoint(stageIndex: number, epoch: number): void {
  const at = process.env.THAW_FAULT_KILL_AFTER_CHECKPOINT
  if (at && at === `${stageIndex + 1}:${epoch}`) process.kill(process.pid, 'SIGKILL')
}
