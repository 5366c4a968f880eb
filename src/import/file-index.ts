import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CID } from 'multiformats/cid'
import type { ProfileName } from '../constants.js'
import { P2pcdnError } from '../errors.js'
import type { FileLayout } from './source-blocks.js'

/**
 * What a file looked like when it was imported. Any change to its bytes changes its ctime (which
 * nothing can set back, unlike the mtime) or its inode (a file written anew): the check git's
 * index makes.
 */
export interface Fingerprint {
  size: number
  /** Whole milliseconds. */
  mtimeMs: number
  ctimeMs: number
  ino: number
}

/** What the index remembers about one imported file. */
export interface IndexedFile extends Fingerprint {
  cid: string
  dagSize: string
  integrity: string
  /** The file's leaves as `[cid, offset, length, pre?, post?]` (base64 envelopes); absent for a single raw leaf, the whole file. */
  leaves?: [string, number, number, string?, string?][]
  /** The file's inner nodes as `[cid, bytes in base64]`. */
  nodes?: [string, string][]
}

export const INDEX_VERSION = 2

export interface IndexFileBody {
  version: number
  dir: string
  profile: ProfileName
  /** SHA-256 (hex) of `JSON.stringify(entries)`: an index damaged on disk is dropped, never trusted. */
  sha256: string
  entries: Record<string, IndexedFile>
}

const digestOf = (entries: Record<string, IndexedFile>) =>
  createHash('sha256').update(JSON.stringify(entries)).digest('hex')

/**
 * The index of the files already imported from one site folder under one profile: their CIDs,
 * SRI digests and DAG layouts, never their bytes (leaves are read back from the site's files when
 * a CAR or a host needs them). An entry is used only while its file's fingerprint is unchanged.
 */
export interface FileIndex {
  /** The entry for `relPath`, if its fingerprint still matches. */
  lookup(relPath: string, now: Fingerprint): IndexedFile | undefined
  /** Whether the index knows `relPath` with this fingerprint (the file is as the last run saw it). */
  matches(relPath: string, now: Fingerprint): boolean
  /** Remembers a freshly imported file for the next run. */
  record(relPath: string, entry: IndexedFile): void
  /**
   * Takes a known file's new fingerprint when only its metadata changed (publish `inPlace` links
   * the site's files into the new output, which changes their ctime, not their bytes).
   */
  refresh(relPath: string, now: Fingerprint): void
  /** Forgets every entry (after a file was found changed behind its fingerprint). */
  forgetAll(): void
  /** Writes the entries this run looked up or recorded (temporary file, then rename). */
  save(): Promise<void>
}

export interface OpenFileIndexOptions {
  /** Cache folder, or `false` for none (nothing is remembered). */
  cacheDir: string | false
  /** The site folder, as an absolute path. */
  dir: string
  profile: ProfileName
  /** Read the index but never write it (a dry run). */
  readOnly?: boolean
}

/** Where the index of `dir` under `profile` lives in the cache folder. */
export function indexPath(cacheDir: string, dir: string, profile: ProfileName): string {
  const key = createHash('sha256').update(`${dir}\0${profile}`).digest('hex').slice(0, 32)
  return path.join(cacheDir, 'index', `${key}.json`)
}

async function readIndex(file: string, dir: string, profile: ProfileName): Promise<Map<string, IndexedFile>> {
  let parsed: IndexFileBody
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8')) as IndexFileBody
  } catch {
    // No index yet, or an unreadable one: start afresh rather than trust it.
    return new Map()
  }
  if (parsed?.version !== INDEX_VERSION || parsed.dir !== dir || parsed.profile !== profile) return new Map()
  if (typeof parsed.entries !== 'object' || parsed.sha256 !== digestOf(parsed.entries)) return new Map()
  return new Map(Object.entries(parsed.entries))
}

const sameFingerprint = (a: Fingerprint, b: Fingerprint) =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino

/** Opens the index of one site folder (empty when there is none, or no cache folder). */
export async function openFileIndex(options: OpenFileIndexOptions): Promise<FileIndex> {
  const { cacheDir, dir, profile } = options
  const file = cacheDir === false ? undefined : indexPath(cacheDir, dir, profile)
  // Made now, so an unusable cache folder fails the run before anything is written.
  if (file !== undefined && options.readOnly !== true) {
    await fs.mkdir(path.dirname(file), { recursive: true }).catch((cause) => {
      throw new P2pcdnError(
        'ERR_CACHE',
        `Cannot create the cache folder ${cacheDir}: ${(cause as NodeJS.ErrnoException).code}. Pass a writable folder with --cache-dir, or --no-cache.`,
        { cause },
      )
    })
  }
  const entries = file === undefined ? new Map<string, IndexedFile>() : await readIndex(file, dir, profile)
  const used = new Set<string>()
  return {
    lookup(relPath, now) {
      const entry = entries.get(relPath)
      if (entry === undefined || !sameFingerprint(entry, now)) return undefined
      used.add(relPath)
      return entry
    },
    matches(relPath, now) {
      const entry = entries.get(relPath)
      return entry !== undefined && sameFingerprint(entry, now)
    },
    record(relPath, entry) {
      entries.set(relPath, entry)
      used.add(relPath)
    },
    refresh(relPath, now) {
      const entry = entries.get(relPath)
      if (entry !== undefined) entries.set(relPath, { ...entry, ...now })
    },
    forgetAll() {
      entries.clear()
    },
    async save() {
      if (file === undefined || options.readOnly === true) return
      // Only what this run used: files gone from the site leave the index.
      const kept = Object.fromEntries([...entries].filter(([relPath]) => used.has(relPath)))
      const body: IndexFileBody = {
        version: INDEX_VERSION,
        dir,
        profile,
        sha256: digestOf(kept),
        entries: kept,
      }
      try {
        await fs.mkdir(path.dirname(file), { recursive: true })
        const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
        await fs.writeFile(tmp, JSON.stringify(body))
        await fs.rename(tmp, file)
      } catch (cause) {
        throw new P2pcdnError(
          'ERR_CACHE',
          `Cannot write the cache index ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}. Pass a writable folder with --cache-dir, or --no-cache.`,
          { cause },
        )
      }
    },
  }
}

const b64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'))

/** A file's layout as the index stores it (nothing for a single raw leaf: the file is its block). */
export function layoutToIndex(
  cid: CID,
  size: number,
  layout: FileLayout,
): Pick<IndexedFile, 'leaves' | 'nodes'> {
  const [only] = layout.leaves
  const single = layout.leaves.length === 1 && layout.nodes.length === 0 && only !== undefined
  if (single && only.cid.equals(cid) && !only.pre && !only.post && only.length === size) return {}
  return {
    leaves: layout.leaves.map((l) => {
      const row: [string, number, number, string?, string?] = [l.cid.toString(), l.offset, l.length]
      if (l.pre || l.post) row.push(b64(l.pre ?? new Uint8Array(0)), b64(l.post ?? new Uint8Array(0)))
      return row
    }),
    nodes: layout.nodes.map((n) => [n.cid.toString(), b64(n.bytes)]),
  }
}

/** The layout of an indexed file, or `undefined` when the entry is not readable (then it is imported again). */
export function layoutFromIndex(entry: IndexedFile, cid: CID): FileLayout | undefined {
  try {
    if (entry.leaves === undefined) return { leaves: [{ cid, offset: 0, length: entry.size }], nodes: [] }
    return {
      leaves: entry.leaves.map(([leaf, offset, length, pre, post]) => ({
        cid: CID.parse(leaf),
        offset,
        length,
        ...(pre ? { pre: unb64(pre) } : {}),
        ...(post ? { post: unb64(post) } : {}),
      })),
      nodes: (entry.nodes ?? []).map(([node, bytes]) => ({ cid: CID.parse(node), bytes: unb64(bytes) })),
    }
  } catch {
    return undefined
  }
}
