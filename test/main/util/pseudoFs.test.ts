import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { pseudoFsOf, pseudoFsOfReal, refusePseudoFs } from '../../../src/main/util/pseudoFs'
import { tempDir } from '../../helpers/tmp'

describe.skipIf(process.platform !== 'linux')('kernel pseudo-filesystems', () => {
  it('are found by name, existing or not', () => {
    expect(pseudoFsOf('/proc')).toBe('/proc')
    expect(pseudoFsOf('/proc/x/y')).toBe('/proc')
    expect(pseudoFsOf('/sys/kernel')).toBe('/sys')
    expect(pseudoFsOf('/dev/null')).toBe('/dev')
    expect(pseudoFsOf('/dev/../proc/1')).toBe('/proc')
  })

  it('are found through links, also below a link and past its end', () => {
    const dir = tempDir()
    fs.symlinkSync('/proc', path.join(dir, 'kernel'))
    expect(pseudoFsOf(path.join(dir, 'kernel'))).toBe('/proc')
    expect(pseudoFsOf(path.join(dir, 'kernel/self/new/folder'))).toBe('/proc')
    fs.symlinkSync('/sys/kernel', path.join(dir, 'k2'))
    expect(pseudoFsOf(path.join(dir, 'k2', 'x'))).toBe('/sys')
  })

  it('leave ordinary folders alone, including look-alike names', () => {
    const dir = tempDir()
    expect(pseudoFsOf(dir)).toBeNull()
    expect(pseudoFsOf(path.join(dir, 'proc', 'not', 'there'))).toBeNull()
    expect(pseudoFsOf('/procedures/x')).toBeNull()
    expect(pseudoFsOf('/devices')).toBeNull()
  })

  it('know a pseudo-filesystem by its type from a real path', async () => {
    expect(await pseudoFsOfReal('/proc/self')).toBe('/proc')
    expect(await pseudoFsOfReal(tempDir())).toBeNull()
  })

  it('are refused with the path in the user words, ordinary paths come back absolute', () => {
    expect(() => refusePseudoFs('/proc/x', 'the project folder')).toThrow(
      expect.objectContaining({ code: 'PSEUDO_FS', message: "the project folder /proc/x is in /proc, the kernel's system interface, not storage; choose a place on a disk" })
    )
    const dir = tempDir()
    expect(refusePseudoFs(path.relative(process.cwd(), dir), 'x')).toBe(dir)
  })
})
