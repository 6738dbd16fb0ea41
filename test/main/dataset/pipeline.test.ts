import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultConcurrency, processFiles, type Processed } from '../../../src/main/dataset/pipeline'
import { scanFolder, type ScannedFile } from '../../../src/main/dataset/scan'
import { thumbnailPath } from '../../../src/main/dataset/thumbnails'
import { HYMENOPTERA, tempDir } from '../../helpers/tmp'
import { noisyJpeg, write } from './fixtures'

async function collect(iter: AsyncIterable<Processed>): Promise<Processed[]> {
  const out: Processed[] = []
  for await (const item of iter) out.push(item)
  return out
}

async function library(n: number): Promise<ScannedFile[]> {
  const root = tempDir('thaw-pipe-')
  for (let i = 0; i < n; i++) write(path.join(root, i % 2 ? 'odd' : 'even', `${i}.jpg`), await noisyJpeg(64, 48, (i % 5) + 1 + i / 100))
  return (await scanFolder(root)).files
}

describe('processFiles', () => {
  it('imports all 398 hymenoptera images (JPEGs and one GIF) with thumbnails, then re-imports without decoding', async () => {
    const scan = await scanFolder(HYMENOPTERA)
    const thumbDir = tempDir('thaw-hym-thumbs-')
    const progress: number[] = []
    const results = await collect(processFiles(scan.files, { thumbDir, onProgress: (p) => progress.push(p.done) }))
    const bad = results.filter((r) => !r.result.ok).map((r) => `${r.file.relPath}: ${r.result.ok ? '' : r.result.reason}`)
    expect(bad).toEqual([])
    expect(results).toHaveLength(398)
    expect(new Set(results.map((r) => r.file.path)).size).toBe(398)
    expect(progress.at(-1)).toBe(398)
    const formats = new Set(results.map((r) => (r.result.ok ? r.result.format : '')))
    expect([...formats].sort()).toEqual(['gif', 'jpeg'])
    for (const r of results) if (r.result.ok) expect(fs.existsSync(thumbnailPath(thumbDir, r.result.hash))).toBe(true)

    const started = performance.now()
    const again = await collect(processFiles(scan.files, { thumbDir }))
    const warm = performance.now() - started
    expect(again.every((r) => r.result.ok)).toBe(true)
    expect(new Map(again.map((r) => [r.file.path, r.result.hash]))).toEqual(new Map(results.map((r) => [r.file.path, r.result.hash])))
    console.log(`hymenoptera re-import with thumbnails present: ${(warm / 398).toFixed(2)} ms/image`)
  })

  it('reports bad files among good ones without stopping, and the same bytes under two classes with one hash', async () => {
    const root = tempDir('thaw-pipe-mixed-')
    const twin = await noisyJpeg(64, 48, 4)
    write(path.join(root, 'a/twin.jpg'), twin)
    write(path.join(root, 'b/twin ímage 🐝 copy.jpg'), twin)
    write(path.join(root, 'a/good.jpg'), await noisyJpeg(64, 48))
    write(path.join(root, 'a/empty.jpg'), '')
    write(path.join(root, 'b/text.jpg'), 'hello')
    write(path.join(root, 'b/good.png'), await noisyJpeg(64, 48, 2))
    const scan = await scanFolder(root)
    const results = await collect(processFiles(scan.files, { thumbDir: tempDir(), concurrency: 2 }))
    const byName = Object.fromEntries(results.map((r) => [r.file.relPath, r.result.ok ? 'ok' : r.result.reason]))
    expect(byName).toEqual({
      'a/empty.jpg': 'empty file (0 bytes)',
      'a/good.jpg': 'ok',
      'a/twin.jpg': 'ok',
      'b/good.png': 'ok',
      'b/text.jpg': 'not an image (text file)',
      'b/twin ímage 🐝 copy.jpg': 'ok'
    })
    const twins = results.filter((r) => r.file.relPath.includes('twin'))
    expect(twins.map((r) => r.file.className).sort()).toEqual(['a', 'b'])
    expect(twins[0]!.result.hash).toBe(twins[1]!.result.hash)
  })

  it('stops starting files when cancelled, yields what was in flight, then throws', async () => {
    const files = await library(40)
    const ac = new AbortController()
    const seen: Processed[] = []
    const run = (async () => {
      for await (const item of processFiles(files, { thumbDir: tempDir(), concurrency: 3, signal: ac.signal })) {
        seen.push(item)
        if (seen.length === 5) ac.abort()
      }
    })()
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    expect(seen.length).toBeGreaterThanOrEqual(5)
    expect(seen.length).toBeLessThanOrEqual(5 + 3)
  })

  it('throws at once for a signal already aborted', async () => {
    const files = await library(3)
    const ac = new AbortController()
    ac.abort()
    await expect(collect(processFiles(files, { thumbDir: tempDir(), signal: ac.signal }))).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('keeps at most `concurrency` files in flight', async () => {
    const files = await library(12)
    const fsp = fs.promises
    const realOpen = fsp.open.bind(fsp)
    let open = 0
    let peak = 0
    // count files being read: the probe opens each file once and closes it before decoding,
    // so this is a lower bound on what is in flight, and must never exceed the limit
    const spy = async (...args: Parameters<typeof fsp.open>): ReturnType<typeof fsp.open> => {
      open++
      peak = Math.max(peak, open)
      const fh = await realOpen(...args)
      const close = fh.close.bind(fh)
      fh.close = async () => {
        open--
        return close()
      }
      return fh
    }
    fsp.open = spy as typeof fsp.open
    try {
      expect(await collect(processFiles(files, { thumbDir: tempDir(), concurrency: 2 }))).toHaveLength(12)
    } finally {
      fsp.open = realOpen
    }
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThanOrEqual(2)
  })

  it('picks a default concurrency between 2 and the threadpool size', () => {
    expect(defaultConcurrency()).toBeGreaterThanOrEqual(2)
    expect(defaultConcurrency()).toBeLessThanOrEqual(Number(process.env.UV_THREADPOOL_SIZE) || 4)
  })
})
