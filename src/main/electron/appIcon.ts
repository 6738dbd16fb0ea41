import fs from 'node:fs'
import path from 'node:path'
import { app } from 'electron'

/** The 512 px icon for the window and the About panel, rendered from resources/icon.svg by
 * `npm run icons`: packaged, electron-builder copies it beside app.asar (extraResources,
 * electron-builder.yml); from a checkout it is in resources/icons/. Undefined when it was never
 * rendered (Electron's own icon shows; the app works the same). */
export function appIconPath(): string | undefined {
  const file = app.isPackaged ? path.join(process.resourcesPath, 'icon.png') : path.join(app.getAppPath(), 'resources/icons/png/512x512.png')
  return fs.existsSync(file) ? file : undefined
}
