import { accessSync, constants, statSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { type GlobEntry, globby } from 'globby'
import { OWN_OUTPUT_FILES } from '../constants.js'
import { errors, P2pcdnError } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import type { Warning } from '../warnings.js'
import { walkTree } from './walk-tree.js'

/** A file that will be published as an asset. */
export interface ScannedAsset {
  /** Path relative to the site folder, `/`-separated. */
  path: string
  /** Absolute path of the bytes to read (a symlink's target, once resolved). */
  source: string
  /** Size in bytes at scan time. */
  size: number
  /** Modification and access times at scan time (ms since the epoch, fractional). */
  mtimeMs: number
  atimeMs: number
  /** Change time and inode at scan time: with size and mtime, what tells a changed file (see `Fingerprint`). */
  ctimeMs: number
  ino: number
}

/** A file or link that is copied to the output as it is, but is not an asset. */
export interface CopiedEntry {
  path: string
  /** `link` entries are recreated as links with the same target text. */
  kind: 'file' | 'link'
}

export interface ScanResult {
  /** The assets, sorted by path. */
  assets: ScannedAsset[]
  /** Files the output keeps that are not assets (excluded, dotfiles, …), sorted by path. */
  others: CopiedEntry[]
  /**
   * The site's folders that hold no asset and no other such folder (empty ones, or ones holding
   * only dotfiles or excluded files), sorted: empty directories of the site's tree, as
   * `ipfs add -r` keeps them.
   */
  directories: string[]
  /** Total size of the assets. */
  bytes: number
  warnings: Warning[]
}

export type ScanOptions = Pick<ResolvedOptions, 'dir' | 'include' | 'exclude' | 'dotfiles' | 'signal'>

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

const isInside = (parent: string, child: string) => {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

function globError(dir: string, cause: unknown): P2pcdnError {
  const err = cause as NodeJS.ErrnoException
  if (err?.code === 'ELOOP') return errors.symlinkLoop(err.path ?? dir)
  return errors.unreadable(err?.path ?? dir, cause)
}

/**
 * Resolves one symlink met in the site and checks it: it must resolve (no
 * loop), stay inside the site, and not point at one of its own ancestors.
 */
async function checkSymlink(
  rootReal: string,
  dir: string,
  rel: string,
): Promise<{ target: string; isDir: boolean }> {
  const link = path.join(dir, rel)
  let target: string
  try {
    target = await fs.realpath(link)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ELOOP') throw errors.symlinkLoop(link)
    if (code === 'ENOENT') {
      throw new P2pcdnError(
        'ERR_FILE_UNREADABLE',
        `The symlink ${link} points to ${await fs.readlink(link).catch(() => '?')}, which does not exist. Fix or remove the link, or exclude it with the \`exclude\` option.`,
      )
    }
    throw errors.unreadable(link, cause)
  }
  if (!isInside(rootReal, target)) throw errors.symlinkOutside(link, target, dir)
  const stat = await fs.stat(target)
  if (stat.isDirectory()) {
    const parentReal = await fs.realpath(path.dirname(link))
    if (isInside(target, parentReal)) throw errors.symlinkLoop(link)
  }
  return { target, isDir: stat.isDirectory() }
}

// Metadata calls run synchronously: for thousands of small files the thread
// pool round trip of the async calls costs more than the calls themselves.
function checkReadable(file: string): void {
  try {
    accessSync(file, constants.R_OK)
  } catch (cause) {
    throw errors.unreadable(file, cause)
  }
}

/** An asset found by the listing, its size, times and inode read once every asset is known. */
const unstatted = (relPath: string, source: string): ScannedAsset => ({
  path: relPath,
  source,
  size: 0,
  mtimeMs: 0,
  atimeMs: 0,
  ctimeMs: 0,
  ino: 0,
})

/** The site folders with no asset beneath them and no site folder inside them. */
function emptyDirectories(siteDirs: Set<string>, assetDirs: Set<string>): string[] {
  const parents = new Set([...siteDirs].map((d) => path.posix.dirname(d)))
  return [...siteDirs].filter((d) => !assetDirs.has(d) && !parents.has(d)).sort()
}

/**
 * Lists the site's files. Assets are the files matched by `include`, not by
 * `exclude`, and not dotfiles unless `dotfiles` is set; symlinks among them are
 * followed once checked. Everything else (and never publish's own output
 * files) is listed in `others`, to be copied to the output unchanged.
 *
 * Throws a `P2pcdnError` naming the path for an unreadable file, a symlink
 * loop, or a symlink that leaves the site.
 */
export async function scanSite(options: ScanOptions): Promise<ScanResult> {
  const { dir, signal } = options
  const rootReal = await fs.realpath(dir)
  // Root-level names only: a pattern without `**/` matches at the cwd alone.
  const ownFiles = [...OWN_OUTPUT_FILES]
  const common = {
    cwd: dir,
    followSymbolicLinks: false,
    onlyFiles: false,
    objectMode: true as const,
    suppressErrors: false,
  }

  // Pass 1: the asset candidates, without following any link.
  let candidates: GlobEntry[]
  try {
    candidates = await globby(options.include, {
      ...common,
      ignore: [...options.exclude, ...ownFiles],
      dot: options.dotfiles,
    })
  } catch (cause) {
    throw globError(dir, cause)
  }
  signal?.throwIfAborted()

  const assets = new Map<string, ScannedAsset>()
  const siteDirs = new Set<string>()
  let needsFollow = false
  for (const entry of candidates) {
    if (entry.dirent.isDirectory()) siteDirs.add(entry.path.replace(/\/$/, ''))
    else if (entry.dirent.isFile()) {
      const source = path.join(dir, entry.path)
      assets.set(entry.path, unstatted(entry.path, source))
    } else if (entry.dirent.isSymbolicLink()) {
      const { target, isDir } = await checkSymlink(rootReal, dir, entry.path)
      if (isDir) needsFollow = true
      else assets.set(entry.path, unstatted(entry.path, target))
    }
  }

  // Pass 2: only when a checked link leads to a folder, list again following links.
  if (needsFollow) {
    let followed: GlobEntry[]
    try {
      followed = await globby(options.include, {
        ...common,
        followSymbolicLinks: true,
        onlyFiles: true,
        ignore: [...options.exclude, ...ownFiles],
        dot: options.dotfiles,
      })
    } catch (cause) {
      throw globError(dir, cause)
    }
    for (const entry of followed) {
      if (assets.has(entry.path)) continue
      const source = await fs.realpath(path.join(dir, entry.path))
      if (!isInside(rootReal, source)) throw errors.symlinkOutside(path.join(dir, entry.path), source, dir)
      assets.set(entry.path, unstatted(entry.path, source))
    }
  }

  // Sizes, and readability, of every asset.
  let bytes = 0
  for (const asset of assets.values()) {
    signal?.throwIfAborted()
    checkReadable(asset.source)
    const stat = statSync(asset.source)
    asset.size = stat.size
    asset.mtimeMs = stat.mtimeMs
    asset.atimeMs = stat.atimeMs
    asset.ctimeMs = stat.ctimeMs
    asset.ino = stat.ino
    bytes += stat.size
  }

  // Everything else in the folder is carried over to the output as it is.
  const assetDirs = new Set<string>()
  for (const p of assets.keys()) {
    for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) assetDirs.add(d)
  }
  const others: CopiedEntry[] = []
  try {
    for await (const entry of walkTree(dir, { dot: true })) {
      if (/[\r\n]/.test(entry.path)) throw errors.lineBreakInName(path.join(dir, entry.path))
      if (assets.has(entry.path) || OWN_OUTPUT_FILES.includes(entry.path)) continue
      if (entry.kind === 'link') {
        // A followed link to a folder is materialised by the assets beneath it.
        if (!assetDirs.has(entry.path)) others.push({ path: entry.path, kind: 'link' })
      } else if (entry.kind === 'file') {
        checkReadable(path.join(dir, entry.path))
        others.push({ path: entry.path, kind: 'file' })
      }
    }
  } catch (cause) {
    if (cause instanceof P2pcdnError) throw cause
    throw globError(dir, cause)
  }

  return {
    assets: [...assets.values()].sort(byPath),
    others: others.sort(byPath),
    directories: emptyDirectories(siteDirs, assetDirs),
    bytes,
    warnings: [],
  }
}
