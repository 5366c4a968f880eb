/**
 * Which site a pin belongs to. Hosts keep one pin per name and a push replaces the earlier pin of
 * its name, so the default name must tell two sites apart (two sites may share an origin) and stay
 * the same across a site's re-publishes, including from a fresh CI clone where the earlier output
 * is gone. So it is derived, never stored: from the repository the site's published folder is in
 * (its `origin` remote, as `host/path`, the same for an SSH and an HTTPS clone), the folder's path
 * inside that repository (inside `cwd`, the config file's folder, outside a repository) and the
 * site's first origin. The id also goes into each pin's meta, so that a pin of the same name made
 * by another site is recognised and left alone unless `siteName` names it explicitly.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/** The key of a pin's meta that holds the site id (Pinning Service API `meta`, Cluster `metadata`). */
export const SITE_META_KEY = 'p2pcdn_site'

export interface SiteIdentity {
  /** 16 hex digits: SHA-256 of the repository, the folder's path in it and the first origin. */
  id: string
  /** The default pin name: the origin's host name (else the published folder's name) and 8 digits of the id. */
  name: string
  /** What the id was derived from. */
  repository: string | undefined
  path: string
  origin: string | undefined
}

export interface SiteIdentityOptions {
  /** The published folder (the output, or the site folder with `inPlace`). */
  folder: string
  /** The base of the path when the folder is in no repository: the config file's folder. */
  cwd: string
  /** The site's first origin, if any. */
  origin?: string | undefined
}

/**
 * The site's identity and default pin name, e.g. `www.example.com-3f9a1c0b`.
 *
 * @example
 * ```ts
 * siteIdentity({ folder: '/src/blog/dist-p2p', cwd: '/src/blog', origin: 'https://www.example.com' })
 * // { id: '3f9a1c0b…', name: 'www.example.com-3f9a1c0b', repository: 'github.com/acme/blog', path: 'dist-p2p', … }
 * ```
 */
export function siteIdentity(options: SiteIdentityOptions): SiteIdentity {
  const folder = path.resolve(options.folder)
  const repo = findRepository(folder)
  const base = repo?.root ?? path.resolve(options.cwd)
  const relative = path.relative(base, folder).split(path.sep).join('/') || '.'
  const origin = options.origin
  const id = createHash('sha256')
    .update(JSON.stringify([repo?.remote ?? null, relative, origin ?? null]))
    .digest('hex')
    .slice(0, 16)
  const label = origin ? new URL(origin).hostname : path.basename(folder)
  return { id, name: `${label}-${id.slice(0, 8)}`, repository: repo?.remote, path: relative, origin }
}

/**
 * A git remote URL as `host/path`, lower-case host, without scheme, user, password, port or
 * `.git`: `git@github.com:acme/blog.git`, `https://token@github.com/acme/blog` and
 * `ssh://git@github.com:22/acme/blog.git` are all `github.com/acme/blog`.
 */
export function normaliseRemote(url: string): string {
  const trimmed = url.trim()
  let host = ''
  let rest = trimmed
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.*)$/.exec(trimmed)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    try {
      const parsed = new URL(trimmed)
      host = parsed.hostname.toLowerCase()
      rest = decodeURIComponent(parsed.pathname)
    } catch {}
  } else if (scp?.[1] && scp[2] !== undefined) {
    host = scp[1].toLowerCase()
    rest = scp[2]
  }
  rest = rest
    .replace(/\\/g, '/')
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/, '')
  return host ? `${host}/${rest}` : rest
}

/** The git work tree holding `folder` (walking up; `folder` need not exist yet) and its remote. */
function findRepository(folder: string): { root: string; remote: string | undefined } | undefined {
  for (let dir = folder; ; ) {
    const dotGit = path.join(dir, '.git')
    let gitDir: string | undefined
    try {
      const stat = fs.statSync(dotGit)
      if (stat.isDirectory()) gitDir = dotGit
      else {
        // A worktree or submodule: `.git` is a file saying `gitdir: <path>`.
        const pointer = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'))?.[1]
        if (pointer) gitDir = path.resolve(dir, pointer.trim())
      }
    } catch {}
    if (gitDir !== undefined) return { root: dir, remote: readRemote(gitDir) }
    const up = path.dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}

/** The URL of the `origin` remote (else the first one) in a git directory's config. */
function readRemote(gitDir: string): string | undefined {
  let common = gitDir
  try {
    common = path.resolve(gitDir, fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim())
  } catch {}
  let text: string
  try {
    text = fs.readFileSync(path.join(common, 'config'), 'utf8')
  } catch {
    return undefined
  }
  const remotes = new Map<string, string>()
  let section: string | undefined
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\s*remote\s+"([^"]*)"\s*\]/.exec(line)
    if (header) section = header[1]
    else if (/^\s*\[/.test(line)) section = undefined
    else if (section !== undefined && !remotes.has(section)) {
      const url = /^\s*url\s*=\s*(.+?)\s*$/i.exec(line)?.[1]
      if (url) remotes.set(section, url.replace(/^"(.*)"$/, '$1'))
    }
  }
  const url = remotes.get('origin') ?? remotes.values().next().value
  return url === undefined ? undefined : normaliseRemote(url)
}
