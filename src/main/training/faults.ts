import { isMainThread } from 'node:worker_threads'

/**
 * Fault injection for the kill-and-resume tests, both set to "<stage>:<epoch>" (1-based, e.g.
 * "1:1") and acting right after that epoch's checkpoint is on disk, the one moment a test cannot
 * hit by timing a kill from outside. Unset (always, outside those tests) they do nothing.
 * - THAW_FAULT_KILL_AFTER_CHECKPOINT: the process SIGKILLs itself.
 * - THAW_FAULT_CRASH_WORKER_AFTER_CHECKPOINT: the engine worker thread ends itself (as a crashed
 *   worker would) and the process lives on. It ends here, between steps, because terminating a
 *   thread from outside while ONNX Runtime has a run in flight aborts the whole process.
 */
export function faultAfterCheckpoint(stageIndex: number, epoch: number): void {
  const at = `${stageIndex + 1}:${epoch}`
  if (process.env.THAW_FAULT_KILL_AFTER_CHECKPOINT === at) process.kill(process.pid, 'SIGKILL')
  if (process.env.THAW_FAULT_CRASH_WORKER_AFTER_CHECKPOINT === at && !isMainThread) process.exit(70)
}

/** A fault is set for this epoch: it is checkpointed whatever the checkpoint policy says, so the
 * fault acts after a checkpoint of the epoch it names. */
export function faultWantsCheckpoint(stageIndex: number, epoch: number): boolean {
  const at = `${stageIndex + 1}:${epoch}`
  return process.env.THAW_FAULT_KILL_AFTER_CHECKPOINT === at || process.env.THAW_FAULT_CRASH_WORKER_AFTER_CHECKPOINT === at
}
