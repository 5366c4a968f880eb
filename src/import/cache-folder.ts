import fs from 'node:fs/promises'
import path from 'node:path'
import type { ProfileName } from '../constants.js'
import { INDEX_VERSION, type IndexFileBody } from './file-index.js'

/** One site's index in the cache folder. */
export interface CachedSite {
  /** The index file. */
  file: string
  /** The site folder it describes, and under which profile; `undefined` for an unreadable or old-format index. */
  dir: string | undefined
  profile: ProfileName | undefined
  /** Files it remembers, and their total size (the bytes it spares a re-publish from reading). */
  files: number
  bytes: number
  /** Size of the index file itself. */
  size: number
  /** When a publish last wrote it (ms since the epoch). */
  lastUsed: number
}

/** What the cache folder holds. */
export interface CacheUsage {
  cacheDir: string
  /** Least recently used first. */
  sites: CachedSite[]
  /** Sum of the index files' sizes. */
  size: number
  /** The block store earlier versions kept (`blocks/`, a second copy of every site): its size, when present. */
  legacyBlocks: { path: string; size: number } | undefined
}

async function folderSize(dir: string): Promise<number> {
  let total = 0
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.lstat(path.join(entry.parentPath, entry.name))).size
  }
  return total
}

async function statSite(file: string): Promise<CachedSite> {
  const stat = await fs.stat(file)
  return {
    file,
    dir: undefined,
    profile: undefined,
    files: 0,
    bytes: 0,
    size: stat.size,
    lastUsed: stat.mtimeMs,
  }
}

async function readSite(file: string): Promise<CachedSite> {
  const site = await statSite(file)
  try {
    const body = JSON.parse(await fs.readFile(file, 'utf8')) as IndexFileBody
    if (body.version !== INDEX_VERSION) return site
    const entries = Object.values(body.entries ?? {})
    return {
      ...site,
      dir: body.dir,
      profile: body.profile,
      files: entries.length,
      bytes: entries.reduce((n, e) => n + e.size, 0),
    }
  } catch {
    return site
  }
}

/** The sites' indexes, least recently used first; `read` opens each to tell what it describes. */
async function listSites(cacheDir: string, read: boolean): Promise<CachedSite[]> {
  const names = await fs.readdir(path.join(cacheDir, 'index')).catch(() => [] as string[])
  const files = names.filter((n) => n.endsWith('.json')).map((n) => path.join(cacheDir, 'index', n))
  const sites = await Promise.all(files.map((f) => (read ? readSite(f) : statSite(f)).catch(() => undefined)))
  return sites.filter((s) => s !== undefined).sort((a, b) => a.lastUsed - b.lastUsed)
}

/** Lists the cache folder: each site's index (least recently used first) and any legacy block store. */
export async function cacheUsage(cacheDir: string): Promise<CacheUsage> {
  const sites = await listSites(cacheDir, true)
  const legacy = path.join(cacheDir, 'blocks')
  const legacyBlocks = await folderSize(legacy).then(
    (size) => ({ path: legacy, size }),
    () => undefined,
  )
  return { cacheDir, sites, size: sites.reduce((n, s) => n + s.size, 0), legacyBlocks }
}

export interface PruneResult {
  removed: CachedSite[]
  /** The legacy block store was removed. */
  removedLegacy: boolean
  /** Size of what is left. */
  size: number
}

/**
 * Keeps the cache folder under `maxBytes`: removes the least recently used sites' indexes until
 * the rest fits (never `keep`, the index a publish just wrote), the legacy block store of earlier
 * versions, and stray temporary files. `maxBytes: 0` empties it.
 */
export async function pruneCache(cacheDir: string, maxBytes: number, keep?: string): Promise<PruneResult> {
  const indexDir = path.join(cacheDir, 'index')
  for (const name of await fs.readdir(indexDir).catch(() => [] as string[])) {
    if (name.endsWith('.tmp')) await fs.rm(path.join(indexDir, name), { force: true })
  }
  const legacy = path.join(cacheDir, 'blocks')
  const removedLegacy = await fs.stat(legacy).then(
    () => true,
    () => false,
  )
  if (removedLegacy) await fs.rm(legacy, { recursive: true, force: true })
  const sites = await listSites(cacheDir, false)
  let size = sites.reduce((n, s) => n + s.size, 0)
  const removed: CachedSite[] = []
  for (const site of sites) {
    if (size <= maxBytes) break
    if (site.file === keep) continue
    await fs.rm(site.file, { force: true })
    removed.push(site)
    size -= site.size
  }
  return { removed, removedLegacy, size }
}
