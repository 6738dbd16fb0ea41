// The model card: model-card.json for programs, MODEL_CARD.md for people. Both are built from
// one ModelCard value, so they cannot disagree.
import type { BundlePreprocessing, ExportCheck, ExportFormat, ModelCard } from '../../shared/export'
import type { ValidMetrics } from '../training/metrics'
import type { StoredModelMeta } from '../training/modelStore'
import { FILES, OUTPUT_NAME } from './bundleFiles'
import { DATASET_HASH_RULE, type DatasetInfo } from './datasetInfo'
import { studioVersion } from './version'

export interface CardInput {
  projectName: string
  format: ExportFormat
  meta: StoredModelMeta
  backbone: ModelCard['backbone']
  preprocessing: BundlePreprocessing
  opset: number | null
  parameters: number
  /** the model's backbone is an ONNX file the user imported (null for the studio's own) */
  importedBackbone: { file: string; output: string } | null
  dataset: DatasetInfo
  metrics: ValidMetrics
  accuracyAtTraining: number
  changedSinceTraining: boolean
  check: ExportCheck
  exportedAt?: string
}

export function buildCard(c: CardInput): ModelCard {
  const labels = c.metrics.classes
  const notes = [
    'The check fed the bundle and the studio the same decoded tensors. A different decoder or resampler ' +
      '(a browser canvas, PIL, OpenCV) gives slightly different pixels after resizing, which moves the ' +
      'probabilities a little; feed the model as preprocessing.json says to stay closest to these figures.',
    'Validation figures were measured at export, with the exported model, on the validation images as they stand.'
  ]
  if (c.changedSinceTraining) {
    notes.push('The validation images changed since this model was trained (images added, removed or relabelled); the training-time accuracy refers to the old set.')
  }
  if (c.importedBackbone) {
    notes.push(
      `ONNX only: the backbone is the ONNX file you imported (${c.importedBackbone.file}), which TF.js cannot run, so this model has no TF.js bundle. ` +
        `model.onnx joins that file's graph (its names prefixed ${'backbone/'}, its opset kept), the studio's preprocessing (preprocess/) and the concat pooling and trained head (head/) in one graph.`
    )
  }
  if (c.check.skipped.length) notes.push(`${c.check.skipped.length} validation images could not be read and were left out of every figure.`)
  return {
    schema: 'thaw-model-card/1',
    name: c.projectName,
    exportedAt: c.exportedAt ?? new Date().toISOString(),
    trainedAt: c.meta.createdAt,
    studio: { name: 'Thaw Studio', version: studioVersion() },
    format: c.format,
    model: {
      id: c.meta.id,
      file: c.format === 'tfjs' ? FILES.tfjsModel : FILES.onnxModel,
      runtime: c.format === 'tfjs' ? 'TensorFlow.js Layers model (tf.loadLayersModel)' : `ONNX, opset ${c.opset} (onnxruntime)`,
      opset: c.opset,
      parameters: c.parameters,
      input: c.preprocessing.input,
      output: { name: OUTPUT_NAME, shape: [null, labels.length], meaning: `class probabilities in ${FILES.labels} order (softmax, rows sum to 1)` }
    },
    classes: labels.map((name, i) => {
      const n = c.dataset.perClass.get(name) ?? { train: 0, valid: 0, test: 0 }
      return { name, ...n, precision: c.metrics.precision[i] ?? 0, recall: c.metrics.recall[i] ?? 0 }
    }),
    validation: {
      images: c.check.images,
      accuracy: c.metrics.accuracy,
      loss: c.metrics.loss,
      confusion: c.metrics.confusion,
      accuracyAtTraining: c.accuracyAtTraining
    },
    backbone: c.importedBackbone ? { ...c.backbone, importedOnnx: c.importedBackbone } : c.backbone,
    plan: c.meta.plan,
    dataset: { sha256: c.dataset.sha256, rule: DATASET_HASH_RULE, images: c.dataset.images, changedSinceTraining: c.changedSinceTraining },
    preprocessing: c.preprocessing,
    check: c.check,
    notes
  }
}

function scaling({ scale, offset, mean, std, channelOrder }: BundlePreprocessing['scalingInModel']): string {
  const linear = `x * ${scale}${offset === 0 ? '' : offset < 0 ? ` - ${-offset}` : ` + ${offset}`}`
  const perChannel = mean || std ? `(${linear} - mean[c]) / std[c] with mean ${JSON.stringify(mean ?? [0, 0, 0])} and std ${JSON.stringify(std ?? [1, 1, 1])}` : linear
  return channelOrder === 'BGR' ? `${perChannel}, after reordering the channels to BGR,` : perChannel
}
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

function table(header: string[], rows: string[][]): string {
  return [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n')
}

export function cardMarkdown(card: ModelCard): string {
  const names = card.classes.map((c) => c.name)
  const { check, preprocessing: pre } = card
  const usage =
    card.format === 'tfjs'
      ? ['- Node: `npm install` here, then `node predict.mjs <image>... [--json]`.', '- Browser: serve this folder (e.g. `npx http-server .`), open `index.html`, drop an image on the page.']
      : [
          '- Node: `npm install` here, then `node predict.mjs <image>... [--json]` (onnxruntime-node).',
          '- Browser: serve this folder (e.g. `npx http-server .`), open `index.html`, drop an image on the page; onnxruntime-web (wasm) is in `vendor/`, so the page needs no network.',
          '- Python: `onnxruntime.InferenceSession("model.onnx").run(None, {"image": batch})` with a float32 NHWC batch of 0..255 RGB values.'
        ]
  return [
    `# Model card: ${card.name}`,
    '',
    `An image classifier over ${names.length} classes (${names.join(', ')}), exported by Thaw Studio ${card.studio.version} as a ${card.format === 'tfjs' ? 'TensorFlow.js Layers' : 'ONNX'} model on ${card.exportedAt}.`,
    `Validation accuracy: **${pct(card.validation.accuracy)}** on ${card.validation.images} images.`,
    '',
    '## Classes',
    '',
    table(
      ['class', 'train', 'valid', 'test', 'precision', 'recall'],
      card.classes.map((c) => [c.name, String(c.train), String(c.valid), String(c.test), pct(c.precision), pct(c.recall)])
    ),
    '',
    '## Validation',
    '',
    `Accuracy ${pct(card.validation.accuracy)}, mean cross-entropy ${card.validation.loss.toFixed(4)}, on ${card.validation.images} validation images (${pct(card.validation.accuracyAtTraining)} reported when trained).`,
    '',
    'Confusion matrix (rows: actual class, columns: predicted class):',
    '',
    table(['actual \\ predicted', ...names], card.validation.confusion.map((row, i) => [names[i] ?? '', ...row.map(String)])),
    '',
    '## Proven equal to the studio',
    '',
    `On ${check.images} validation images, the bundle (${check.bundleRuntime}) and the studio (${check.studioRuntime}) were fed identical input tensors:`,
    `the largest difference between their probabilities is ${check.maxAbsDiff.toExponential(2)} (tolerance ${check.tolerance.toExponential(0)}), and their top-1 labels agree on ${check.top1Agree} of ${check.images} images.`,
    `Result: ${check.passed ? 'passed' : 'FAILED'}.`,
    '',
    '## Model',
    '',
    `- File: \`${card.model.file}\` (${card.model.runtime}), ${card.model.parameters.toLocaleString('en-US')} parameters.`,
    `- Input \`${card.model.input.name}\`: float32 [${card.model.input.shape[0] === 1 ? '1 (one image at a time, as your ONNX file)' : 'N'}, ${pre.size.height}, ${pre.size.width}, 3] (NHWC), RGB values 0..255.`,
    `- Output \`${card.model.output.name}\`: float32 [N, ${names.length}], ${card.model.output.meaning}.`,
    card.backbone.importedOnnx
      ? `- Your ONNX backbone (\`${card.backbone.importedOnnx.file}\`, read at its output \`${card.backbone.importedOnnx.output}\`) and the head are joined in this one graph; no Thaw code is needed to run it. ONNX only: there is no TF.js version of this model.`
      : '- Backbone and head are fused into this one network; no Thaw code is needed to run it.',
    '',
    '## Preprocessing (preprocessing.json)',
    '',
    `- Orientation: ${pre.orientation}. Alpha: ${pre.alpha}. Colour: ${pre.colorSpace}, channel order ${pre.channels}.`,
    `- Resize to ${pre.size.width}x${pre.size.height} by **${pre.resize}** (${pre.resize === 'squash' ? 'stretch the whole picture, aspect ratio not kept' : 'scale the short side, cut the centre'}); the studio uses ${pre.resizeFilter}.`,
    `- Feed raw 0..255 values as float32. The model's first layer computes ${scaling(pre.scalingInModel)} itself: do not scale again.`,
    '',
    '## Backbone and training',
    '',
    `- Backbone: ${card.backbone.id} (sha256 ${card.backbone.sha256}), input ${card.backbone.inputSize.join('x')}, features from \`${card.backbone.featureLayer}\`.`,
    `- Trained ${card.trainedAt} (model ${card.model.id} of the project). The plan:`,
    '',
    '```json',
    JSON.stringify(card.plan, null, 2),
    '```',
    '',
    '## Dataset',
    '',
    `- Content hash ${card.dataset.sha256}: ${card.dataset.rule}.`,
    `- Images: ${card.dataset.images.train} train, ${card.dataset.images.valid} valid, ${card.dataset.images.test} test.`,
    '',
    '## Using it',
    '',
    ...usage,
    '',
    '## Notes',
    '',
    ...card.notes.map((n) => `- ${n}`),
    ''
  ].join('\n')
}
