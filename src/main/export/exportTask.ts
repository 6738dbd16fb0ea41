// The export, in an engine worker (TF.js lives only there): write the bundle into an empty
// staging folder, prove it equal to the studio's model, then write the card and the samples.
// Moving the staging folder into place is the caller's (exportModel.ts), so a failure anywhere
// here leaves nothing where the user looks.
import fs from 'node:fs'
import path from 'node:path'
import type { BundlePreprocessing, ExportCheck, ExportedFile, ExportFormat, ModelCard } from '../../shared/export'
import type { BackboneSpec } from '../backbones'
import { engine, projectDb } from '../engine/runtime'
import type { TaskContext } from '../engine/protocol'
import { ThawError } from '../errors'
import type { Db } from '../store/db'
import { fromArtifacts } from '../training/artifacts'
import { validMetrics } from '../training/metrics'
import { modelArtifacts, modelMeta, type StoredModelMeta } from '../training/modelStore'
import { FILES, INPUT_NAME, OUTPUT_NAME } from './bundleFiles'
import { buildCard, cardMarkdown } from './card'
import { checkBundle, type CheckImage } from './checkBundle'
import { datasetInfo } from './datasetInfo'
import { tfjsToOnnx, unsupportedLayers } from './onnx'
import { writeManifest } from './manifest'
import { openBundle } from './runner'
import { bundlePackageJson, classifyJs, indexHtml, ORT_VENDOR, TFJS_VENDOR } from './samples/page'
import { predictMjs } from './samples/predictMjs'
import { writeTfjsModel } from './tfjsFiles'
import { studioVersion } from './version'

export interface ExportTaskArgs {
  projectDir: string
  projectName: string
  modelId?: number
  format: ExportFormat
  /** an empty folder to write into */
  staging: string
  opset: number
  tolerance?: number
}

export interface ExportTaskResult {
  modelId: number
  files: ExportedFile[]
  check: ExportCheck
  card: ModelCard
}

type Spec = Pick<BackboneSpec, 'id' | 'inputSize' | 'preprocessing' | 'featureLayer'>

export function bundlePreprocessing(spec: Spec): BundlePreprocessing {
  const [height, width] = spec.inputSize
  return {
    input: { name: INPUT_NAME, shape: [null, height, width, 3], dtype: 'float32', layout: 'NHWC' },
    size: { width, height },
    resize: spec.preprocessing.resize,
    resizeFilter: 'lanczos3 (sharp/libvips, the studio\'s decoder)',
    channels: 'RGB',
    range: [0, 255],
    scalingInModel: { scale: spec.preprocessing.scale, offset: spec.preprocessing.offset },
    colorSpace: 'sRGB',
    orientation: 'apply the EXIF orientation first',
    alpha: 'flatten transparency onto white'
  }
}

/** The project's validation images of the model's classes, labelled by the model's class order. */
function validImages(db: Db, classes: string[]): (CheckImage & { id: number })[] {
  const rows = db
    .prepare(
      `SELECT i.id, i.path, c.name AS className FROM images i JOIN classes c ON c.id = i.class_id
       WHERE i.split = 'valid' AND i.status = 'ok' AND i.hash IS NOT NULL ORDER BY i.id`
    )
    .all() as { id: number; path: string; className: string }[]
  const index = new Map(classes.map((c, i) => [c, i]))
  return rows.flatMap((r) => {
    const label = index.get(r.className)
    return label === undefined ? [] : [{ id: r.id, path: r.path, label }]
  })
}

function listFiles(dir: string, prefix = ''): ExportedFile[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [{ name: `${prefix}${e.name}`, bytes: fs.statSync(path.join(dir, e.name)).size }]
    )
    .sort((a, b) => a.name.localeCompare(b.name))
}

function copyVendor(dir: string, format: ExportFormat): void {
  fs.mkdirSync(path.join(dir, FILES.vendor))
  for (const v of format === 'tfjs' ? TFJS_VENDOR : ORT_VENDOR) {
    // each entry resolves to a file in dist/, beside the browser builds (tfjs's "main";
    // onnxruntime-web's "./wasm" export, the very file the page loads)
    const src = path.join(path.dirname(require.resolve(v.pkg)), path.basename(v.file))
    fs.writeFileSync(path.join(dir, FILES.vendor, path.basename(v.file)), fs.readFileSync(src))
  }
}

function findModel(db: Db, modelId: number | undefined): StoredModelMeta {
  const meta = modelMeta(db, modelId)
  if (meta) return meta
  if (modelId !== undefined) throw new ThawError('NO_MODEL', `this project has no model ${modelId}`)
  throw new ThawError('NO_MODEL', 'this project has no trained model yet: train one first (thaw train <project>)')
}

export async function exportTask(args: ExportTaskArgs, ctx: TaskContext): Promise<ExportTaskResult> {
  await engine()
  const db = projectDb(args.projectDir)
  const meta = findModel(db, args.modelId)
  const report = meta.report as { spec: Spec; valid: { accuracy: number }; predictions?: { imageId: number }[] }
  const spec = report.spec
  if ((spec as { source?: { kind?: string } }).source?.kind === 'onnx') {
    throw new ThawError(
      'EXPORT_UNSUPPORTED',
      `model ${meta.id} is trained on the imported ONNX backbone ${spec.id}: exporting it is not supported (a bundle would have to join your ONNX file and the head into one checked graph); predict with it in the studio (thaw predict) instead`
    )
  }
  const dir = args.staging
  const version = studioVersion()
  const art = modelArtifacts(db, meta.id)
  const studio = await fromArtifacts(art)
  try {
    ctx.progress(0, 1, 'writing the model')
    if (args.format === 'tfjs') writeTfjsModel(dir, art, `Thaw Studio ${version}`)
    else {
      const missing = unsupportedLayers(studio)
      if (missing.length) {
        throw new ThawError('EXPORT_UNSUPPORTED', `cannot export to ONNX: unsupported layers ${missing.map((m) => `${m.name} (${m.type})`).join(', ')}`)
      }
      const bytes = await tfjsToOnnx(studio, {
        opset: args.opset,
        producerVersion: version,
        inputName: INPUT_NAME,
        outputName: OUTPUT_NAME,
        docString: `${args.projectName}: ${meta.classes.join(', ')} (Thaw Studio ${version})`
      })
      fs.writeFileSync(path.join(dir, FILES.onnxModel), bytes)
    }
    const preprocessing = bundlePreprocessing(spec)
    fs.writeFileSync(path.join(dir, FILES.labels), `${JSON.stringify(meta.classes, null, 2)}\n`)
    fs.writeFileSync(path.join(dir, FILES.preprocessing), `${JSON.stringify(preprocessing, null, 2)}\n`)

    const images = validImages(db, meta.classes)
    writeManifest(dir) // the check opens the bundle as predict does, through the manifest
    const bundle = await openBundle(dir)
    let outcome
    try {
      outcome = await checkBundle(studio, bundle, images, {
        size: preprocessing.size.width,
        fit: spec.preprocessing.resize,
        ...(args.tolerance === undefined ? {} : { tolerance: args.tolerance }),
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress(done, total, 'checking the bundle against the studio')
      })
    } finally {
      await bundle.close()
    }
    const { check } = outcome
    if (!check.passed) {
      const why = check.images === 0 ? 'no validation image could be read' : `max |difference| ${check.maxAbsDiff.toExponential(2)} (tolerance ${check.tolerance.toExponential(0)}), top-1 agreement ${check.top1Agree}/${check.images}`
      throw new ThawError('EXPORT_CHECK_FAILED', `the exported ${args.format} model does not match the studio's: ${why}; nothing was written`)
    }

    const trainedOn = new Set((report.predictions ?? []).map((p) => p.imageId))
    const changedSinceTraining = trainedOn.size > 0 && (trainedOn.size !== images.length || images.some((i) => !trainedOn.has(i.id)))
    const card = buildCard({
      projectName: args.projectName,
      format: args.format,
      meta,
      backbone: { id: spec.id, sha256: meta.backboneSha256, inputSize: [spec.inputSize[0], spec.inputSize[1]], featureLayer: spec.featureLayer },
      preprocessing,
      opset: args.format === 'onnx' ? args.opset : null,
      parameters: studio.countParams(),
      dataset: datasetInfo(db),
      metrics: validMetrics(outcome.probs, outcome.labels, meta.classes),
      accuracyAtTraining: report.valid.accuracy,
      changedSinceTraining,
      check
    })
    fs.writeFileSync(path.join(dir, FILES.cardJson), `${JSON.stringify(card, null, 2)}\n`)
    fs.writeFileSync(path.join(dir, FILES.cardMd), cardMarkdown(card))
    fs.writeFileSync(path.join(dir, FILES.predict), predictMjs(args.format), { mode: 0o755 })
    fs.writeFileSync(path.join(dir, FILES.page), indexHtml(args.format, `${args.projectName}: image classifier`))
    fs.writeFileSync(path.join(dir, FILES.pageScript), classifyJs(args.format))
    fs.writeFileSync(path.join(dir, FILES.packageJson), bundlePackageJson(args.format, args.projectName))
    copyVendor(dir, args.format)
    writeManifest(dir) // now over every file written
    ctx.progress(1, 1, 'done')
    return { modelId: meta.id, files: listFiles(dir), check, card }
  } finally {
    studio.dispose()
  }
}
