import { app } from 'electron'

/** electron-builder.yml's appId. Windows ties the jump list and taskbar entries to the installer's
 * shortcuts by this id (their AppUserModelID), so the running app must use the same one. */
export const APP_ID = 'org.thawstudio.studio'

export function setupAppId(): void {
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID)
}

/** The About panel (the app menu's About on macOS, Help > About elsewhere): name, version,
 * Electron's version, icon. */
export function setupAboutPanel(iconPath: string | undefined): void {
  app.setAboutPanelOptions({
    applicationName: 'Thaw Studio',
    applicationVersion: app.getVersion(),
    // macOS shows it in brackets after the version; Linux and Windows beside it
    version: `Electron ${process.versions.electron ?? '?'}`,
    copyright: 'Copyright © Thaw Studio authors. Apache-2.0.',
    credits: 'Image classifiers from your own pictures: precompute, train a head, thaw the backbone in stages, export.',
    ...(iconPath ? { iconPath } : {})
  })
}
