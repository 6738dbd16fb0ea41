// On the real hymenoptera images: planted near-duplicates (altered copies under other names,
// made with sharp in a temp folder) and planted label flips, through the studio's contract.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Studio } from '../../../src/main/studio/studio'
import type { StudioApi } from '../../../src/shared/contract'
import { mulberry32, shuffled } from '../../../src/main/util/random'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { alteredCopy, hymenopteraWithNearDuplicates, type PlantedCopy } from '../../helpers/nearDuplicates'
import { tempDir } from '../../helpers/tmp'

isolatedEnv()

describe('data quality on hymenoptera', () => {
  let studio: Studio
  let api: StudioApi
  let planted: PlantedCopy[]
  const idOf = new Map<string, number>()

  beforeAll(async () => {
    const made = await hymenopteraWithNearDuplicates(tempDir('thaw-neardup-'), 30, 11)
    planted = made.planted
    studio = new Studio({ engineWorkers: 2 })
    api = studio.api()
    await api.createProject({ path: path.join(tempDir(), 'p') })
    await api.importFolder({ root: made.root })
    await api.precompute({})
    const page = await api.queryImages({ limit: 5000 })
    for (const img of page.items) idOf.set(path.join(made.root, img.name), img.id)
  }, 600_000)

  afterAll(async () => {
    await studio?.close()
  })

  it('groups the planted near-duplicates, flags train/valid leakage, and finds few false groups', async () => {
    const r = await api.findDuplicates({})
    const groupOf = new Map<number, number>()
    r.groups.forEach((g, i) => g.images.forEach((img) => groupOf.set(img.id, i)))
    const found = planted.filter((p) => {
      const a = groupOf.get(idOf.get(p.original)!)
      return a !== undefined && a === groupOf.get(idOf.get(p.copy)!)
    })
    expect(found.length / planted.length).toBeGreaterThanOrEqual(0.9)
    const plantedIds = new Set(planted.flatMap((p) => [idOf.get(p.original)!, idOf.get(p.copy)!]))
    const falseGroups = r.groups.filter((g) => !g.images.some((i) => plantedIds.has(i.id)))
    expect(falseGroups.length).toBeLessThanOrEqual(Math.floor(0.05 * r.groups.length))
    for (const g of r.groups) {
      expect(g.leakage).toBe(g.splits.includes('train') && g.splits.includes('valid'))
      expect(g.similarity).toBeGreaterThanOrEqual(r.threshold)
    }
    expect(r.groups.some((g) => g.leakage)).toBe(true)
  })

  it('finds an image like a planted copy, inside the project and from outside it', async () => {
    const p = planted[0]!
    const inside = await api.similarImages({ imageId: idOf.get(p.copy)!, k: 3 })
    expect(inside.queryImageId).toBe(idOf.get(p.copy))
    expect(inside.similar[0]!.imageId).toBe(idOf.get(p.original))
    expect(inside.similar.map((s) => s.similarity)).toEqual([...inside.similar.map((s) => s.similarity)].sort((a, b) => b - a))

    // a new copy of another original, outside the project: decoded and embedded on the fly
    const outside = path.join(tempDir(), 'outside.jpg')
    await alteredCopy(planted[1]!.original, outside, 'recompress')
    const r = await api.similarImages({ path: outside, k: 5 })
    expect(r.queryImageId).toBeNull()
    expect([idOf.get(planted[1]!.original), idOf.get(planted[1]!.copy)]).toContain(r.similar[0]!.imageId)
    expect(r.similar[0]!.similarity).toBeGreaterThan(0.85)
  })

  it('refuses bad input with a clear message and changes nothing', async () => {
    await expect(api.findDuplicates({ threshold: 1.5 })).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringMatching(/between 0 and 1/) })
    await expect(api.findDuplicates({ threshold: -0.1 })).rejects.toMatchObject({ code: 'BAD_ARGS' })
    await expect(api.similarImages({ path: '/no/such/picture.jpg' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no such image/) })
    const notImage = path.join(tempDir(), 'notes.jpg')
    fs.writeFileSync(notImage, 'not a picture')
    await expect(api.similarImages({ path: notImage })).rejects.toMatchObject({ message: expect.stringMatching(/cannot read/) })
    await expect(api.findSuspects({ folds: 1 })).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringMatching(/at least 2/) })
    await expect(api.similarImages({ imageId: 999_999 })).rejects.toMatchObject({ code: 'NO_SUCH_IMAGE' })
  })

  it('ranks planted label flips among the top suspects (out-of-fold, confident learning)', async () => {
    // flip 10% of the training labels (seeded), as the bench does
    const classes = await api.listClasses({})
    const train = (await api.queryImages({ filter: { split: 'train', status: 'ok' }, limit: 5000 })).items
    const flips = shuffled(train, mulberry32(5)).slice(0, Math.round(train.length / 10))
    for (const img of flips) await api.setLabel({ ids: [img.id], classId: classes.find((c) => c.id !== img.classId)!.id })
    const r = await api.findSuspects({ folds: 5, seed: 42 })
    expect(r.folds).toBe(5)
    const top = new Set(r.suspects.slice(0, 2 * flips.length).map((s) => s.imageId))
    const caught = flips.filter((f) => top.has(f.id)).length
    expect(caught / flips.length).toBeGreaterThanOrEqual(0.8)
    // most suspicious first, and each suggestion is another class
    for (let i = 1; i < r.suspects.length; i++) expect(r.suspects[i - 1]!.score).toBeGreaterThanOrEqual(r.suspects[i]!.score)
    for (const s of r.suspects) expect(s.suggested).not.toBe(s.label)

    // the queue: accepting, keeping and excluding each take an image out of it
    const [a, b, c] = r.suspects
    await api.setLabel({ ids: [a!.imageId], classId: a!.suggestedClassId })
    await api.keepLabels({ ids: [b!.imageId] })
    await api.setExcluded({ ids: [c!.imageId], excluded: true })
    const queue = (await api.suspectQueue({}))!
    expect(queue.suspects.map((s) => s.imageId)).not.toContain(a!.imageId)
    expect(queue.suspects.map((s) => s.imageId)).not.toContain(b!.imageId)
    expect(queue.suspects.map((s) => s.imageId)).not.toContain(c!.imageId)
    expect(queue.suspects).toHaveLength(r.suspects.length - 3)
    // an excluded image is not scored next time
    const again = await api.findSuspects({ folds: 5, seed: 42 })
    expect(again.images).toBe(r.images - 1)
    expect(again.suspects.map((s) => s.imageId)).not.toContain(c!.imageId)
  }, 300_000)
})

describe('data quality without a cache', () => {
  it('says what to run', async () => {
    const studio = new Studio({ engineWorkers: 1 })
    try {
      const api = studio.api()
      await api.createProject({ path: path.join(tempDir(), 'p') })
      await api.importFolder({ root: smallHymenoptera(4, 2) })
      for (const call of [() => api.findDuplicates({}), () => api.findSuspects({ folds: 2 }), () => api.embeddingMap({}), () => api.similarImages({ imageId: 1 })]) {
        await expect(call()).rejects.toMatchObject({ code: 'NO_CACHE', message: expect.stringMatching(/run precompute/) })
      }
    } finally {
      await studio.close()
    }
  }, 120_000)
})
