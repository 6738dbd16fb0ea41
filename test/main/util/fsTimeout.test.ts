import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeDirs, makeDirsSync, withFsTimeout } from '../../../src/main/util/fsTimeout'
import { tempDir } from '../../helpers/tmp'

describe('withFsTimeout', () => {
  it('gives up on a call that never returns, and hands a late result to its owner', async () => {
    let settle: (v: string) => void = () => undefined
    const never = new Promise<string>((resolve) => (settle = resolve))
    const late: string[] = []
    await expect(withFsTimeout(never, 'opening /mnt/share/x', 20, (v) => late.push(v))).rejects.toMatchObject({
      code: 'FS_TIMEOUT',
      message: 'opening /mnt/share/x did not answer within 20 ms (a disconnected drive or network share?)'
    })
    settle('handle')
    await new Promise((r) => setImmediate(r))
    expect(late).toEqual(['handle'])
  })

  it('passes results and errors through', async () => {
    expect(await withFsTimeout(Promise.resolve(3), 'x', 1000)).toBe(3)
    await expect(withFsTimeout(Promise.reject(Object.assign(new Error('no'), { code: 'EACCES' })), 'x', 1000)).rejects.toMatchObject({ code: 'EACCES' })
  })
})

describe.each([
  ['makeDirs', makeDirs],
  ['makeDirsSync', async (d: string, w: string) => makeDirsSync(d, w)]
] as const)('%s', (_name, make) => {
  it('makes every missing level and returns the first one it made', async () => {
    const root = tempDir()
    expect(await make(path.join(root, 'a/b/c'), 'the folder')).toBe(path.join(root, 'a'))
    expect(fs.statSync(path.join(root, 'a/b/c')).isDirectory()).toBe(true)
    expect(await make(path.join(root, 'a/b/c'), 'the folder')).toBeUndefined()
  })

  it('refuses /proc at once: Node\'s recursive mkdir loops forever there', async () => {
    await expect(make('/proc/thaw/x', 'the export folder')).rejects.toMatchObject({ code: 'PSEUDO_FS' })
    const root = tempDir()
    fs.symlinkSync('/proc', path.join(root, 'p'))
    await expect(make(path.join(root, 'p/thaw'), 'the export folder')).rejects.toMatchObject({ code: 'PSEUDO_FS' })
  })

  it('throws fs\'s own error for a level it cannot make', async () => {
    const root = tempDir()
    fs.writeFileSync(path.join(root, 'file'), 'x')
    await expect(make(path.join(root, 'file/sub'), 'the folder')).rejects.toMatchObject({ code: 'ENOTDIR' })
  })
})
