import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { CID } from 'multiformats/cid'
import { BadBlockError } from '../car/bad-block.js'
import { CODEC_RAW } from '../constants.js'
import { blockKey } from '../utils/block-key.js'

/** Blocks up to this size are read and hashed synchronously; bigger ones off the main thread. */
const SYNC_LIMIT = 64 * 1024
const EMPTY = new Uint8Array(0)

/**
 * One leaf block of a file, located in the file rather than stored: `length` bytes at `offset`,
 * wrapped in `pre` and `post` (the dag-pb/UnixFS envelope of a non-raw leaf; empty for a raw
 * leaf, whose block is the bytes themselves).
 */
export interface LeafLocation {
  cid: CID
  offset: number
  length: number
  pre?: Uint8Array
  post?: Uint8Array
}

/** How one file's DAG is laid out: its leaves, located in the file, and its inner nodes' bytes. */
export interface FileLayout {
  leaves: LeafLocation[]
  nodes: { cid: CID; bytes: Uint8Array }[]
}

interface LocatedLeaf extends LeafLocation {
  /** The file's path in the site (`/`-separated), under the store's current base folder. */
  file: string
}

/** SHA-256 of a block: synchronous for small ones, on the thread pool for big ones (they overlap). */
export async function sha256Of(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.byteLength <= SYNC_LIMIT) return createHash('sha256').update(bytes).digest()
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
}

async function readRange(file: string, offset: number, length: number): Promise<Uint8Array> {
  const bytes = Buffer.allocUnsafe(length)
  if (length <= SYNC_LIMIT) {
    const fd = openSync(file, 'r')
    try {
      const read = readSync(fd, bytes, 0, length, offset)
      return read === length ? bytes : bytes.subarray(0, read)
    } finally {
      closeSync(fd)
    }
  }
  const handle = await fs.open(file, 'r')
  try {
    const { bytesRead } = await handle.read(bytes, 0, length, offset)
    return bytesRead === length ? bytes : bytes.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/**
 * The blocks of a published site without a second copy of its bytes (the model is Kubo's
 * filestore): a leaf block is read back from the site file that holds it, re-hashed, and refused
 * when the file no longer matches (`BadBlockError`, naming the file); inner nodes and directory
 * blocks, a tiny share of the bytes, are kept in memory. Files are found under `base`, which
 * follows the output from its staging folder to its final place (`rebase`).
 */
export class SourceBlockstore {
  private readonly nodes = new Map<string, Uint8Array>()
  /** Where each leaf can be read: every file holding it (identical chunks in several files). */
  private readonly leaves = new Map<string, LocatedLeaf[]>()

  constructor(private base: string) {}

  /** Files are now under `dir` (the staged output was renamed into place). */
  rebase(dir: string): void {
    this.base = dir
  }

  /** Records where a file's blocks are: `file` is its `/`-separated path under the base folder. */
  addFile(file: string, layout: FileLayout): void {
    for (const leaf of layout.leaves) {
      const key = blockKey(leaf.cid)
      const located = { ...leaf, file }
      const known = this.leaves.get(key)
      if (known === undefined) this.leaves.set(key, [located])
      else known.unshift(located)
    }
    for (const node of layout.nodes) this.nodes.set(blockKey(node.cid), node.bytes)
  }

  /** Inner nodes and directory blocks, as the importer writes them. */
  async put(cid: CID, bytes: Uint8Array): Promise<CID> {
    this.nodes.set(blockKey(cid), bytes)
    return cid
  }

  async has(cid: CID): Promise<boolean> {
    const key = blockKey(cid)
    return this.nodes.has(key) || this.leaves.has(key)
  }

  /** True for a block read from a site file (a leaf: no links to follow). */
  isLeaf(cid: CID): boolean {
    return this.leaves.has(blockKey(cid)) || cid.code === CODEC_RAW
  }

  /** The size in bytes of a block, without reading it; `undefined` when the store does not have it. */
  sizeOf(cid: CID): number | undefined {
    const key = blockKey(cid)
    const node = this.nodes.get(key)
    if (node !== undefined) return node.byteLength
    const leaf = this.leaves.get(key)?.[0]
    if (leaf === undefined) return undefined
    return (leaf.pre?.byteLength ?? 0) + leaf.length + (leaf.post?.byteLength ?? 0)
  }

  async *get(cid: CID): AsyncGenerator<Uint8Array> {
    yield await this.read(cid)
  }

  /**
   * A block's bytes; a leaf's are read from a file that holds it (the latest added first: a file
   * imported again after a rewrite) and checked against its CID. Throws `BadBlockError` when the
   * store lacks it or no file holds it any more.
   */
  async read(cid: CID): Promise<Uint8Array> {
    const key = blockKey(cid)
    const node = this.nodes.get(key)
    if (node !== undefined) return node
    const located = this.leaves.get(key)
    if (located === undefined) throw new BadBlockError(cid, 'missing')
    for (const leaf of located) {
      const bytes = await this.readLeaf(cid, leaf)
      if (bytes !== undefined) return bytes
    }
    throw new BadBlockError(cid, 'mismatch', path.join(this.base, (located[0] as LocatedLeaf).file))
  }

  /** The leaf's bytes from its file, or `undefined` when the file no longer holds them. */
  private async readLeaf(cid: CID, leaf: LocatedLeaf): Promise<Uint8Array | undefined> {
    let data: Uint8Array
    try {
      data = await readRange(path.join(this.base, leaf.file), leaf.offset, leaf.length)
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw cause
    }
    if (data.byteLength !== leaf.length) return undefined
    const bytes = leaf.pre || leaf.post ? Buffer.concat([leaf.pre ?? EMPTY, data, leaf.post ?? EMPTY]) : data
    const digest = await sha256Of(bytes)
    return Buffer.compare(digest, cid.multihash.digest) === 0 ? bytes : undefined
  }
}
