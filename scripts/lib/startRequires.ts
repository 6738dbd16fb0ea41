// What a built CommonJS bundle requires, and whether at start or lazily: the thread-boundary check
// on the built output (scripts/check-bundle.ts). A require() outside any function body runs when
// the file loads (start); one inside a function (e.g. rollup's lazy `import()`, which becomes
// `Promise.resolve().then(() => require('x'))`) runs only when that function does. A relative
// require is followed into the chunk it names, carrying the start-or-lazy context along.
import fs from 'node:fs'
import path from 'node:path'
import { parse, type Node } from 'acorn'

export interface Require {
  /** the module as written: 'sharp', '@tensorflow/tfjs', './chunks/x.js' */
  module: string
  /** it runs when its file loads (not inside a function) */
  atStart: boolean
}

const isFunction = (n: Node): boolean => n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression'

/** The literal require() and import() calls of one CommonJS file. */
export function requiresOf(code: string): Require[] {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, allowReturnOutsideFunction: true })
  const found: Require[] = []
  const visit = (node: unknown, inFunction: boolean): void => {
    if (!node || typeof node !== 'object') return
    if (Array.isArray(node)) {
      for (const n of node) visit(n, inFunction)
      return
    }
    const n = node as Node & Record<string, unknown>
    if (typeof n.type !== 'string') return
    // an immediately invoked function runs where it stands
    if (n.type === 'CallExpression' && isFunction(n.callee as Node)) {
      visit((n.callee as unknown as { body: unknown }).body, inFunction)
      visit(n.arguments, inFunction)
      return
    }
    const literal = (arg: unknown): string | null => {
      const a = arg as { type?: string; value?: unknown } | undefined
      return a?.type === 'Literal' && typeof a.value === 'string' ? a.value : null
    }
    if (n.type === 'CallExpression') {
      const callee = n.callee as { type: string; name?: string }
      const mod = callee.type === 'Identifier' && callee.name === 'require' ? literal((n.arguments as unknown[])[0]) : null
      if (mod !== null) found.push({ module: mod, atStart: !inFunction })
    }
    if (n.type === 'ImportExpression') {
      const mod = literal(n.source)
      if (mod !== null) found.push({ module: mod, atStart: false })
    }
    const inside = inFunction || isFunction(n)
    for (const [key, value] of Object.entries(n)) {
      if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue
      visit(value, inside)
    }
  }
  visit(ast, false)
  return found
}

export interface Reached {
  /** a package (or node: builtin) required by a file the entry loads */
  module: string
  /** required when the entry starts, through start-time requires only */
  atStart: boolean
  /** entry -> chunk -> ... -> the file that requires it */
  chain: string[]
}

/** Every package an entry file can require, following its relative requires into chunks. */
export function reachedFrom(entry: string): Reached[] {
  const out: Reached[] = []
  const seen = new Map<string, boolean>() // file -> already visited at start
  const walk = (file: string, atStart: boolean, chain: string[]): void => {
    const before = seen.get(file)
    if (before === true || (before === false && !atStart)) return
    seen.set(file, atStart)
    const here = [...chain, path.basename(path.dirname(file)) === 'chunks' ? `chunks/${path.basename(file)}` : path.basename(file)]
    for (const r of requiresOf(fs.readFileSync(file, 'utf8'))) {
      const start = atStart && r.atStart
      if (r.module.startsWith('.')) {
        const target = path.resolve(path.dirname(file), r.module)
        walk(fs.existsSync(target) ? target : `${target}.js`, start, here)
      } else {
        out.push({ module: r.module, atStart: start, chain: here })
      }
    }
  }
  walk(path.resolve(entry), true, [])
  return out
}

const pkgOf = (module: string): string => (module.startsWith('@') ? module.split('/').slice(0, 2).join('/') : module.split('/')[0]!)
const ENGINE_ONLY = (pkg: string): boolean => pkg.startsWith('@tensorflow/') || pkg === 'onnxruntime-node'

export interface Violation {
  entry: string
  module: string
  chain: string[]
  why: string
}

/**
 * The thread boundary on a built out/main: the main-thread entries (the Electron main process and
 * the CLI, which also runs the browser-mode server) never load TF.js or onnxruntime-node, even
 * lazily, and load sharp only lazily; the engine worker loads onnxruntime-node only lazily.
 */
export function checkBoundary(outMain: string, entries = { main: ['index.js', 'cli.js'], worker: ['worker.js'] }): Violation[] {
  const violations: Violation[] = []
  for (const name of entries.main) {
    for (const r of reachedFrom(path.join(outMain, name))) {
      const pkg = pkgOf(r.module)
      if (ENGINE_ONLY(pkg)) violations.push({ entry: name, module: r.module, chain: r.chain, why: `the main thread loads ${pkg}${r.atStart ? ' at start' : ''}: it belongs in the engine workers` })
      else if (pkg === 'sharp' && r.atStart) violations.push({ entry: name, module: r.module, chain: r.chain, why: 'the main thread loads sharp at start: load it when it first decodes (loadSharp())' })
    }
  }
  for (const name of entries.worker) {
    for (const r of reachedFrom(path.join(outMain, name))) {
      if (pkgOf(r.module) === 'onnxruntime-node' && r.atStart) {
        violations.push({ entry: name, module: r.module, chain: r.chain, why: 'an engine worker loads onnxruntime-node at start: load it on first use (loadOnnxRuntime())' })
      }
    }
  }
  return violations
}
