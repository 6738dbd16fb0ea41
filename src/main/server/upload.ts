import type http from 'node:http'
import type { UploadResponse } from '../../shared/upload'
import { toErrorInfo } from '../errors'
import { UploadError, receiveUpload } from '../library/upload'
import type { Studio } from '../studio/studio'

function answer(res: http.ServerResponse, status: number, body: UploadResponse, close = false): void {
  if (res.headersSent) return
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(close ? { connection: 'close' } : {})
  })
  res.end(JSON.stringify(body))
}

/** POST /upload?path=<below uploads/>: one file, its bytes as the body, into the open project.
 * The caller has checked the Host, the token and the Origin already. */
export async function handleUpload(studio: Studio, req: http.IncomingMessage, res: http.ServerResponse, url: URL, maxBytes?: number): Promise<void> {
  const refuse = (status: number, code: string, message: string): void => {
    // the rest of the body is read and dropped, so the client gets this answer instead of a reset
    req.resume()
    answer(res, status, { ok: false, error: { code, message } }, true)
  }
  if (req.method !== 'POST') return refuse(405, 'METHOD', 'an upload is a POST of the file')
  const project = studio.maybeProject()
  if (!project) return refuse(409, 'NO_PROJECT', 'Open a project first: uploads go into the open project.')
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length'])
  try {
    const file = await receiveUpload(project, url.searchParams.get('path') ?? '', req, { declaredBytes: declared, ...(maxBytes ? { maxBytes } : {}) })
    answer(res, 200, { ok: true, file })
  } catch (err) {
    const status = err instanceof UploadError ? err.status : 500
    refuse(status, toErrorInfo(err).code, toErrorInfo(err).message)
  }
}
