// The export, in an engine worker (TF.js lives only there): write the bundle into an empty
// staging folder, prove it equal to the studio's model, then write the card and the samples.
// Moving the staging folder into place is the caller's (exportModel.ts), so a failure anywhere
// here leaves nothing where the user looks.
import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import type { BundlePreprocessing, ExportCheck, ExportedFile, ExportFormat, ModelCard } from '../../shared/export'
import type { BackboneSpec } from '../backbones'
import { engine, onnxBackbone, projectDb } from '../engine/runtime'
import type { TaskContext } from '../engine/protocol'
import { ThawError } from '../errors'
import type { Db } from '../store/db'
import { fromArtifacts } from '../training/artifacts'
import { importedClassifier } from '../training/importedClassifier'
import { validMetrics } from '../training/metrics'
import { modelArtifacts, modelMeta, type StoredModelMeta } from '../training/modelStore'
import { FILES, INPUT_NAME, OUTPUT_NAME } from './bundleFiles'
import { buildCard, cardMarkdown } from './card'
import { checkBundle, layersPredictor, type CheckImage, type StudioPredictor } from './checkBundle'
import { datasetInfo } from './datasetInfo'
import { importedBundleModel } from './importedOnnx'
import { DEFAULT_OPSET, tfjsToOnnx, unsupportedLayers } from './onnx'
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
  /** unset: 13 for the studio's own backbones, the file's own for an imported ONNX backbone */
  opset?: number
  tolerance?: number
  /** for tests: the largest model.onnx an imported backbone's bundle may have */
  maxModelBytes?: number
}

export interface ExportTaskResult {
  modelId: number
  files: ExportedFile[]
  check: ExportCheck
  card: ModelCard
}

type Spec = Pick<BackboneSpec, 'id' | 'inputSize' | 'preprocessing' | 'featureLayer'> & Partial<Pick<BackboneSpec, 'source' | 'onnx'>>

export function bundlePreprocessing(spec: Spec): BundlePreprocessing {
  const [height, width] = spec.inputSize
  const pre = spec.preprocessing
  const perChannel = {
    ...(pre.mean ? { mean: [...pre.mean] as [number, number, number] } : {}),
    ...(pre.std ? { std: [...pre.std] as [number, number, number] } : {}),
    ...(pre.channels === 'BGR' ? { channelOrder: 'BGR' as const } : {})
  }
  return {
    input: { name: INPUT_NAME, shape: [spec.onnx?.batchOne ? 1 : null, height, width, 3], dtype: 'float32', layout: 'NHWC' },
    size: { width, height },
    resize: spec.preprocessing.resize,
    resizeFilter: 'lanczos3 (sharp/libvips, the studio\'s decoder)',
    channels: 'RGB',
    range: [0, 255],
    scalingInModel: { scale: pre.scale, offset: pre.offset, ...perChannel },
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
  const imported = spec.source?.kind === 'onnx'
  if (imported && args.format === 'tfjs') {
    throw new ThawError(
      'EXPORT_ONNX_ONLY',
      `model ${meta.id} is trained on the imported ONNX backbone ${spec.id}, which only ONNX Runtime can run (TF.js cannot read an ONNX file): export it in the ONNX format, whose bundle holds your file and the head in one model.onnx`
    )
  }
  const dir = args.staging
  const version = studioVersion()
  const art = modelArtifacts(db, meta.id)
  const net = await fromArtifacts(art)
  try {
    ctx.progress(0, 1, 'writing the model')
    const docString = `${args.projectName}: ${meta.classes.join(', ')} (Thaw Studio ${version})`
    let studio: StudioPredictor
    let opset: number | null = null
    let parameters = net.countParams()
    let bundleSpec: Spec = spec
    if (imported) {
      // the studio's own prediction path (the file on ONNX Runtime, pooling in JS, the head on
      // TF.js), refused with the reason when the file is no longer the one the model learnt from
      const classifier = await importedClassifier(spec as BackboneSpec, meta.backboneSha256, net, meta.id)
      const ob = await onnxBackbone(spec.id)
      const built = await importedBundleModel({
        file: ob.bytes,
        spec: ob.spec,
        head: net,
        opset: args.opset,
        producerVersion: version,
        docString,
        ...(args.maxModelBytes === undefined ? {} : { maxBytes: args.maxModelBytes })
      })
      fs.writeFileSync(path.join(dir, FILES.onnxModel), built.bytes)
      opset = built.opset
      bundleSpec = ob.spec
      parameters += ob.spec.params
      const [h, w] = ob.spec.inputSize
      studio = {
        runtime: `the studio's prediction path: your ONNX file on ONNX Runtime, then concat pooling and the head on TF.js ${tf.version_core} (${tf.getBackend()} backend)`,
        run: async (inputs, n) => (await classifier.run(inputs, [n, h, w, 3])).data
      }
    } else {
      studio = layersPredictor(net, [spec.inputSize[0], spec.inputSize[1]])
      if (args.format === 'tfjs') writeTfjsModel(dir, art, `Thaw Studio ${version}`)
      else {
        const missing = unsupportedLayers(net)
        if (missing.length) {
          throw new ThawError('EXPORT_UNSUPPORTED', `cannot export to ONNX: unsupported layers ${missing.map((m) => `${m.name} (${m.type})`).join(', ')}`)
        }
        opset = args.opset ?? DEFAULT_OPSET
        const bytes = await tfjsToOnnx(net, { opset, producerVersion: version, inputName: INPUT_NAME, outputName: OUTPUT_NAME, docString })
        fs.writeFileSync(path.join(dir, FILES.onnxModel), bytes)
      }
    }
    const preprocessing = bundlePreprocessing(bundleSpec)
    fs.writeFileSync(path.join(dir, FILES.labels), `${JSON.stringify(meta.classes, null, 2)}\n`)
    fs.writeFileSync(path.join(dir, FILES.preprocessing), `${JSON.stringify(preprocessing, null, 2)}\n`)

    const images = validImages(db, meta.classes)
    writeManifest(dir) // the check opens the bundle as predict does, through the manifest
    const bundle = await openBundle(dir)
    let outcome
    try {
      outcome = await checkBundle(studio, bundle, images, {
        size: preprocessing.size.width,
        fit: bundleSpec.preprocessing.resize,
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
      opset,
      parameters,
      // the file's name only: a bundle is shared, the folder it came from on this machine is not
      importedBackbone: imported ? { file: path.basename((spec.source as { importedFrom: string }).importedFrom), output: spec.featureLayer } : null,
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
    net.dispose()
  }
}
