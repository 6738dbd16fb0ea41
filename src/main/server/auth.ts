// Who may talk to browser mode. Every request that reads data, reads media, opens the WebSocket
// or uploads passes through `check` here (one function, reused by every endpoint):
// - Host must name this server (DNS rebinding: evil.example resolving to 127.0.0.1);
// - Origin, when the client sends one, must be the studio's own: a page on another origin that
//   learned the URL (history, a screenshot) cannot drive the studio. Clients without Origin
//   (the CLI, scripts, curl) are allowed, they hold the token;
// - the token, from the session cookie (set on the first load, HttpOnly, SameSite=Strict), the
//   `token` query parameter (first load, scripts) or an `x-thaw-token` header.
// The first load's URL carries the token; the server trades it for the cookie and redirects to
// the bare URL, so the token is no longer in the address bar, the history or a Referer.
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export type Refusal = { ok: false; status: 401 | 403; reason: string }
export type Verdict = { ok: true } | Refusal

export interface CheckOptions {
  /** the request must carry the token (every endpoint but the static page) */
  token: boolean
}

export interface RequestGuard {
  readonly token: string
  /** Host names this server */
  hostAllowed(host: string | undefined): boolean
  /** Origin absent, or the studio's own (same scheme-less host the request was addressed to) */
  originAllowed(origin: string | undefined, host: string | undefined): boolean
  /** the request's token equals ours (constant time) */
  hasToken(req: IncomingMessage): boolean
  /** the whole check: Host, then Origin, then (when asked) the token */
  check(req: IncomingMessage, opts: CheckOptions): Verdict
  /** Set-Cookie value that holds the token for this server's port */
  sessionCookie(): string
  /** the cookie's name (per port: cookies do not tell ports apart, two studios must not clash) */
  cookieName(): string
}

export function sameSecret(given: string | null | undefined, secret: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  return out
}

export function createGuard(opts: { token: string; host: string; port: () => number }): RequestGuard {
  const hosts = (): string[] => {
    const port = opts.port()
    return [`127.0.0.1:${port}`, `localhost:${port}`, `${opts.host}:${port}`, `[::1]:${port}`]
  }
  const cookieName = (): string => `thaw_token_${opts.port()}`
  const guard: RequestGuard = {
    token: opts.token,
    hostAllowed: (host) => !!host && hosts().includes(host.toLowerCase()),
    originAllowed: (origin, host) => {
      if (origin === undefined) return true
      if (!host || !guard.hostAllowed(host)) return false
      const own = host.toLowerCase()
      return origin.toLowerCase() === `http://${own}` || origin.toLowerCase() === `https://${own}`
    },
    hasToken: (req) => {
      // any of the places may hold it: a stale cookie of an earlier run must not hide a fresh URL
      const url = new URL(req.url ?? '/', 'http://x')
      const header = req.headers['x-thaw-token']
      return [cookies(req.headers.cookie).get(cookieName()), url.searchParams.get('token'), typeof header === 'string' ? header : null].some(
        (t) => sameSecret(t, opts.token)
      )
    },
    check: (req, { token }) => {
      const host = req.headers.host
      if (!guard.hostAllowed(host)) return { ok: false, status: 403, reason: 'forbidden host' }
      const origin = req.headers.origin
      if (!guard.originAllowed(origin, host)) return { ok: false, status: 403, reason: `forbidden origin ${origin ?? ''}`.trim() }
      if (token && !guard.hasToken(req)) return { ok: false, status: 401, reason: 'missing or wrong token' }
      return { ok: true }
    },
    sessionCookie: () => `${cookieName()}=${opts.token}; HttpOnly; SameSite=Strict; Path=/`,
    cookieName
  }
  return guard
}
