// Kernel pseudo-filesystems (/proc, /sys, /dev and their kin) are not storage: writing there
// makes Node's recursive mkdir loop forever, walking /proc never ends (/proc/self/root is /),
// and reading a device blocks or never reaches end of file. Any path a user gives (a project,
// an import folder, an export folder, a file to predict, a plan) is checked here first, by its
// real location: a symlink into /proc is refused like /proc itself.
import fs from 'node:fs'
import path from 'node:path'
import { FsGuardError } from './fsErrors'

/** Folders whose whole subtree is a kernel interface on Linux (and /dev on macOS too). */
export const PSEUDO_FS_ROOTS: readonly string[] = ['/proc', '/sys', '/dev']

// statfs f_type magic numbers of kernel pseudo-filesystems (linux/magic.h): catches one mounted
// somewhere else (a bind mount of /proc in a container, a second sysfs). Not tmpfs: /tmp is one.
const PSEUDO_FS_MAGIC: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0xde5e81e4, 'efivarfs'],
  [0x65735543, 'fusectl'],
  [0x42494e4d, 'binfmt_misc'],
  [0x19800202, 'mqueue']
])

// Windows device namespaces and reserved names: "\\.\pipe\x", "COM1", "nul.txt" are devices.
const WIN_DEVICE_PREFIX = /^(\\\\|\/\/)[.?]([\\/]|$)/
const WIN_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i

function under(p: string, root: string): boolean {
  return p === root || p.startsWith(root + '/')
}

/** The pseudo-filesystem root a path lies in by its name alone, or null. */
function byName(p: string): string | null {
  if (process.platform === 'win32') {
    if (WIN_DEVICE_PREFIX.test(p)) return p.slice(0, 4)
    const device = p.split(/[\\/]/).find((part) => WIN_RESERVED.test(part))
    return device ?? null
  }
  return PSEUDO_FS_ROOTS.find((root) => under(p, root)) ?? null
}

/** The deepest part of `abs` that exists (lstat), made real, with the missing rest appended. */
export function realLocation(abs: string): { real: string; existing: string } {
  let existing = abs
  const rest: string[] = []
  for (;;) {
    try {
      fs.lstatSync(existing)
      break
    } catch {
      const parent = path.dirname(existing)
      if (parent === existing) break
      rest.unshift(path.basename(existing))
      existing = parent
    }
  }
  let real = existing
  try {
    real = fs.realpathSync.native(existing)
  } catch {
    // a dangling or looping link: its name is all we have; the caller's own open will say why
  }
  return { real: rest.length ? path.join(real, ...rest) : real, existing: real }
}

function fsTypeName(existing: string): string | null {
  if (process.platform !== 'linux' || typeof fs.statfsSync !== 'function') return null
  try {
    return PSEUDO_FS_MAGIC.get(Number(fs.statfsSync(existing).type)) ?? null
  } catch {
    return null
  }
}

/** Why `p` is a kernel pseudo-filesystem path ("/proc", "a sysfs mount"), or null when it is
 * ordinary storage. Looks at the name, the real location and the file system type. */
export function pseudoFsOf(p: string): string | null {
  const abs = path.resolve(p)
  const named = byName(abs)
  if (named) return named
  const { real, existing } = realLocation(abs)
  const resolved = byName(real)
  if (resolved) return resolved
  const type = fsTypeName(existing)
  return type ? `a ${type} mount` : null
}

/**
 * Throws PSEUDO_FS when `p` is under /proc, /sys, /dev (by name or by where its links lead) or on
 * a kernel pseudo-filesystem; returns the absolute path otherwise. `what` names the path in the
 * user's words: "the project folder", "the image", "--plan".
 */
export function refusePseudoFs(p: string, what: string): string {
  const abs = path.resolve(p)
  const why = pseudoFsOf(abs)
  if (why) {
    const where = why.startsWith('a ') ? `on ${why}` : `in ${why}`
    throw new FsGuardError('PSEUDO_FS', `${what} ${abs} is ${where}, the kernel's system interface, not storage; choose a place on a disk`)
  }
  return abs
}

/** pseudoFsOf for a path already made real (a folder walk has it): no sync calls, so a walk on
 * the UI's thread never blocks on it. */
export async function pseudoFsOfReal(real: string): Promise<string | null> {
  const named = byName(real)
  if (named) return named
  if (process.platform !== 'linux' || typeof fs.promises.statfs !== 'function') return null
  try {
    const type = PSEUDO_FS_MAGIC.get(Number((await fs.promises.statfs(real)).type))
    return type ? `a ${type} mount` : null
  } catch {
    return null
  }
}
