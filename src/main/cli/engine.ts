import type { Command } from 'commander'
import { withStudio } from './session'

export function registerEngineCommands(program: Command): void {
  program
    .command('precompute')
    .description("compute the backbone's activations for every image (only those missing) and cache them in the project")
    .argument('<project>', 'project folder')
    .option('--backbone <id>', 'backbone to use (default: the project\'s, else mobilenet_v2_1.0_224)')
    .option('--views <k>', 'augmented views per training image, on top of the plain one', '0')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print one JSON object')
    .action((dir: string, o: { backbone?: string; views: string; backend: string; json?: boolean }) =>
      withStudio({ json: o.json, project: dir, backend: o.backend }, async ({ api, out }) => {
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
            cacheBytes: r.cache.bytes
          },
          () =>
            [
              `computed ${r.computed}, reused ${r.reused} (${r.backbone} at ${r.layer}, ${r.backend}, ${r.msPerImage.toFixed(1)} ms/image)`,
              `cache: ${r.cache.rows} rows, ${(r.cache.bytes / 1e6).toFixed(1)} MB`,
              ...r.failed.map((f) => `failed: ${f.path}: ${f.reason}`)
            ].join('\n')
        )
      })
    )

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
