// Per-worker state: the TF.js backend (started once), loaded backbones and the segments cut from
// them, and open project databases. Only engine workers import this.
import * as tf from '@tensorflow/tfjs'
import path from 'node:path'
import { buildSegment, loadBackbone, type LoadedBackbone } from '../backbones'
import { DB_FILE } from '../project/project'
import { openDatabase, type Db } from '../store/db'
import { initBackend, type BackendInfo } from './backend'
import type { WorkerConfig } from './protocol'

let config: WorkerConfig = { backend: 'auto' }
let backend: Promise<BackendInfo> | null = null
const backbones = new Map<string, Promise<LoadedBackbone>>()
const segments = new Map<string, tf.LayersModel>()
const dbs = new Map<string, Db>()

export function setEngineConfig(c: WorkerConfig): void {
  config = c
}

export function engine(): Promise<BackendInfo> {
  backend ??= initBackend(config.backend)
  return backend
}

export async function backbone(id: string, onProgress?: (done: number, total: number) => void): Promise<LoadedBackbone> {
  await engine()
  let loading = backbones.get(id)
  if (!loading) {
    loading = loadBackbone(id, { onProgress: onProgress && ((p) => onProgress(p.bytesDone, p.bytesTotal)) })
    backbones.set(id, loading)
    loading.catch(() => backbones.delete(id)) // a failed load (offline, bad checksum) may be retried
  }
  return loading
}

/** The part of a backbone between two layers (null = its input), built once per worker. */
export function segment(bb: LoadedBackbone, from: string | null, to: string): tf.LayersModel {
  const key = `${bb.spec.id}:${from}:${to}`
  let seg = segments.get(key)
  if (!seg) {
    seg = buildSegment(bb.model, from, to)
    segments.set(key, seg)
  }
  return seg
}

export function projectDb(projectDir: string): Db {
  let db = dbs.get(projectDir)
  if (!db || !db.open) {
    db = openDatabase(path.join(projectDir, DB_FILE), { create: false })
    dbs.set(projectDir, db)
  }
  return db
}

export async function engineStats(): Promise<{ numTensors: number; rssBytes: number }> {
  return { numTensors: tf.memory().numTensors, rssBytes: process.memoryUsage().rss }
}
