import { access } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { AbortOptions } from '@libp2p/interface'
import { FsBlockstore } from 'blockstore-fs'
import { NextToLast } from 'blockstore-fs/sharding'
import type { Blockstore, InputPair, Pair } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { blockKey } from '../utils/block-key.js'
import { BlockFiles } from './block-files.js'

/** Thrown by `put` when a block would take the repo beyond its storage quota. */
export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError'
  constructor(
    readonly used: number,
    readonly quota: number,
    readonly needed: number,
  ) {
    super(
      `storage quota exceeded: ${used} of ${quota} bytes used, ${needed} more needed. Raise --storage-max, or remove pins and run \`p2pcdn host gc\`.`,
    )
  }
}

async function toBytes(bytes: InputPair['bytes']): Promise<Uint8Array> {
  if (bytes instanceof Uint8Array) return bytes
  const chunks: Uint8Array[] = []
  for await (const chunk of bytes) chunks.push(chunk)
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks)
}

function exists(path: string): Promise<boolean> {
  return new Promise((resolve) => access(path, (err) => resolve(!err)))
}

/** Sums the sizes of the block files under a blockstore-fs folder. */
async function measure(path: string): Promise<number> {
  let total = 0
  let entries: import('node:fs').Dirent[]
  try {
    entries = await readdir(path, { withFileTypes: true, recursive: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.data')) continue
    total += (await stat(join(entry.parentPath, entry.name))).size
  }
  return total
}

/**
 * A blockstore-fs store that counts the bytes it holds and refuses a new block beyond `quota`
 * (0 = no quota). A block already held is not written again. New blocks are written where and
 * as blockstore-fs writes them (the same folders, names and write-then-rename), but off the main
 * thread, in batches ({@link BlockFiles}).
 */
export class QuotaBlockstore implements Blockstore {
  #inner: FsBlockstore
  #sharding: NextToLast
  #used = 0
  #pending = new Map<string, Promise<boolean>>()
  #files = new BlockFiles()
  quota: number

  private constructor(inner: FsBlockstore, sharding: NextToLast, quota: number) {
    this.#inner = inner
    this.#sharding = sharding
    this.quota = quota
  }

  /** Opens (creating) the blockstore-fs folder `path` and measures what it holds. */
  static async open(path: string, quota: number): Promise<QuotaBlockstore> {
    const sharding = new NextToLast()
    const inner = new FsBlockstore(path, { shardingStrategy: sharding })
    await inner.open()
    const store = new QuotaBlockstore(inner, sharding, quota)
    store.#used = await measure(inner.path)
    return store
  }

  /** Bytes held by blocks. */
  get used(): number {
    return this.#used
  }

  async put(cid: CID, bytes: InputPair['bytes'], options?: AbortOptions): Promise<CID> {
    await this.putIfAbsent(cid, await toBytes(bytes), options)
    return cid
  }

  /**
   * Stores a block unless the store holds it already; true when this call wrote it. Writes of the
   * same block at once (prefetching walkers do that) are made and counted once.
   */
  async putIfAbsent(cid: CID, data: Uint8Array, options?: AbortOptions): Promise<boolean> {
    const key = blockKey(cid)
    const pending = this.#pending.get(key)
    if (pending) {
      await pending
      return false
    }
    const write = this.#write(cid, data, options)
    this.#pending.set(key, write)
    try {
      return await write
    } finally {
      this.#pending.delete(key)
    }
  }

  async #write(cid: CID, data: Uint8Array, options?: AbortOptions): Promise<boolean> {
    options?.signal?.throwIfAborted()
    const { dir, file } = this.#sharding.encode(cid)
    const folder = join(this.#inner.path, dir)
    if (this.quota > 0 && this.#used + data.byteLength > this.quota) {
      // Near the quota a block already held still goes through: it takes no more room.
      if (await exists(join(folder, file))) return false
      throw new QuotaExceededError(this.#used, this.quota, data.byteLength)
    }
    // Reserve the space before the write, with no await in between, so parallel writes cannot all
    // pass the check; given back when the block turns out to be here already, or the write fails.
    this.#used += data.byteLength
    let added = false
    try {
      added = await this.#files.write(folder, file, data)
    } finally {
      if (!added) this.#used -= data.byteLength
    }
    return added
  }

  async *putMany(source: Iterable<InputPair> | AsyncIterable<InputPair>, options?: AbortOptions) {
    for await (const { cid, bytes } of source) yield await this.put(cid, bytes, options)
  }

  /**
   * Reads a block whole (blocks are at most a few MiB): one `readFile` instead of blockstore-fs's
   * 64 KiB stream, which a gateway serving large files pays for on every block.
   */
  async *get(cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    options?.signal?.throwIfAborted()
    const { dir, file } = this.#sharding.encode(cid)
    let bytes: Uint8Array
    try {
      bytes = await readFile(
        join(this.#inner.path, dir, file),
        options?.signal ? { signal: options.signal } : {},
      )
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err
      throw Object.assign(new Error(`block ${cid} not found: ${(err as NodeJS.ErrnoException).code}`), {
        name: 'NotFoundError',
      })
    }
    yield bytes
  }

  getMany(source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<Pair> {
    return this.#inner.getMany(source, options) as AsyncGenerator<Pair>
  }

  getAll(options?: AbortOptions): AsyncGenerator<Pair> {
    return this.#inner.getAll(options) as AsyncGenerator<Pair>
  }

  has(cid: CID, options?: AbortOptions): Promise<boolean> {
    return Promise.resolve(this.#inner.has(cid, options))
  }

  async delete(cid: CID, options?: AbortOptions): Promise<void> {
    let size = 0
    try {
      for await (const chunk of this.#inner.get(cid, options)) size += chunk.byteLength
    } catch (err) {
      if ((err as Error).name !== 'NotFoundError') throw err
      return
    }
    await this.#inner.delete(cid, options)
    this.#used = Math.max(0, this.#used - size)
  }

  async *deleteMany(source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions) {
    for await (const cid of source) {
      await this.delete(cid, options)
      yield cid
    }
  }

  async close(): Promise<void> {
    await this.#files.close()
    await this.#inner.close()
  }
}
