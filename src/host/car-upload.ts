import { CarBlockIterator } from '@ipld/car/iterator'
import type { CID } from 'multiformats/cid'
import { CODEC_DAG_PB, CODEC_RAW } from '../constants.js'
import { checkBlock } from '../utils/block-hashers.js'
import { blockKey } from '../utils/block-key.js'
import {
  type DagIndex,
  indexDag,
  indexSource,
  type LinkSource,
  linksOf,
  MissingBlockError,
  storeSource,
} from './dag-index.js'
import type { HostPins } from './host-pins.js'
import { type QuotaBlockstore, QuotaExceededError } from './quota-blockstore.js'

/**
 * A rejected CAR upload. `status` and `reason` go into the Pinning Service API's `Failure` shape;
 * the message names the block or the limit and what to do.
 */
export class CarUploadError extends Error {
  override readonly name = 'CarUploadError'
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message)
  }
}

export interface IngestCarOptions {
  blockstore: QuotaBlockstore
  /**
   * The DAG of the pin this upload replaces (`?replace=`): blocks the CAR leaves out that the
   * previous version holds are found in it, without a store look-up each.
   */
  previous?: DagIndex
  signal?: AbortSignal
}

export interface IngestCarResult {
  roots: CID[]
  /** The DAG of each root, complete in the store. */
  dags: DagIndex[]
  blocks: number
  /** Blocks this upload added (the rest were already here). */
  newBlocks: number
  bytes: number
}

export interface ImportCarOptions extends IngestCarOptions {
  pins: HostPins
}

export type ImportCarResult = Omit<IngestCarResult, 'dags'>

/** Block writes in flight at once while storing an upload. */
const PUT_CONCURRENCY = 64

/**
 * Takes a CAR (v1 or v2) as it arrives and leaves its roots ready to pin, all or nothing:
 * 1. each block is re-hashed against its CID and written to the store as it arrives (several
 *    writes in flight while the next blocks are read and hashed); one mismatch, an unknown hash or
 *    codec, a CAR that does not parse or a block beyond the storage quota rejects the upload whole;
 * 2. each root's DAG is checked to be complete from what is now known (the CAR's blocks, the
 *    replaced pin's DAG, then the store; offline: the host never goes looking for what the CAR
 *    left out), without reading any block back.
 * On any failure the blocks this upload added are removed again. Nothing is pinned here (see
 * {@link importCar}, or `PinRequests.addPinned`); a kill -9 leaves only unpinned blocks (`host gc`).
 */
export async function ingestCar(
  body: AsyncIterable<Uint8Array>,
  options: IngestCarOptions,
): Promise<IngestCarResult> {
  const writer = new BlockWriter(options.blockstore, options.signal)
  try {
    const received = await receiveCar(body, writer)
    await writer.flush()
    const sources = [indexSource(received.index)]
    if (options.previous) sources.push(indexSource(options.previous))
    sources.push(storeSource(options.blockstore, options.signal ? { signal: options.signal } : {}))
    const dags: DagIndex[] = []
    for (const root of received.roots) dags.push(await completeDag(root, sources, options.signal))
    return {
      roots: received.roots,
      dags,
      blocks: received.index.size,
      newBlocks: writer.added.length,
      bytes: received.bytes,
    }
  } catch (err) {
    await writer.undo()
    if (err instanceof QuotaExceededError) {
      throw new CarUploadError(409, 'INSUFFICIENT_FUNDS', `The CAR does not fit: ${err.message}`)
    }
    throw err
  }
}

/** {@link ingestCar}, then its roots pinned (each root's DAG, in one batch). */
export async function importCar(
  body: AsyncIterable<Uint8Array>,
  options: ImportCarOptions,
): Promise<ImportCarResult> {
  const { dags, ...result } = await ingestCar(body, options)
  await options.pins.commit({ add: result.roots.map((root, i) => ({ root, dag: dags[i] as DagIndex })) })
  return result
}

/** Reads the CAR: each block verified, indexed and handed to `writer`. */
async function receiveCar(
  body: AsyncIterable<Uint8Array>,
  writer: BlockWriter,
): Promise<{ roots: CID[]; index: DagIndex; bytes: number }> {
  const index: DagIndex = new Map()
  let bytes = 0
  async function* counted() {
    for await (const chunk of body) {
      bytes += chunk.byteLength
      yield chunk
    }
  }
  try {
    const iterator = await CarBlockIterator.fromIterable(counted())
    const roots = await iterator.getRoots()
    if (roots.length === 0) {
      throw new CarUploadError(400, 'BAD_CAR', 'The CAR has no root; pinning needs at least one root CID.')
    }
    for await (const { cid, bytes: data } of iterator) {
      await verifyBlock(cid, data)
      index.set(blockKey(cid), { cid, links: decodeLinks(cid, data) })
      await writer.put(cid, data)
    }
    return { roots, index, bytes }
  } catch (err) {
    // Only what reading the CAR threw means a bad CAR; errors of the store pass as they are.
    if (err instanceof CarUploadError || writer.failed) throw err
    throw new CarUploadError(
      400,
      'BAD_CAR',
      `The request body is not a valid CAR (${bytes} bytes read): ${(err as Error).message}. Send the file \`p2pcdn publish\` wrote (p2pcdn-site.car) with Content-Type: application/vnd.ipld.car.`,
    )
  }
}

/**
 * Writes an upload's blocks, up to {@link PUT_CONCURRENCY} in flight (the store writes them in
 * batches, off the main thread, while the next blocks are read and hashed). Remembers what it added, so that a
 * failed upload removes exactly that.
 */
class BlockWriter {
  readonly added: CID[] = []
  failed: unknown
  #inFlight = new Set<Promise<void>>()

  constructor(
    private readonly blockstore: QuotaBlockstore,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Starts writing a block; waits while too many writes are in flight; throws a failed write's error. */
  async put(cid: CID, bytes: Uint8Array): Promise<void> {
    if (this.failed) throw this.failed
    const write = this.blockstore
      .putIfAbsent(cid, bytes, this.signal ? { signal: this.signal } : {})
      .then(
        (added) => {
          if (added) this.added.push(cid)
        },
        (err: unknown) => {
          this.failed ??= err
        },
      )
      .finally(() => this.#inFlight.delete(write))
    this.#inFlight.add(write)
    if (this.#inFlight.size >= PUT_CONCURRENCY) await Promise.race(this.#inFlight)
    if (this.failed) throw this.failed
  }

  /** Waits for every write; throws the first failure. */
  async flush(): Promise<void> {
    await Promise.all(this.#inFlight)
    if (this.failed) throw this.failed
  }

  /** Waits for every write, then removes the blocks this upload added. */
  async undo(): Promise<void> {
    await Promise.all(this.#inFlight)
    for (const cid of this.added.splice(0)) await this.blockstore.delete(cid).catch(() => {})
  }
}

/** A block's links; a dag-pb block that does not decode is a bad block. */
function decodeLinks(cid: CID, bytes: Uint8Array): CID[] {
  try {
    return linksOf(cid, bytes)
  } catch (err) {
    throw new CarUploadError(
      400,
      'BAD_BLOCK',
      `Block ${cid} in the CAR is not valid dag-pb (${(err as Error).message}); nothing was pinned. Rebuild the CAR.`,
    )
  }
}

async function completeDag(root: CID, sources: LinkSource[], signal?: AbortSignal): Promise<DagIndex> {
  try {
    return await indexDag(root, sources, signal ? { signal } : {})
  } catch (err) {
    if (!(err instanceof MissingBlockError)) throw err
    throw new CarUploadError(
      400,
      'INCOMPLETE_DAG',
      `The CAR does not hold every block of root ${root} (and this host does not have the rest); nothing was pinned. Send a CAR with the whole DAG.`,
    )
  }
}

/** Checks one block of an upload: a UnixFS codec, a hash this host verifies, bytes that match the CID. */
async function verifyBlock(cid: CID, bytes: Uint8Array): Promise<void> {
  if (cid.code !== CODEC_DAG_PB && cid.code !== CODEC_RAW) {
    throw new CarUploadError(
      400,
      'UNSUPPORTED_CODEC',
      `Block ${cid} uses codec 0x${cid.code.toString(16)}; this host pins UnixFS (dag-pb and raw) only.`,
    )
  }
  const check = await checkBlock(cid, bytes)
  if (check === 'unknown-hash') {
    throw new CarUploadError(
      400,
      'UNSUPPORTED_HASH',
      `Block ${cid} uses hash function 0x${cid.multihash.code.toString(16)}; this host verifies sha2-256, sha2-512 and identity.`,
    )
  }
  if (check === 'mismatch') {
    throw new CarUploadError(
      400,
      'BAD_BLOCK',
      `Block ${cid} in the CAR does not match its CID (its bytes hash to something else); nothing was pinned. Rebuild the CAR.`,
    )
  }
}
