import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { TRY_MAX_BYTES, tooLargeForTry, type TryNeighbour, type TryResult } from '../../shared/tryit'
import { probeImage } from '../dataset/probe'
import type { EnginePool } from '../engine/pool'
import { ThawError } from '../errors'
import type { Project } from '../project/project'
import type { PredictArgs } from '../training/predictTask'
import { modelMeta } from '../training/modelStore'

export interface TryArgs {
  /** the picture's bytes, base64 */
  image: string
  modelId?: number | undefined
  /** how many nearest training images to look for */
  k: number
}

/** Finds the training images nearest to a picture on disk; null (with why) when it cannot yet. */
export type NearestFinder = (file: string, k: number) => Promise<{ nearest: TryNeighbour[] | null; note: string | null }>

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** The bytes of a base64 picture, refused in the UI's words when empty, malformed or too large. */
export function pictureBytes(base64: string): Buffer {
  // Buffer.from ignores characters outside the alphabet, so a garbled string would decode to
  // some other bytes without a word: check it first
  if (base64.length % 4 !== 0 || !BASE64.test(base64)) throw new ThawError('BAD_IMAGE', 'The picture did not arrive whole (its base64 text is malformed).')
  const bytes = Buffer.from(base64, 'base64')
  if (bytes.length === 0) throw new ThawError('BAD_IMAGE', 'This file is empty (0 bytes).')
  if (bytes.length > TRY_MAX_BYTES) throw new ThawError('TOO_LARGE', tooLargeForTry(bytes.length))
  return bytes
}

/**
 * Scores one picture with a project's model (the chosen one, as the models record says, unless named). The picture is written
 * to a private temporary file and checked by the import's own probe (size, type, pixel limit, a
 * full decode under the same guards), so a file the library would refuse is refused here with
 * the same reason; then the engine worker predicts from that file with the model's own
 * preprocessing, exactly as `thaw predict` does. The file is removed whatever happens.
 */
export async function tryImage(project: Project, engine: EnginePool, args: TryArgs, findNearest: NearestFinder | null): Promise<TryResult> {
  const started = Date.now()
  const bytes = pictureBytes(args.image)
  // the chosen model unless one is named; an unknown or unusable id is modelMeta's error
  const meta = modelMeta(project.db, args.modelId)
  if (!meta) throw new ThawError('NO_MODEL', 'There is no trained model yet: train one on the Train screen first.')
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'thaw-try-'))
  try {
    const file = path.join(dir, 'picture')
    await fs.promises.writeFile(file, bytes, { mode: 0o600 })
    const probe = await probeImage(file, { maxFileBytes: TRY_MAX_BYTES })
    if (!probe.ok) throw new ThawError('BAD_IMAGE', `This file cannot be used: ${probe.reason}.`)
    const predictArgs: PredictArgs = { projectDir: project.dir, paths: [file], modelId: meta.id }
    const [predicted, near] = await Promise.all([
      engine.run('predict', predictArgs),
      findNearest ? findNearest(file, args.k) : Promise.resolve({ nearest: null, note: 'Nearest training images are not available in this build.' })
    ])
    const result = predicted.results[0]
    if (!result?.probs || !result.label) throw new ThawError('BAD_IMAGE', `This file cannot be used: ${result?.error ?? 'the model gave no prediction'}.`)
    const classes = Object.keys(result.probs)
    return {
      modelId: predicted.modelId,
      classes,
      probs: classes.map((c) => result.probs![c]!),
      label: result.label,
      width: probe.width,
      height: probe.height,
      format: probe.format,
      nearest: near.nearest,
      nearestNote: near.note,
      ms: Date.now() - started
    }
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true })
  }
}
