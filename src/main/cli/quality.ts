import path from 'node:path'
import type { Command } from 'commander'
import { DEFAULT_DUPLICATE_THRESHOLD } from '../../shared/contract'
import { ThawError } from '../errors'
import { withStudio } from './session'

/** A number flag, checked here so the message names the flag as the user typed it. */
function numberFlag(value: string, flag: string, opts: { min: number; max: number; integer?: boolean }): number {
  const n = Number(value)
  const what = opts.integer ? 'a whole number' : 'a number'
  if (value.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) {
    throw new ThawError('BAD_ARGS', `${flag} must be ${what} from ${opts.min} to ${opts.max}, not "${value}"`)
  }
  if (n < opts.min || n > opts.max) throw new ThawError('BAD_ARGS', `${flag} must be ${what} from ${opts.min} to ${opts.max}, not ${value}`)
  return n
}

const pct = (p: number): string => `${(100 * p).toFixed(1)}%`

export function registerQualityCommands(program: Command): void {
  program
    .command('suspects')
    .description('likely label errors: out-of-fold predictions of k-fold heads on the cached features, ranked by confident learning')
    .argument('<project>', 'project folder')
    .option('--folds <k>', 'folds (2-20)', '5')
    .option('--seed <n>', 'seed of the folds and the heads', '42')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print one JSON object')
    .action((dir: string, o: { folds: string; seed: string; backend: string; json?: boolean }) =>
      withStudio({ json: o.json, project: dir, backend: o.backend }, async ({ api, out }) => {
        const folds = numberFlag(o.folds, '--folds', { min: 2, max: 20, integer: true })
        const seed = numberFlag(o.seed, '--seed', { min: -(2 ** 31), max: 2 ** 31 - 1, integer: true })
        const r = await api.findSuspects({ folds, seed })
        out.result(
          {
            folds: r.folds,
            images: r.images,
            suspects: r.suspects.map((s) => ({ path: s.path, split: s.split, label: s.label, suggested: s.suggested, score: s.score }))
          },
          () =>
            [
              `${r.suspects.length} suspects among ${r.images} labelled images (${r.folds} folds, ${(r.ms / 1000).toFixed(1)} s)`,
              ...r.suspects.map((s) => `${s.score.toFixed(3)}  ${s.path}  ${s.split}: labelled ${s.label} (${pct(s.labelProb)}), looks like ${s.suggested} (${pct(s.suggestedProb)})`)
            ].join('\n')
        )
      })
    )

  program
    .command('duplicates')
    .description('near-duplicate images (cosine similarity of the cached features) and exact copies; groups across train and valid are leakage')
    .argument('<project>', 'project folder')
    .option('--threshold <x>', 'cosine similarity from 0 to 1 at which images count as near-copies', String(DEFAULT_DUPLICATE_THRESHOLD))
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print one JSON object')
    .action((dir: string, o: { threshold: string; backend: string; json?: boolean }) =>
      withStudio({ json: o.json, project: dir, backend: o.backend }, async ({ api, out }) => {
        const threshold = numberFlag(o.threshold, '--threshold', { min: 0, max: 1 })
        const r = await api.findDuplicates({ threshold })
        out.result(
          {
            threshold: r.threshold,
            images: r.images,
            groups: r.groups.map((g) => ({
              paths: g.images.map((i) => i.path),
              similarity: g.similarity,
              splits: g.splits,
              leakage: g.leakage,
              mixedLabels: g.mixedLabels
            }))
          },
          () => {
            const leaks = r.groups.filter((g) => g.leakage).length
            return [
              `${r.groups.length} groups among ${r.images} images at similarity >= ${r.threshold} (${leaks} across train and valid)`,
              ...r.groups.map(
                (g) => `${g.similarity.toFixed(3)}${g.leakage ? ' LEAK' : ''}${g.mixedLabels ? ' mixed labels' : ''}: ${g.images.map((i) => `${i.path} (${i.split})`).join(', ')}`
              )
            ].join('\n')
          }
        )
      })
    )

  program
    .command('similar')
    .description('the images of the project most like an image (one of the project, or any image file)')
    .argument('<project>', 'project folder')
    .argument('<image>', 'an image file')
    .option('--k <n>', 'how many (1-1000)', '10')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print one JSON object')
    .action((dir: string, image: string, o: { k: string; backend: string; json?: boolean }) =>
      withStudio({ json: o.json, project: dir, backend: o.backend }, async ({ api, out }) => {
        const k = numberFlag(o.k, '--k', { min: 1, max: 1000, integer: true })
        const r = await api.similarImages({ path: path.resolve(image), k })
        out.result({ similar: r.similar.map((s) => ({ path: s.path, similarity: s.similarity })) }, () =>
          r.similar.map((s) => `${s.similarity.toFixed(3)}  ${s.path} (${s.split})`).join('\n')
        )
      })
    )
}
