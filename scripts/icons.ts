// `npm run icons`: renders resources/icon.svg into resources/icons/ (PNG 16-1024, icon.ico,
// icon.icns; scripts/lib/icons.ts). Run by `npm run build`, so `npm start`, `npm run dist` and
// the release workflow always package icons made from the current SVG; the files are built, not
// committed (.gitignore). `--force` renders even when the folder is up to date.
import path from 'node:path'
import { renderIcons } from './lib/icons'

const root = path.resolve(__dirname, '..')
renderIcons(path.join(root, 'resources/icon.svg'), path.join(root, 'resources/icons'), { force: process.argv.includes('--force') }).then(
  (out) => {
    if (out.rendered) console.log(`icons: rendered ${out.files.length} files from resources/icon.svg into resources/icons/`)
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  }
)
