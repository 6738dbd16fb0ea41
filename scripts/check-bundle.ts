// `npm run check:bundle` (part of `npm test`, after the build): fails when the built main bundle
// or a chunk it loads breaks the thread boundary (scripts/lib/startRequires.ts says what that is).
import fs from 'node:fs'
import path from 'node:path'
import { checkBoundary } from './lib/startRequires'

const outMain = path.resolve(process.argv[2] ?? 'out/main')
for (const f of ['index.js', 'cli.js', 'worker.js']) {
  if (!fs.existsSync(path.join(outMain, f))) {
    console.error(`check-bundle: ${path.join(outMain, f)} is missing: run "npm run build" first`)
    process.exit(1)
  }
}
const violations = checkBoundary(outMain)
for (const v of violations) console.error(`check-bundle: ${v.why}\n  ${v.chain.join(' -> ')} -> require("${v.module}")`)
if (violations.length) process.exit(1)
console.log(`check-bundle: the thread boundary holds in ${path.relative(process.cwd(), outMain) || '.'} (main: no TF.js, no onnxruntime-node, sharp lazily; workers: onnxruntime-node lazily)`)
