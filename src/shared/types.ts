// Plain-data types that cross process boundaries (IPC, WebSocket, CLI JSON).
// No classes, no functions: everything here must survive structured clone and JSON.

export type Split = 'train' | 'valid' | 'test'
export const SPLITS: readonly Split[] = ['train', 'valid', 'test']

/** ok: imported and usable; warning: imported but suspicious (e.g. same bytes under two classes);
 * problem: not imported, with a reason; missing: imported earlier, file gone from disk. */
export type ImageStatus = 'ok' | 'warning' | 'problem' | 'missing'

export interface ProjectInfo {
  path: string
  name: string
  schemaVersion: number
  createdAt: string
  /** the backbone the project precomputes and trains with */
  backbone: string
}

export interface RecentProject {
  path: string
  name: string
  openedAt: string
}

export interface SplitCounts {
  train: number
  valid: number
  test: number
}

export interface ClassInfo {
  id: number
  name: string
  position: number
  /** usable images that are not excluded, per split and in all; `excluded` apart */
  counts: SplitCounts & { total: number; excluded: number }
}

export interface FileProblem {
  path: string
  reason: string
}

export interface ProjectStatus {
  images: number
  unlabelled: number
  classes: Record<string, number>
  splits: SplitCounts
  problems: number
  warnings: number
  missing: number
  /** usable images left out of training, validation and metrics (not in the counts above) */
  excluded: number
}

export interface ImportReport {
  imported: number
  unchanged: number
  updated: number
  missing: number
  classes: Record<string, number>
  splits: SplitCounts
  /** files that are in the library as problems: exactly what its problem filter shows */
  problems: FileProblem[]
  warnings: FileProblem[]
  /** what the scan passed over and why (not images, folders reached twice through links...):
   * not part of the library */
  skipped: FileProblem[]
  layout: 'class-folders' | 'split-folders'
  root: string
  ms: number
}

export type StatusFilter = 'any' | 'ok' | 'problem' | 'issues' | 'excluded'

export interface ImageFilter {
  /** a class id, 'unlabelled', or undefined for every class */
  classId?: number | 'unlabelled' | undefined
  split?: Split | undefined
  /** 'issues' = problems, warnings and missing files; 'ok' = usable images that are not
   * excluded; 'excluded' = excluded images only */
  status?: StatusFilter | undefined
  search?: string | undefined
  /** by the chosen model's predictions: labelled images it disagrees with */
  disagrees?: boolean | undefined
  /** by the chosen model's predictions: its confidence below this (0..1) */
  confidenceBelow?: number | undefined
  /** 'margin': the least certain predictions first (what to label next) */
  order?: 'id' | 'margin' | undefined
}

export interface ImageItem {
  id: number
  hash: string | null
  name: string
  classId: number | null
  split: Split
  status: ImageStatus
  /** left out of training, validation and metrics (kept on disk and in the project) */
  excluded: boolean
  reason: string | null
  /** the chosen model's prediction, when it has scored this image */
  prediction?: CellPrediction | null
}

export interface ImageDetail extends ImageItem {
  path: string
  bytes: number | null
  width: number | null
  height: number | null
  format: string | null
  importedAt: string
  updatedAt: string
  /** other images with the same bytes */
  duplicates: { id: number; path: string; classId: number | null }[]
}

export interface ImagePage {
  total: number
  offset: number
  items: ImageItem[]
}

export interface FolderListing {
  path: string
  parent: string | null
  entries: { name: string; kind: 'dir' | 'file' }[]
}

export interface UndoResult {
  undone: string | null
  remaining: number
}

export interface ExportTreeResult {
  dest: string
  copied: number
  skipped: FileProblem[]
}

export type JobKind = 'import' | 'export-tree' | 'precompute' | 'train' | 'lr-find' | 'export' | 'predict' | 'suspects' | 'duplicates' | 'embedding-map'

export interface JobProgress {
  jobId: string
  kind: JobKind
  done: number
  total: number
  /** milliseconds left, null until there is enough to estimate */
  etaMs: number | null
  message: string
}

export interface JobFinished {
  jobId: string
  kind: JobKind
  ok: boolean
  cancelled: boolean
  error: string | null
}

export interface EngineInfo {
  backend: 'tensorflow' | 'wasm' | 'cpu'
  detail: string
  gpu: boolean
  /** the setting that picked it: 'auto' or a backend asked for by name */
  preference: 'auto' | 'tensorflow' | 'wasm' | 'cpu'
  /** how frozen forwards run (issue #10) */
  frozen: FrozenEngineInfo
}

export interface FrozenEngineInfo {
  runtime: 'auto' | 'onnx' | 'tfjs'
  provider: 'auto' | 'cpu' | 'gpu'
  /** the GPU provider this machine would use ('cuda', 'dml', 'coreml'), or null and why not */
  gpuProvider: string | null
  gpuMissing: string | null
  /** ONNX Runtime intra-op threads per worker */
  threads: number
  /** for people: what a precompute will run on, before the segment's own check decides */
  detail: string
}

export interface BackboneInfo {
  id: string
  displayName: string
  description: string
  sourceKind: 'download' | 'npm-fallback' | 'folder' | 'onnx'
  recommended: boolean
  caveat: string | null
  inputSize: number
  featureLayer: string
  params: number
  /** why it cannot thaw (an imported ONNX backbone runs frozen), or null when it can */
  frozenOnly: string | null
}

/** What the activations cache already holds for a backbone and a number of views, before a
 * precompute: what one click would compute. Rows are (image content, view) pairs. */
export interface PrecomputeStatus {
  backbone: string
  views: number
  /** usable images (same bytes counted once) */
  images: number
  /** rows wanted: the plain view of every image, plus `views` augmented ones of each training image */
  wanted: number
  cached: number
  missing: number
  /** the plain views alone (what a head without augmentation needs) */
  plain: { cached: number; missing: number }
  /** bytes the cached rows of this backbone take */
  bytes: number
}

export interface PrecomputeResult {
  computed: number
  reused: number
  failed: FileProblem[]
  backend: string
  backbone: string
  backboneSha256: string
  layer: string
  views: number
  /** wall-clock milliseconds per computed activation, decoding included */
  msPerImage: number
  cache: { rows: number; bytes: number }
  ms: number
  /** what ran the frozen forward pass (issue #10) */
  frozen: FrozenRuntimeReport
  /** where the engine workers' time went, summed over them (issue #10 item 3) */
  stages: PrecomputeStages
}

/** Milliseconds of a precompute by stage, on the engine workers' threads, summed over the
 * workers: setup (backbone, set), waiting for sharp's decoding (what overlap did not hide),
 * packing pixels into the input batch, the forward passes (the first one, which starts and checks
 * the session, also alone), float16 encoding, the SQLite writes, and progress/cancel points;
 * with the batches and the engine tasks (shards) they ran as. */
export interface PrecomputeStages {
  setupMs: number
  decodeWaitMs: number
  packMs: number
  forwardMs: number
  firstForwardMs: number
  encodeMs: number
  writeMs: number
  progressMs: number
  batches: number
  shards: number
}

/** What ran a frozen forward pass: ONNX Runtime (with its execution provider) or TF.js, and why. */
export interface FrozenRuntimeReport {
  /** the setting: 'auto' (ONNX Runtime where the segment converts and passes its check), 'onnx', 'tfjs' */
  preference: 'auto' | 'onnx' | 'tfjs'
  /** null when nothing was computed */
  runtime: 'onnx' | 'tfjs' | null
  /** 'cpu', 'cuda', 'dml', 'coreml' when ONNX Runtime ran */
  provider: string | null
  /** for people: 'ONNX Runtime, CPU, 2 threads' or 'TF.js wasm (SIMD, 1 thread)' */
  detail: string
  /** why TF.js ran when ONNX Runtime was allowed, or why a GPU provider was not used */
  reason: string | null
  /** the segment's check against TF.js (on its first real images) */
  check: { maxAbsDiff: number; relDiff: number; images: number; tolerance: number } | null
  /** ONNX Runtime intra-op threads and engine workers used */
  threads: number | null
  workers: number
}

export interface EpochMetrics {
  stage: number
  epoch: number
  trainLoss: number
  validLoss: number
  validAccuracy: number
  /** the whole epoch, validation included */
  ms: number
  /** the training steps alone */
  trainMs: number
}

export interface ValidSummary {
  accuracy: number
  loss: number
  classes: string[]
  /** rows: actual class, columns: predicted class */
  confusion: number[][]
  precision: number[]
  recall: number[]
}

export interface StageReport {
  name: string
  freezeTo: number
  /** the layer whose cached output fed this stage, or 'none' (images every epoch) */
  cache: string
  epochs: EpochMetrics[]
  valid: ValidSummary
  ms: number
  /** what ran the training steps: 'onnxruntime-node (cpu, 2 threads)', or 'tfjs wasm (why not)' */
  runtime?: string
  /** where the stage's time went (the bench reads it) */
  phases?: StagePhases
}

/** Where a stage's wall time went, ms summed over its epochs: the engine's start (weights in,
 * its session), waiting for training batches (decode, augmentation, the frozen part), the steps,
 * validation (its batches and predictions), hand-backs to TF.js, the callbacks (checkpoints,
 * best weights), and the engine's own split of its steps when it keeps one (FastStep.timings). */
export interface StagePhases {
  epochs: number
  beginMs: number
  dataMs: number
  stepsMs: number
  validMs: number
  syncMs: number
  callbacksMs: number
  engine?: Record<string, number>
}

export interface Prediction {
  imageId: number
  label: number
  predicted: number
  loss: number
  probs: number[]
}

export interface TrainReport {
  backend: string
  backbone: string
  backboneSha256: string
  precompute: boolean
  views: number
  stages: StageReport[]
  epochs: EpochMetrics[]
  valid: ValidSummary
  msPerEpoch: number
  /** every validation image's prediction, most wrong first */
  predictions: Prediction[]
  modelId: number
  cancelled: boolean
}

export interface ModelSummary extends TrainReport {
  createdAt: string
  classes: string[]
  plan: unknown
  /** trained on an ONNX file the user imported: its export is ONNX only, at the file's opset */
  importedOnnx?: boolean
}

export interface LrFindResult {
  lrs: number[]
  losses: number[]
  /** fastai's "valley" suggestion */
  suggestion: number
  /** what ran the sweep's steps: 'onnxruntime-node (cpu, 2 threads)', or 'tfjs wasm (why not)' */
  runtime?: string
}

export interface PredictResult {
  path: string
  label?: string
  probs?: Record<string, number>
  error?: string
}

export interface TrainEpochEvent {
  jobId: string
  stageName: string
  metrics: EpochMetrics
}

/** Where a stage's inputs come from: the activations of its freeze boundary (cached, with their
 * size on disk) or the images, run through the frozen groups every epoch. */
export interface StageCachePlan {
  stage: string
  firstThawedGroup: number
  /** null when the whole backbone is thawed */
  boundary: string | null
  shape: number[]
  bytes: number
  budget: number
  cached: boolean
  reason: string | null
}

export interface TrainStageEvent {
  jobId: string
  index: number
  name: string
  cache: string
  note: string | null
}

/** One of a backbone's layer groups (fastai's layer groups), as the engine describes it. */
export interface GroupDescription {
  name: string
  firstLayer: string
  lastLayer: string
  layerCount: number
  /** all weights of the group, BatchNorm moving statistics included */
  params: number
  /** the weights an optimizer updates once the group is thawed */
  trainableParams: number
  /** [h, w, c] of lastLayer's output */
  outputShape: number[]
}

/** A backbone's layer groups for the layers panel, from the input to the feature layer. */
export interface BackboneGroups {
  backbone: string
  displayName: string
  featureLayer: string
  groups: (GroupDescription & { batchNormLayers: number })[]
  /** why the backbone cannot thaw (then `groups` is empty: the head is all that trains), or null */
  frozenOnly: string | null
  /** [h, w, c] of the feature the head reads */
  featureShape?: number[]
}

/** A training run that stopped without finishing (killed, crashed): it can be resumed. */
export interface InterruptedRun {
  runId: string
  plan: string
  stage: string
  stageIndex: number
  epochsDone: number
  /** epochs the interrupted stage was planned for */
  stageEpochs: number
  stages: number
  savedAt: string
}

// ---- models: every run kept as a numbered record (issue #8 §1, §2) ----

export type ModelStatus = 'finished' | 'cancelled' | 'interrupted'

/** One training run as the Runs view and `thaw models` list it. */
export interface ModelRecord {
  id: number
  /** the user's name for it, or "Model <id>" */
  name: string
  note: string
  status: ModelStatus
  /** made by train-while-labeling: only the latest is kept, never chosen by itself */
  auto: boolean
  /** the model that predicts and exports (the user's pick, else the newest finished run) */
  chosen: boolean
  /** it has weights (an interrupted run keeps only its checkpoint until it is resumed) */
  usable: boolean
  createdAt: string
  plan: unknown
  planName: string
  seed: number | null
  views: number | null
  backbone: string
  backboneSha256: string
  datasetSha256: string | null
  /** validation metrics of the kept weights; null until the run keeps weights */
  valid: { accuracy: number; loss: number } | null
  epochs: number
  /** the interrupted run this record continued: its run id and where it stood */
  continuedFrom: { runId: string; stageIndex: number; epochsDone: number } | null
  /** bytes on disk: weights and stored predictions */
  bytes: number
}

export interface ModelList {
  models: ModelRecord[]
  /** null when no model can predict yet */
  chosen: number | null
  /** true when the user picked it; false when it is the newest finished run by default */
  pickedByUser: boolean
  totalBytes: number
}

/** One image's prediction by a model. */
export interface ImagePrediction {
  imageId: number
  path: string
  split: Split
  /** excluded by the user: kept and scored, but out of every metric and count */
  excluded: boolean
  /** class name, null when unlabelled */
  label: string | null
  predicted: string
  confidence: number
  /** top-1 minus top-2 probability: small = uncertain */
  margin: number
  probs: Record<string, number>
}

export interface PredictAllResult {
  model: number
  /** scored now / already stored for this model / could not be scored */
  computed: number
  reused: number
  failed: FileProblem[]
  /** how they were scored: from the cached features, or the whole network over the images */
  source: 'cache' | 'images'
  ms: number
  predictions: ImagePrediction[]
}

export interface ModelDetail extends ModelRecord {
  /** null until the run keeps weights */
  summary: ValidSummary | null
  curves: EpochMetrics[]
}

export interface ModelComparison {
  a: ModelDetail
  b: ModelDetail
  /** images whose predicted class differs between a and b (both must have predictions) */
  changed: { imageId: number; hash: string; path: string; split: Split; label: string | null; a: { predicted: string; confidence: number }; b: { predicted: string; confidence: number } }[]
  /** images both models have predictions for */
  compared: number
}

/** The chosen model's guess, shown on a grid cell. */
export interface CellPrediction {
  predicted: string
  confidence: number
  margin: number
  /** labelled, and the prediction is another class */
  disagrees: boolean
}

/** Train while labeling (issue #8 §8). */
export interface AutoTrainState {
  enabled: boolean
  /** 'waiting': a change is being debounced; 'training': an auto run is going */
  phase: 'off' | 'idle' | 'waiting' | 'training'
  /** the kept auto run, if any */
  lastModel: number | null
  /** why the last auto run did not keep a model (e.g. not enough labels), or null */
  lastError: string | null
}

// --- data quality (suspects, exclusion, near-duplicates, similar images, embedding map) ---

/** An image like a query image, by cosine similarity of the cached pooled features. */
export interface SimilarImage {
  imageId: number
  path: string
  /** content hash (thumbnails are addressed by it) */
  hash: string
  split: Split
  classId: number | null
  excluded: boolean
  /** cosine similarity, -1..1 (1: the same features) */
  similarity: number
}

/** Images whose cached features are near-identical (resized, recompressed, lightly cropped
 * copies), or whose bytes are the same. */
export interface DuplicateGroup {
  images: { id: number; path: string; hash: string; split: Split; classId: number | null }[]
  /** the weakest link in the group (single linkage), cosine 0..1; 1 for exact-bytes copies */
  similarity: number
  splits: Split[]
  /** the group spans train and valid: validation sees what training saw */
  leakage: boolean
  /** the copies carry different labels */
  mixedLabels: boolean
}

export interface DuplicatesResult {
  threshold: number
  /** images searched (usable, not excluded) */
  images: number
  groups: DuplicateGroup[]
  ms: number
  /** the engine worker's peak resident memory during the search */
  rssPeakBytes: number
}

/** An image whose label is probably wrong, from out-of-fold predictions (confident learning). */
export interface Suspect {
  imageId: number
  path: string
  hash: string
  split: Split
  label: string
  suggested: string
  suggestedClassId: number
  /** how far the best other class is ahead of the label: max other p - p(label), -1..1 */
  score: number
  labelProb: number
  suggestedProb: number
}

export interface SuspectsResult {
  folds: number
  seed: number
  /** labelled images scored (train and valid, not excluded) */
  images: number
  classes: string[]
  /** per class: the mean out-of-fold probability over its images (confident learning) */
  thresholds: Record<string, number>
  /** most suspicious first */
  suspects: Suspect[]
  ms: number
  computedAt: string
}

/** 2-D coordinates of every usable image's embedding (UMAP or PCA). */
export interface EmbeddingMap {
  method: 'umap' | 'pca'
  ids: number[]
  x: number[]
  y: number[]
  /** per point: class id or null */
  classIds: (number | null)[]
  excluded: boolean[]
  ms: number
}
