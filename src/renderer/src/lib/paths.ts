// Path helpers for paths that come from the studio (absolute, in the studio machine's style).
// The renderer has no `node:path`, and in browser mode the studio may run on another OS.

export function separatorOf(path: string): '/' | '\\' {
  return path.includes('\\') && !path.includes('/') ? '\\' : '/'
}

export function joinPath(dir: string, name: string): string {
  const sep = separatorOf(dir)
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`
}

export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean)
  return parts[parts.length - 1] ?? path
}
