import fs from 'node:fs/promises'
import { CarWriter } from '@ipld/car/writer'
import * as dagPb from '@ipld/dag-pb'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { CustomProgressEvent } from 'progress-events'
import { CODEC_DAG_PB } from '../constants.js'
import type { PublishProgressEvents } from '../progress.js'
import { blockKey } from '../utils/block-key.js'
import { BadBlockError } from './bad-block.js'

export { BadBlockError } from './bad-block.js'

/** How many blocks ahead of the walk are read at once. */
const PREFETCH = 16
/** Bytes gathered before each write to the CAR file. */
const WRITE_BATCH_BYTES = 1 << 20

export interface WriteCarOptions {
  signal?: AbortSignal
  /** Blocks for which this returns true are not hashed again (this run just computed them from their bytes). */
  trusted?: (cid: CID) => boolean
  onProgress?: (event: PublishProgressEvents) => void
}

export interface WriteCarResult {
  blocks: number
  /** Size of the CAR file in bytes. */
  bytes: number
}

async function readBlock(
  blockstore: Pick<Blockstore, 'get'>,
  cid: CID,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of blockstore.get(cid, { signal })) chunks.push(chunk)
  } catch (cause) {
    if ((cause as { name?: string }).name === 'NotFoundError') throw new BadBlockError(cid, 'missing')
    throw cause
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
}

/**
 * Yields the DAG under `root` in depth-first, pre-order link order (the order
 * of the trustless gateway's `dfs` CAR responses), each block once, after
 * checking that its bytes hash to its CID (unless `trusted` vouches for it).
 */
export async function* walkDag(
  root: CID,
  blockstore: Pick<Blockstore, 'get'>,
  options: Pick<WriteCarOptions, 'signal' | 'trusted'> = {},
): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
  const { signal, trusted } = options
  const seen = new Set<string>()
  const stack: CID[] = [root]
  // Reads of the next blocks on the stack are started early, so the store's
  // latency overlaps instead of adding up block after block.
  const reads = new Map<string, Promise<Uint8Array>>()
  const read = (cid: CID, key: string) => {
    let pending = reads.get(key)
    if (pending === undefined) {
      pending = readBlock(blockstore, cid, signal)
      pending.catch(() => {})
      reads.set(key, pending)
    }
    return pending
  }
  while (stack.length > 0) {
    signal?.throwIfAborted()
    const cid = stack.pop() as CID
    const key = blockKey(cid)
    if (seen.has(key)) continue
    seen.add(key)
    for (let i = stack.length - 1, ahead = 0; i >= 0 && ahead < PREFETCH; i--, ahead++) {
      const next = stack[i] as CID
      const nextKey = blockKey(next)
      if (!seen.has(nextKey)) read(next, nextKey)
    }
    const bytes = await read(cid, key)
    reads.delete(key)
    if (trusted?.(cid) !== true) {
      if (cid.multihash.code !== sha256.code) {
        throw new Error(`unsupported hash 0x${cid.multihash.code.toString(16)} in ${cid}`)
      }
      const digest = await sha256.digest(bytes)
      if (Buffer.compare(digest.digest, cid.multihash.digest) !== 0) throw new BadBlockError(cid, 'mismatch')
    }
    yield { cid, bytes }
    if (cid.code === CODEC_DAG_PB) {
      const links = dagPb.decode(bytes).Links
      for (let i = links.length - 1; i >= 0; i--) stack.push((links[i] as dagPb.PBLink).Hash)
    }
  }
}

/**
 * `blocks` (e.g. {@link walkDag}'s) as a CARv1 byte stream whose single root is `root`, gathered
 * into writes of about a megabyte. Deterministic: the same blocks in the same order always give
 * the same bytes. Whatever `blocks` throws (a {@link BadBlockError}) ends the stream with it.
 */
export async function* encodeCar(
  root: CID,
  blocks: AsyncIterable<{ cid: CID; bytes: Uint8Array }>,
  options: Pick<WriteCarOptions, 'onProgress'> = {},
): AsyncGenerator<Uint8Array[]> {
  const { writer, out } = CarWriter.create([root])
  const feeding = (async () => {
    try {
      for await (const block of blocks) {
        await writer.put(block)
        options.onProgress?.(new CustomProgressEvent('p2pcdn:car:block', { bytes: block.bytes.length }))
      }
    } finally {
      await writer.close()
    }
  })()
  feeding.catch(() => {})
  // The writer emits small pieces (length, CID, bytes) per block: gather them.
  let batch: Uint8Array[] = []
  let batchBytes = 0
  for await (const chunk of out) {
    batch.push(chunk)
    batchBytes += chunk.length
    if (batchBytes >= WRITE_BATCH_BYTES || batch.length >= 512) {
      yield batch
      batch = []
      batchBytes = 0
    }
  }
  await feeding
  if (batch.length > 0) yield batch
}

/**
 * Streams the DAG under `root` into a CARv1 file whose single root is `root` (see
 * {@link encodeCar}); returns its block count and size.
 */
export async function writeCar(
  root: CID,
  blockstore: Pick<Blockstore, 'get'>,
  file: string,
  options: WriteCarOptions = {},
): Promise<WriteCarResult> {
  let bytes = 0
  let blocks = 0
  const onProgress: WriteCarOptions['onProgress'] = (event) => {
    blocks++
    options.onProgress?.(event)
  }
  const handle = await fs.open(file, 'w')
  try {
    for await (const batch of encodeCar(root, walkDag(root, blockstore, options), { onProgress })) {
      await handle.writev(batch)
      for (const chunk of batch) bytes += chunk.length
    }
  } finally {
    await handle.close()
  }
  return { blocks, bytes }
}
