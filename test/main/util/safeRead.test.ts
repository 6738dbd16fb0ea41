import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readRegularFile, readRegularFileSync, readRegularText } from '../../../src/main/util/safeRead'
import { tempDir } from '../../helpers/tmp'

const limit = { maxBytes: 1000, what: 'the file' }

/** Both readers, so each case holds for the async and the sync one. */
const readers = {
  async: (f: string, l = limit) => readRegularFile(f, l),
  sync: async (f: string, l = limit) => readRegularFileSync(f, l)
}

describe.each(Object.entries(readers))('read a user file (%s)', (_name, read) => {
  it('reads a regular file whole', async () => {
    const f = path.join(tempDir(), 'a.txt')
    fs.writeFileSync(f, 'hello')
    expect((await read(f)).toString()).toBe('hello')
    fs.writeFileSync(f, '')
    expect((await read(f)).length).toBe(0)
  })

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const f = path.join(tempDir(), 'pipe.jpg')
    execFileSync('mkfifo', [f])
    await expect(read(f)).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE', message: `the file ${f} is a pipe (FIFO), not a regular file` })
  })

  it('refuses /dev files and links to them by where they lead', async () => {
    await expect(read('/dev/zero')).rejects.toMatchObject({ code: 'PSEUDO_FS', message: expect.stringMatching(/^the file \/dev\/zero is in \/dev, the kernel's system interface/) })
    const link = path.join(tempDir(), 'zero.json')
    fs.symlinkSync('/dev/zero', link)
    await expect(read(link)).rejects.toMatchObject({ code: 'PSEUDO_FS' })
    const proc = path.join(tempDir(), 'status.json')
    fs.symlinkSync('/proc/self/status', proc)
    await expect(read(proc)).rejects.toMatchObject({ code: 'PSEUDO_FS' })
  })

  it('refuses a file over the limit, and reads one at the limit', async () => {
    const f = path.join(tempDir(), 'big.json')
    fs.writeFileSync(f, Buffer.alloc(1001))
    await expect(read(f)).rejects.toMatchObject({ code: 'FILE_TOO_LARGE', message: `the file ${f} is 2 kB, over the limit of 1 kB` })
    fs.writeFileSync(f, Buffer.alloc(1000))
    expect((await read(f)).length).toBe(1000)
  })

  it('says what is wrong with a folder, a missing file and an unreadable one', async () => {
    const dir = tempDir()
    await expect(read(dir)).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE' })
    await expect(read(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: `the file ${path.join(dir, 'nope')} does not exist` })
    if (process.getuid?.() !== 0) {
      const f = path.join(dir, 'secret')
      fs.writeFileSync(f, 'x', { mode: 0o000 })
      await expect(read(f)).rejects.toMatchObject({ code: 'UNREADABLE', message: expect.stringMatching(/permission denied$/) })
    }
  })
})

it('reads text as UTF-8', async () => {
  const f = path.join(tempDir(), 'plan.json')
  fs.writeFileSync(f, '{"name":"café"}')
  expect(await readRegularText(f, limit)).toBe('{"name":"café"}')
})

it('returns buffers that own their memory exactly, even small ones (TF.js reads .buffer)', async () => {
  const f = path.join(tempDir(), 'shard.bin')
  fs.writeFileSync(f, Buffer.from([1, 2, 3]))
  for (const b of [await readRegularFile(f, limit), readRegularFileSync(f, limit)]) {
    expect(b.byteOffset).toBe(0)
    expect(b.buffer.byteLength).toBe(3)
  }
})
