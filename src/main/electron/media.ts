import { protocol } from 'electron'
import { readMedia } from '../media/media'
import type { Studio } from '../studio/studio'

export const MEDIA_SCHEME = 'thaw-media'

/** Must run before the app is ready. */
export function registerMediaScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }])
}

/** thaw-media://media/thumb/<hash> and thaw-media://media/image/<id>: the same media as browser mode. */
export function setupMediaProtocol(studio: Studio): void {
  protocol.handle(MEDIA_SCHEME, async (req) => {
    const match = /^\/(thumb|image)\/([^/]+)$/.exec(new URL(req.url).pathname)
    const project = studio.maybeProject()
    if (!match || !project) return new Response('not found', { status: 404 })
    try {
      const m = await readMedia(project, match[1]!, match[2]!)
      return new Response(new Uint8Array(m.body), { headers: { 'content-type': m.contentType } })
    } catch (err) {
      return new Response((err as Error).message, { status: 404 })
    }
  })
}
