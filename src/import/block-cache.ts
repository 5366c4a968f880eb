import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { NextToLast } from 'blockstore-fs/sharding'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import type { ProfileName } from '../constants.js'
import { P2pcdnError } from '../errors.js'
import { blockKey } from '../utils/block-key.js'

/** What the cache remembers about one imported file. */
export interface CacheEntry {
  /** File size and modification time (whole ms) when it was imported: the key's fingerprint. */
  size: number
  mtimeMs: number
  cid: string
  dagSize: string
  integrity: string
}

const INDEX_VERSION = 1
/** Blocks up to this size are read and written synchronously. */
const SYNC_IO_LIMIT = 64 * 1024

interface IndexFile {
  version: number
  dir: string
  profile: ProfileName
  entries: Record<string, CacheEntry>
}

/**
 * A persistent block store plus an index of the files already imported from
 * one site folder under one profile. An index entry is only used when the file's
 * size and mtime still match and its root block is present; every block is
 * hashed again when it is read into the CAR, so a damaged cache is caught and
 * repaired (see `publish`), never trusted blindly.
 */
export interface BlockCache {
  blockstore: Pick<Blockstore, 'put' | 'get' | 'has' | 'delete'>
  /** True for a block this run computed from the source bytes and wrote itself: no need to hash it again. */
  isFresh(cid: CID): boolean
  /** From now on, rewrite blocks even when the store already has them (after damage was found). */
  repair(): void
  /** The remembered entry for `relPath`, if its fingerprint still matches. */
  lookup(relPath: string, size: number, mtimeMs: number): CacheEntry | undefined
  /** Remembers a freshly imported file for the next run. */
  record(relPath: string, entry: CacheEntry): void
  /** Forgets every entry (after damage was found). */
  forgetAll(): void
  /** Writes the index of the files this run looked up or recorded (temporary file, then rename). A no-op for throw-away caches. */
  save(): Promise<void>
  /** Closes the store; removes it when it was a throw-away one. */
  close(): Promise<void>
}

export interface OpenBlockCacheOptions {
  /** Cache folder, or `false` for a throw-away store removed on close. */
  cacheDir: string | false
  /** The site folder, as an absolute path (the index is per folder and profile). */
  dir: string
  profile: ProfileName
  /** Read the cache but write nothing: blocks are discarded, the index is not saved. */
  readOnly?: boolean
}

/**
 * The cache's block store: blockstore-fs's on-disk layout (its `NextToLast`
 * sharding, so FsBlockstore can open the same folder), with the hot paths
 * tuned for publish:
 * - each block is written once per run: blocks already written in this run
 *   (identical chunks within or across files) and, unless repairing, blocks
 *   the store already holds are skipped (they are verified when read back
 *   into the CAR);
 * - a write is one `writeFile` in place (shard folders are made once), a read
 *   one `readFile`; synchronous for small blocks, where the thread-pool round
 *   trips of async calls cost more than the I/O, async for big ones, so their
 *   I/O overlaps the hashing.
 */
class CacheBlockstore {
  readonly fresh = new Set<string>()
  readonly seen = new Set<string>()
  repairing = false
  private readonly dirs = new Set<string>()
  constructor(
    private readonly fsStore: FsBlockstore,
    private readonly shards: NextToLast,
  ) {}

  private locate(cid: CID): { dir: string; file: string } {
    const { dir, file } = this.shards.encode(cid)
    const folder = path.join(this.fsStore.path, dir)
    return { dir: folder, file: path.join(folder, file) }
  }

  async put(cid: CID, bytes: Uint8Array): Promise<CID> {
    const key = blockKey(cid)
    if (this.seen.has(key)) return cid
    this.seen.add(key)
    const { dir, file } = this.locate(cid)
    if (!this.repairing && existsSync(file)) return cid
    if (!this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true })
      this.dirs.add(dir)
    }
    // Written in place, synchronously: cheaper than a temporary file and a
    // rename, and safe because every block read back is hashed again (a torn
    // write is caught and repaired like any damaged block).
    if (bytes.byteLength <= SYNC_IO_LIMIT) writeFileSync(file, bytes)
    else await fs.writeFile(file, bytes)
    this.fresh.add(key)
    return cid
  }

  async *get(cid: CID): AsyncGenerator<Uint8Array> {
    try {
      const { file } = this.locate(cid)
      yield statSync(file).size <= SYNC_IO_LIMIT ? readFileSync(file) : await fs.readFile(file)
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
      throw Object.assign(new Error(`block ${cid} not found`), { name: 'NotFoundError' })
    }
  }

  async has(cid: CID): Promise<boolean> {
    return existsSync(this.locate(cid).file)
  }

  async delete(cid: CID): Promise<void> {
    const key = blockKey(cid)
    this.seen.delete(key)
    this.fresh.delete(key)
    await this.fsStore.delete(cid)
  }
}

class DiscardingBlockstore {
  constructor(private readonly inner: Pick<Blockstore, 'get' | 'has'>) {}
  async put(cid: CID): Promise<CID> {
    return cid
  }
  get(cid: CID, options?: { signal?: AbortSignal }) {
    return this.inner.get(cid, options)
  }
  has(cid: CID, options?: { signal?: AbortSignal }) {
    return this.inner.has(cid, options)
  }
  async delete(): Promise<void> {}
}

function indexPath(cacheDir: string, dir: string, profile: ProfileName): string {
  const key = createHash('sha256').update(`${dir}\0${profile}`).digest('hex').slice(0, 32)
  return path.join(cacheDir, 'index', `${key}.json`)
}

async function readIndex(file: string, dir: string, profile: ProfileName): Promise<Map<string, CacheEntry>> {
  let parsed: IndexFile
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8')) as IndexFile
  } catch {
    // No index yet, or an unreadable one: start afresh rather than trust it.
    return new Map()
  }
  if (parsed?.version !== INDEX_VERSION || parsed.dir !== dir || parsed.profile !== profile) return new Map()
  return new Map(Object.entries(parsed.entries ?? {}))
}

/** Opens (creating if needed) the block cache for one site folder. */
export async function openBlockCache(options: OpenBlockCacheOptions): Promise<BlockCache> {
  const { dir, profile } = options
  const throwAway = options.cacheDir === false
  const root =
    options.cacheDir === false ? await fs.mkdtemp(path.join(tmpdir(), 'p2pcdn-blocks-')) : options.cacheDir
  try {
    await fs.mkdir(path.join(root, 'index'), { recursive: true })
  } catch (cause) {
    throw new P2pcdnError(
      'ERR_CACHE',
      `Cannot create the cache folder ${root}: ${(cause as NodeJS.ErrnoException).code}. Pass a writable folder with --cache-dir, or --no-cache.`,
      { cause },
    )
  }
  const shards = new NextToLast()
  const fsStore = new FsBlockstore(path.join(root, 'blocks'), { shardingStrategy: shards })
  await fsStore.open()
  const file = indexPath(root, dir, profile)
  const entries = throwAway ? new Map<string, CacheEntry>() : await readIndex(file, dir, profile)
  const readOnly = options.readOnly === true

  const used = new Set<string>()
  const once = new CacheBlockstore(fsStore, shards)
  return {
    blockstore: readOnly ? new DiscardingBlockstore(once) : once,
    isFresh: (cid) => once.fresh.has(blockKey(cid)),
    repair() {
      once.repairing = true
      once.fresh.clear()
      once.seen.clear()
    },
    lookup(relPath, size, mtimeMs) {
      const entry = entries.get(relPath)
      if (entry === undefined || entry.size !== size || entry.mtimeMs !== mtimeMs) return undefined
      used.add(relPath)
      return entry
    },
    record(relPath, entry) {
      entries.set(relPath, entry)
      used.add(relPath)
    },
    forgetAll() {
      entries.clear()
    },
    async save() {
      if (throwAway || readOnly) return
      // Only what this run used: files gone from the site leave the index.
      const kept = [...entries].filter(([relPath]) => used.has(relPath))
      const body: IndexFile = { version: INDEX_VERSION, dir, profile, entries: Object.fromEntries(kept) }
      const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
      await fs.writeFile(tmp, JSON.stringify(body))
      await fs.rename(tmp, file)
    },
    async close() {
      await fsStore.close()
      if (throwAway) await fs.rm(root, { recursive: true, force: true })
    },
  }
}

/** Parses a CID kept in the cache index; `undefined` when it is not one. */
export function parseCachedCid(text: string): CID | undefined {
  try {
    return CID.parse(text)
  } catch {
    return undefined
  }
}
