// The Linux desktop entry the .deb and AppImage install, computed by electron-builder's own code
// from electron-builder.yml and package.json (the targets themselves download tools from GitHub
// and cannot run here).
import fs from 'node:fs'
import path from 'node:path'
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config'
import { LinuxTargetHelper } from 'app-builder-lib/out/targets/LinuxTargetHelper'
import { DebugLogger } from 'builder-util'
import { describe, expect, it } from 'vitest'

const root = path.join(__dirname, '../..')

async function desktopEntry(): Promise<{ entry: Record<string, string>; fileName: string }> {
  const config = await getConfig(root, null, null)
  await validateConfiguration(config, new DebugLogger())
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { description: string; version: string }
  // the parts of electron-builder's Packager that the desktop entry reads
  const packager = {
    appInfo: { productName: 'Thaw Studio', sanitizedProductName: 'Thaw Studio', productFilename: 'Thaw Studio', description: pkg.description, version: pkg.version },
    executableName: config.executableName,
    info: { metadata: pkg },
    platformSpecificBuildOptions: config.linux,
    fileAssociations: [],
    config
  }
  const helper = new LinuxTargetHelper(packager as never)
  const text = await helper.computeDesktopEntry(config.linux!)
  const lines = text.split('\n')
  expect(lines[0]).toBe('[Desktop Entry]')
  const entry = Object.fromEntries(lines.slice(1).filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  return { entry, fileName: helper.getDesktopFileName() }
}

describe('the Linux desktop entry', () => {
  it('names the app, uses its icon, and matches the running window', async () => {
    const { entry, fileName } = await desktopEntry()
    expect(entry.Name).toBe('Thaw Studio')
    expect(entry.GenericName).toBe('Image Classifier Studio')
    // the hicolor icons electron-builder installs from resources/icons/png are named after the executable
    expect(entry.Icon).toBe('thaw-studio')
    // package.json's desktopName is Electron's app_id / WM_CLASS: docks link the window to this entry
    expect(entry.StartupWMClass).toBe('thaw-studio')
    expect(fileName).toBe('thaw-studio')
    expect(entry.Categories).toBe('Science;')
    expect(entry.Comment).toMatch(/deployable image classifier/)
  })

  it('hands a folder to the app (%U) and offers it for folders', async () => {
    const { entry } = await desktopEntry()
    expect(entry.Exec).toBe('"/opt/Thaw Studio/thaw-studio" %U')
    expect(entry.MimeType).toBe('inode/directory;')
  })
})
