// The one contract between the studio service and every client (Electron IPC, browser-mode
// WebSocket, CLI). Each command has a schema for its arguments (validated on the service side,
// whatever the transport) and a result type. Events are pushed from the service to all clients.
import { z } from 'zod'
import { EXPORT_FORMATS, type BundleSummary, type ExportResult } from './export'
import { planSchema, stageSchema } from './plan'
import { TRY_MAX_BASE64, TRY_NEAREST_DEFAULT, type TryResult } from './tryit'
import type {
  BackboneGroups,
  BackboneInfo,
  ClassInfo,
  EngineInfo,
  ExportTreeResult,
  FolderListing,
  ImageDetail,
  ImagePage,
  ImportReport,
  InterruptedRun,
  JobFinished,
  JobProgress,
  LrFindResult,
  ModelComparison,
  ModelDetail,
  ModelList,
  ModelRecord,
  ModelSummary,
  PrecomputeStatus,
  PredictAllResult,
  PrecomputeResult,
  PredictResult,
  StageCachePlan,
  TrainStageEvent,
  ProjectInfo,
  ProjectStatus,
  RecentProject,
  TrainEpochEvent,
  TrainReport,
  UndoResult,
  AutoTrainState,
  DuplicatesResult,
  EmbeddingMap,
  SimilarImage,
  SuspectsResult
} from './types'

/** Cosine similarity of cached MobileNetV2 features at which two images count as near-copies:
 * resized, recompressed and lightly cropped copies of hymenoptera measured 0.83-0.97 (median
 * 0.92), the closest distinct images 0.82 (README, near-duplicates). */
export const DEFAULT_DUPLICATE_THRESHOLD = 0.86

/** Declares a command: its argument schema, and (as a type only) its result. */
function command<Result>() {
  return <Args extends z.ZodType>(args: Args) => ({ args, result: undefined as unknown as Result })
}

const id = z.number().int().positive()
const ids = z.array(id).min(1, 'select at least one image').max(1_000_000)
const split = z.enum(['train', 'valid', 'test'])
const className = z
  .string()
  .trim()
  .min(1, 'a class name cannot be empty')
  .max(200, 'a class name is at most 200 characters')
  .refine((s) => !/[\\/\0]/.test(s), 'a class name cannot contain / or \\ (it becomes a folder name)')
  .refine((s) => s !== '.' && s !== '..', 'a class name cannot be . or ..')
const path = z.string().min(1, 'a path is required')
const none = z.strictObject({})
/** TF.js backend preferences: 'auto' picks the best available */
export const backendPreference = z.enum(['auto', 'tensorflow', 'wasm', 'cpu'])
/** What runs frozen forward passes: 'auto' is ONNX Runtime where the segment converts and passes
 * its check against TF.js, else TF.js */
export const frozenRuntimePreference = z.enum(['auto', 'onnx', 'tfjs'])
/** ONNX Runtime execution provider: 'auto' a GPU where one is installed, else CPU */
export const onnxProviderPreference = z.enum(['auto', 'cpu', 'gpu'])

export const imageFilter = z.strictObject({
  classId: z.union([id, z.literal('unlabelled')]).optional(),
  split: split.optional(),
  status: z.enum(['any', 'ok', 'problem', 'issues', 'excluded']).optional(),
  search: z.string().max(500).optional(),
  // by the chosen model's predictions (issue #8 §2)
  disagrees: z.boolean().optional(),
  confidenceBelow: z.number().min(0, 'a confidence threshold is between 0 and 1').max(1, 'a confidence threshold is between 0 and 1').optional(),
  order: z.enum(['id', 'margin']).optional()
})

export const commands = {
  // projects
  createProject: command<ProjectInfo>()(z.strictObject({ path, name: z.string().trim().min(1).max(200).optional() })),
  openProject: command<ProjectInfo>()(z.strictObject({ path })),
  currentProject: command<ProjectInfo | null>()(none),
  recentProjects: command<RecentProject[]>()(none),
  listFolder: command<FolderListing>()(z.strictObject({ path: path.optional() })),

  // library
  importFolder: command<ImportReport>()(
    z.strictObject({
      root: path,
      validPct: z.number().min(0).max(0.9, 'validPct must be below 0.9').default(0.2),
      seed: z.number().int().default(42)
    })
  ),
  projectStatus: command<ProjectStatus>()(none),
  listClasses: command<ClassInfo[]>()(none),
  queryImages: command<ImagePage>()(
    z.strictObject({
      filter: imageFilter.default({}),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(5000).default(200)
    })
  ),
  /** position of one image in a filtered, ordered list (to keep the cursor on it after a refresh) */
  indexOfImage: command<{ index: number | null }>()(z.strictObject({ id, filter: imageFilter.default({}) })),
  imageDetail: command<ImageDetail>()(z.strictObject({ id })),
  exportClassTree: command<ExportTreeResult>()(z.strictObject({ dest: path, bySplit: z.boolean().default(true) })),

  // labelling: every change is saved at once and can be undone
  setLabel: command<{ changed: number }>()(z.strictObject({ ids, classId: id.nullable() })),
  setSplit: command<{ changed: number }>()(z.strictObject({ ids, split })),
  addClass: command<ClassInfo>()(z.strictObject({ name: className })),
  renameClass: command<ClassInfo>()(z.strictObject({ id, name: className })),
  mergeClasses: command<ClassInfo>()(z.strictObject({ from: id, into: id })),
  deleteClass: command<{ unlabelled: number }>()(z.strictObject({ id })),
  undo: command<UndoResult>()(none),

  // engine and precompute
  engineInfo: command<EngineInfo>()(none),
  /** switches the TF.js backend: restarts the engine workers (refused while a job runs) */
  setEngineBackend: command<EngineInfo>()(z.strictObject({ backend: backendPreference })),
  /** switches what runs frozen forwards (ONNX Runtime or TF.js) and ONNX Runtime's provider:
   * restarts the engine workers (refused while a job runs) */
  setFrozenRuntime: command<EngineInfo>()(z.strictObject({ runtime: frozenRuntimePreference, provider: onnxProviderPreference })),
  /** registers a TF.js Layers model folder (model.json + weights) as a backbone, or an .onnx file
   * as a frozen feature extractor (`folder` is then the file) */
  importBackbone: command<BackboneInfo>()(
    z.strictObject({
      folder: path,
      id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'an id is letters, digits, . _ - (up to 100)').optional(),
      displayName: z.string().trim().min(1).max(200).optional(),
      inputSize: z.number().int().min(16).max(2048).optional(),
      featureLayer: z.string().min(1).optional(),
      /** input = pixel * scale + offset; MobileNet-style [-1, 1] when not given */
      scale: z.number().positive().optional(),
      offset: z.number().optional(),
      // ONNX files only (byob, #10 item 4): their preprocessing must be said (it is not in the
      // file), per-channel normalisation after the scaling, where the channels are, the output
      mean: z.tuple([z.number(), z.number(), z.number()]).optional(),
      std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).optional(),
      resize: z.enum(['squash', 'center-crop']).optional(),
      channels: z.enum(['RGB', 'BGR']).optional(),
      layout: z.enum(['NCHW', 'NHWC']).optional(),
      output: z.string().min(1).optional()
    })
  ),
  listBackbones: command<BackboneInfo[]>()(none),
  /** the layer groups of the project's backbone (or another), for the layers panel */
  backboneGroups: command<BackboneGroups>()(z.strictObject({ backbone: z.string().min(1).optional() })),
  /** what the cache already holds for a backbone and views, before precomputing (nothing is computed) */
  precomputeStatus: command<PrecomputeStatus>()(
    z.strictObject({
      backbone: z.string().min(1).optional(),
      views: z.number().int().min(0, 'views cannot be negative').max(16, 'at most 16 augmented views').default(0)
    })
  ),
  precompute: command<PrecomputeResult>()(
    z.strictObject({
      backbone: z.string().min(1).optional(),
      views: z.number().int().min(0, 'views cannot be negative').max(16, 'at most 16 augmented views').default(0)
    })
  ),

  train: command<TrainReport>()(
    z.strictObject({
      /** a whole plan; otherwise a head-only plan from epochs and lr */
      plan: planSchema.optional(),
      epochs: z.number().int().min(1).max(1000).default(10),
      lr: z.number().positive().max(10).default(3e-3),
      precompute: z.boolean().default(true),
      views: z.number().int().min(0).max(16).default(0),
      seed: z.number().int().default(42),
      backbone: z.string().min(1).optional(),
      /** continue the project's last interrupted run from its checkpoint (other options ignored) */
      resume: z.boolean().default(false)
    })
  ),
  /** where each stage of a plan gets its inputs and what its cache costs, before building it */
  estimateCaches: command<StageCachePlan[]>()(
    z.strictObject({
      plan: planSchema,
      precompute: z.boolean().default(true),
      views: z.number().int().min(0).max(16).default(0),
      backbone: z.string().min(1).optional()
    })
  ),
  /** the project's last training run that stopped without finishing, if any */
  interruptedRun: command<InterruptedRun | null>()(none),
  /** forgets the interrupted run (its checkpoint); the kept models are not touched */
  discardInterruptedRun: command<{ discarded: number }>()(none),
  lrFind: command<LrFindResult>()(
    z.strictObject({
      stage: stageSchema.optional(),
      /** steps of the sweep: fewer is quicker and coarser */
      steps: z.number().int().min(10).max(1000).default(100),
      precompute: z.boolean().default(true),
      views: z.number().int().min(0).max(16).default(0),
      backbone: z.string().min(1).optional()
    })
  ),
  currentModel: command<ModelSummary | null>()(none),
  predict: command<{ modelId: number; results: PredictResult[] }>()(
    z.strictObject({ paths: z.array(path).min(1, 'give at least one image').max(10_000), modelId: id.optional() })
  ),

  // models: every run kept as a numbered record, one chosen (issue #8 §1, §2, §8)
  /** every model, newest first, with the chosen one and the disk they take */
  listModels: command<ModelList>()(none),
  /** one model with its curves and validation summary */
  modelDetail: command<ModelDetail>()(z.strictObject({ id })),
  /** the user's pick: it predicts and exports until another is picked or it is deleted */
  chooseModel: command<ModelList>()(z.strictObject({ id })),
  updateModel: command<ModelRecord>()(
    z.strictObject({
      id,
      name: z.string().trim().max(200, 'a model name is at most 200 characters').optional(),
      note: z.string().max(5000, 'a note is at most 5000 characters').optional()
    })
  ),
  /** deletes a model and its predictions (frees its disk); the chosen one is picked again */
  deleteModel: command<{ deleted: number; freedBytes: number; chosen: number | null }>()(z.strictObject({ id })),
  /** two models side by side; their predictions are computed first when missing */
  compareModels: command<ModelComparison>()(z.strictObject({ a: id, b: id })),
  /** scores every usable image with the chosen model (or the one named) */
  predictAll: command<PredictAllResult>()(z.strictObject({ modelId: id.optional(), withPredictions: z.boolean().default(true) })),
  /** the model's prediction becomes the label: of the images given, or of every image under the
   * filter, where the confidence reaches minConfidence; one undoable change */
  acceptPredictions: command<{ changed: number; skipped: number }>()(
    z
      .strictObject({
        ids: ids.optional(),
        filter: imageFilter.optional(),
        minConfidence: z.number().min(0, 'a confidence threshold is between 0 and 1').max(1, 'a confidence threshold is between 0 and 1').default(0),
        modelId: id.optional()
      })
      .refine((a) => (a.ids === undefined) !== (a.filter === undefined), 'give either ids or a filter')
  ),
  /** train while labeling: the head retrains from the cache after label changes */
  setAutoTrain: command<AutoTrainState>()(z.strictObject({ enabled: z.boolean() })),
  autoTrainState: command<AutoTrainState>()(none),

  // export: a deployable bundle, proven equal to the studio's model; and running one
  exportModel: command<ExportResult>()(
    z.strictObject({
      format: z.enum(EXPORT_FORMATS),
      out: path,
      /** replace an earlier export in `out` */
      overwrite: z.boolean().default(false),
      /** unset: 13, or the opset of an imported ONNX backbone (which its bundle keeps) */
      opset: z.number().int().min(13, 'ONNX opset 13 or later').max(21, 'ONNX opset 21 at most').optional(),
      modelId: id.optional()
    })
  ),
  predictBundle: command<{ bundle: BundleSummary; results: PredictResult[] }>()(
    z.strictObject({ bundle: path, paths: z.array(path).min(1, 'give at least one image').max(10_000) })
  ),

  // data quality: suspected label errors, exclusion, near-duplicates, similar images, the map
  /** k-fold heads on the cached features score every labelled image out of fold; confident
   * learning ranks the likely label errors (kept for the review queue) */
  findSuspects: command<SuspectsResult>()(
    z.strictObject({
      folds: z.number().int('folds must be a whole number').min(2, 'folds must be at least 2').max(20, 'folds must be at most 20').default(5),
      seed: z.number().int().default(42)
    })
  ),
  /** the last suspects still to review (not relabelled, kept or excluded since) */
  suspectQueue: command<SuspectsResult | null>()(none),
  /** "keep this label": the images leave the queue while they keep their label */
  keepLabels: command<{ kept: number }>()(z.strictObject({ ids })),
  /** excluded images stay on disk and in the project, out of training, validation and metrics */
  setExcluded: command<{ changed: number }>()(z.strictObject({ ids, excluded: z.boolean() })),
  findDuplicates: command<DuplicatesResult>()(
    z.strictObject({
      threshold: z
        .number({ message: 'the threshold must be a number between 0 and 1' })
        .min(0, 'the threshold must be between 0 and 1')
        .max(1, 'the threshold must be between 0 and 1')
        .default(DEFAULT_DUPLICATE_THRESHOLD)
    })
  ),
  /** the k images most like a project image (by id) or any image file (embedded on the fly) */
  similarImages: command<{ queryImageId: number | null; similar: SimilarImage[] }>()(
    z
      .strictObject({
        imageId: id.optional(),
        path: path.optional(),
        k: z.number().int('k must be a whole number').min(1, 'k must be at least 1').max(1000, 'k must be at most 1000').default(10),
        splits: z.array(split).optional(),
        includeExcluded: z.boolean().default(false)
      })
      .refine((a) => (a.imageId === undefined) !== (a.path === undefined), 'give an image id or a path (one of them)')
  ),
  embeddingMap: command<EmbeddingMap>()(
    z.strictObject({ method: z.enum(['auto', 'umap', 'pca']).default('auto'), seed: z.number().int().default(42) })
  ),

  // try it and uploads (browser mode sends files to the studio: see shared/tryit.ts, shared/upload.ts)
  /** scores one picture (base64 bytes) with the chosen model, and finds the training images nearest to it */
  tryImage: command<TryResult>()(
    z.strictObject({
      image: z.string().min(1, 'drop, paste or pick a picture').max(TRY_MAX_BASE64, 'the picture is larger than Try it takes (12 MB)'),
      modelId: id.optional(),
      k: z.number().int().min(0).max(50).default(TRY_NEAREST_DEFAULT)
    })
  ),
  /** imports the project's uploads folder (files sent by browser mode's upload endpoint) */
  importUploads: command<ImportReport>()(
    z.strictObject({
      validPct: z.number().min(0).max(0.9, 'validPct must be below 0.9').default(0.2),
      seed: z.number().int().default(42)
    })
  ),

  // jobs
  cancelJob: command<{ cancelled: boolean }>()(z.strictObject({ jobId: z.string().min(1) })),

  // health: the browser client's heartbeat; no answer in time means the studio stopped answering
  ping: command<{ now: number }>()(none)
} as const

export type Commands = typeof commands
export type CommandName = keyof Commands
export type CommandArgs<N extends CommandName> = z.input<Commands[N]['args']>
export type ParsedArgs<N extends CommandName> = z.output<Commands[N]['args']>
export type CommandResult<N extends CommandName> = Commands[N]['result']
export const commandNames = Object.keys(commands) as CommandName[]

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(commands, name)
}

export interface Events {
  jobProgress: JobProgress
  jobFinished: JobFinished
  /** one epoch of a running training job: for live curves */
  trainEpoch: TrainEpochEvent
  /** a stage of a running training job starts, with where its inputs come from */
  trainStage: TrainStageEvent
  /** the library changed (import, labels, classes): clients refetch what they show */
  libraryChanged: { reason: string }
  projectChanged: ProjectInfo | null
  /** a model was kept, chosen, renamed or deleted: clients refetch the list */
  modelsChanged: { reason: string }
  /** a model's stored predictions changed (new images scored, another model chosen) */
  predictionsChanged: { modelId: number | null }
  /** train while labeling started, finished or was superseded */
  autoTrain: AutoTrainState
  /** a native menu item was chosen (Electron only) */
  menu: { action: string }
}
export type EventName = keyof Events
/** A pushed event; a union discriminated by `event`, so `if (e.event === 'x')` narrows the payload. */
export type StudioEvent<E extends EventName = EventName> = { [K in E]: { event: K; payload: Events[K] } }[E]

/** The error shape every transport returns: a stable code and a message for people. */
export interface ErrorInfo {
  code: string
  message: string
}

/** What a client sees: one async method per command, plus events. Implemented by the preload
 * bridge (Electron), the WebSocket client (browser mode) and the service itself (CLI, tests). */
export type StudioApi = {
  [N in CommandName]: (args: CommandArgs<N>) => Promise<CommandResult<N>>
}

// WebSocket framing (browser mode)
export interface WsRequest {
  id: number
  command: string
  args: unknown
}
export type WsResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ErrorInfo }
export type WsMessage = WsResponse | ({ id?: undefined } & StudioEvent)

/** IPC channel names (Electron). */
export const IPC_EVENT_CHANNEL = 'thaw:event'
export const ipcChannel = (name: CommandName): string => `thaw:${name}`

// ---- The desktop shell (Electron only) ---------------------------------------------------------
// What the native app does for the page besides the studio's commands: the OS folder picker and
// the file manager. These are handled by src/main/electron (the studio service knows nothing of
// Electron), behind the same sender check as every command, and reach the page as the preload's
// `thaw.desktop`. Browser mode has no such bridge: the renderer feature-detects it and keeps its
// server-side folder browser.
export const desktopCommands = {
  /** the OS folder picker; `path` is null when the person cancels */
  pickFolder: command<{ path: string | null }>()(
    z.strictObject({
      title: z.string().max(200).optional(),
      /** where the picker opens: the field's current value, else a sensible start */
      defaultPath: z.string().max(4096).optional(),
      /** the confirm button's words ("Import", "Export here") */
      buttonLabel: z.string().max(60).optional()
    })
  ),
  /** the OS file manager, opened on the folder that holds `path`, with `path` selected */
  showInFolder: command<{ shown: true }>()(z.strictObject({ path })),
  /** a folder the OS handed to the app that is not a project (Open With, the Dock icon, a
   * second launch with a folder of images), for the page to import; taken once, null when none.
   * The page asks on start and when a `menu` event says `openFolder`. */
  takeOpenedFolder: command<{ path: string | null }>()(none)
} as const

export type DesktopCommands = typeof desktopCommands
export type DesktopCommandName = keyof DesktopCommands
export type DesktopCommandArgs<N extends DesktopCommandName> = z.input<DesktopCommands[N]['args']>
export type DesktopCommandResult<N extends DesktopCommandName> = DesktopCommands[N]['result']
export const desktopCommandNames = Object.keys(desktopCommands) as DesktopCommandName[]
export const desktopChannel = (name: DesktopCommandName): string => `thaw-desktop:${name}`

/** What the page can ask of the desktop shell, envelopes unwrapped (src/renderer/src/lib/desktop.ts). */
export type DesktopApi = {
  [N in DesktopCommandName]: (args: DesktopCommandArgs<N>) => Promise<DesktopCommandResult<N>>
} & {
  /** the real path of a file or folder dropped on the window ('' for one made by the page);
   * Electron's webUtils.getPathForFile, in the preload */
  pathForFile(file: File): string
}
