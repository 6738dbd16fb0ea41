import type { Command } from 'commander'
import { defaultOf, WAIT_HELP } from './defaults'
import { registerImportBackbone } from './importBackbone'
import { withFrozenRuntimeOptions, withStudio } from './session'

export function registerEngineCommands(program: Command): void {
  withFrozenRuntimeOptions(program.command('precompute'))
    .description("compute the backbone's activations for every image (only those missing) and cache them in the project")
    .argument('<project>', 'project folder')
    .option('--backbone <id>', 'backbone to use (default: the project\'s, else mobilenet_v2_1.0_224)')
    .option('--views <k>', 'augmented views per training image, on top of the plain one', defaultOf('precompute', 'views'))
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--wait', WAIT_HELP)
    .option('--json', 'print one JSON object')
    .action((dir: string, o: { backbone?: string; views: string; backend: string; runtime: string; provider: string; wait?: boolean; json?: boolean }) =>
      withStudio({ json: o.json, project: dir, backend: o.backend, runtime: o.runtime, provider: o.provider, wait: !!o.wait }, async ({ api, out }) => {
        const r = await api.precompute({ views: Number(o.views), ...(o.backbone ? { backbone: o.backbone } : {}) })
        out.result(
          {
            computed: r.computed,
            reused: r.reused,
            backend: r.backend,
            backbone: r.backbone,
            msPerImage: Math.round(r.msPerImage * 10) / 10,
            failed: r.failed,
            layer: r.layer,
            views: r.views,
            cacheBytes: r.cache.bytes,
            runtime: r.frozen.runtime,
            provider: r.frozen.provider,
            frozen: r.frozen,
            // where the engine workers' time went (decode wait, packing, forward, float16, SQLite)
            stages: r.stages
          },
          () =>
            [
              `computed ${r.computed}, reused ${r.reused} (${r.backbone} at ${r.layer}, ${r.msPerImage.toFixed(1)} ms/image)`,
              `forward pass: ${r.frozen.detail}${r.frozen.reason ? ` (${r.frozen.reason})` : ''}${r.frozen.check ? `; checked against TF.js on ${r.frozen.check.images} images: max |difference| ${r.frozen.check.maxAbsDiff.toExponential(1)} (${r.frozen.check.relDiff.toExponential(1)} relative)` : ''}`,
              `cache: ${r.cache.rows} rows, ${(r.cache.bytes / 1e6).toFixed(1)} MB`,
              ...r.failed.map((f) => `failed: ${f.path}: ${f.reason}`)
            ].join('\n')
        )
      })
    )

  registerImportBackbone(program)

  program
    .command('backbones')
    .description('list the backbones this studio knows')
    .option('--json', 'print one JSON object')
    .action((o: { json?: boolean }) =>
      withStudio({ json: o.json }, async ({ api, out }) => {
        const list = await api.listBackbones({})
        out.result({ backbones: list }, () =>
          list.map((b) => `${b.id}${b.recommended ? ' (recommended)' : ''} [${b.sourceKind}]: ${b.description}`).join('\n')
        )
      })
    )
}
