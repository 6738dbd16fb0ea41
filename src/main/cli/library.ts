import type { Command } from 'commander'
import type { ImportReport, ProjectStatus } from '../../shared/types'
import { defaultOf, WAIT_HELP } from './defaults'
import { withStudio } from './session'

function counts(r: Record<string, number>): string {
  return Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
}

function humanImport(r: ImportReport): string {
  const lines = [
    `imported ${r.imported}, unchanged ${r.unchanged}, updated ${r.updated}${r.missing ? `, missing ${r.missing}` : ''} (${r.layout}, ${(r.ms / 1000).toFixed(1)} s)`,
    `classes: ${counts(r.classes) || 'none'}`,
    `splits: ${counts({ ...r.splits })}`
  ]
  for (const p of r.problems) lines.push(`problem: ${p.path}: ${p.reason}`)
  for (const w of r.warnings) lines.push(`warning: ${w.path}: ${w.reason}`)
  for (const s of r.skipped) lines.push(`skipped: ${s.path}: ${s.reason}`)
  return lines.join('\n')
}

function humanStatus(s: ProjectStatus): string {
  return [
    `${s.images} images (${s.unlabelled} unlabelled), ${s.problems} problems, ${s.warnings} warnings, ${s.missing} missing${s.excluded ? `, ${s.excluded} excluded` : ''}`,
    `classes: ${counts(s.classes) || 'none'}`,
    `splits: ${counts({ ...s.splits })}`
  ].join('\n')
}

export function registerLibraryCommands(program: Command): void {
  program
    .command('init')
    .description('create a project folder')
    .argument('<project>', 'folder for the new project')
    .option('--name <name>', 'display name')
    .option('--json', 'print one JSON object')
    .action((dir: string, o: { name?: string; json?: boolean }) =>
      withStudio({ json: o.json }, async ({ api, out }) => {
        const info = await api.createProject({ path: dir, ...(o.name ? { name: o.name } : {}) })
        out.result({ project: info.path }, () => `created project ${info.path}`)
      })
    )

  program
    .command('import')
    .description('import a folder of images labelled by folder (root/<class>/ or root/<split>/<class>/)')
    .argument('<project>', 'project folder')
    .argument('<folder>', 'folder of images')
    .option('--valid-pct <fraction>', 'validation share when there are no split folders', defaultOf('importFolder', 'validPct'))
    .option('--seed <n>', 'seed of the validation split', defaultOf('importFolder', 'seed'))
    .option('--wait', WAIT_HELP)
    .option('--json', 'print one JSON object')
    .action((dir: string, folder: string, o: { validPct: string; seed: string; wait?: boolean; json?: boolean }) =>
      withStudio({ json: o.json, project: dir, wait: !!o.wait }, async ({ api, out }) => {
        const r = await api.importFolder({ root: folder, validPct: Number(o.validPct), seed: Number(o.seed) })
        const { imported, unchanged, updated, missing, classes, splits, problems, warnings, skipped } = r
        out.result({ imported, unchanged, updated, missing, classes, splits, problems, warnings, skipped }, () => humanImport(r))
      })
    )

  program
    .command('status')
    .description("a project's images, classes and splits as they stand")
    .argument('<project>', 'project folder')
    .option('--json', 'print one JSON object')
    .action((dir: string, o: { json?: boolean }) =>
      withStudio({ json: o.json, project: dir }, async ({ api, out }) => {
        const s = await api.projectStatus({})
        out.result(s, () => humanStatus(s))
      })
    )
}
