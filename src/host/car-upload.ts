import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Helia } from '@helia/interface'
import { CarBlockIterator } from '@ipld/car/iterator'
import type { CID } from 'multiformats/cid'
import { BadBlockError, walkDag } from '../car/write-car.js'
import { CODEC_DAG_PB, CODEC_RAW } from '../constants.js'
import { checkBlock } from '../utils/block-hashers.js'
import { pinWalker } from './pin-walker.js'
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

export interface ImportCarOptions {
  helia: Pick<Helia, 'pins'>
  blockstore: QuotaBlockstore
  tmpDir: string
  signal?: AbortSignal
}

export interface ImportCarResult {
  roots: CID[]
  blocks: number
  /** Blocks this upload added (the rest were already here). */
  newBlocks: number
  bytes: number
}

/** Blocks written at once while storing an upload. */
const PUT_BATCH = 32

/**
 * Takes a CAR (v1 or v2) and pins its roots, all or nothing:
 * 1. the body is spooled to `<repo>/tmp` (never held in memory), within the storage quota;
 * 2. in one pass over it, every block is re-hashed against its CID and stored; one mismatch, an
 *    unknown hash or codec, or a CAR that does not parse rejects the upload whole;
 * 3. each root's DAG is checked to be complete in the store (offline: the host never goes looking
 *    for what the CAR left out), and the roots are pinned.
 * On any failure the blocks this upload added are removed again. A kill -9 at any point leaves at
 * most a temporary file (removed at the next start) and unpinned blocks (`p2pcdn host gc`).
 */
export async function importCar(body: Readable, options: ImportCarOptions): Promise<ImportCarResult> {
  const { blockstore, signal } = options
  const spool = join(options.tmpDir, `upload-${randomUUID()}.car`)
  try {
    let bytes = 0
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.byteLength
          if (blockstore.quota > 0 && blockstore.used + bytes > blockstore.quota) {
            throw new CarUploadError(
              409,
              'INSUFFICIENT_FUNDS',
              `The CAR does not fit in this host's storage quota (${blockstore.used} of ${blockstore.quota} bytes used). Ask the host's operator to raise --storage-max, or remove pins.`,
            )
          }
          yield chunk
        }
      },
      createWriteStream(spool),
      { signal },
    )
    const added: CID[] = []
    let roots: CID[] = []
    let blocks = 0
    try {
      // Blocks are written PUT_BATCH at a time: each is a small file written and renamed, and the
      // file system keeps several in flight far better than one after another.
      let batch: Array<{ cid: CID; bytes: Uint8Array }> = []
      let storing = false
      const flush = async () => {
        storing = true
        const results = await Promise.allSettled(
          batch.map(async ({ cid, bytes }) =>
            (await blockstore.putIfAbsent(cid, bytes, { signal })) ? cid : undefined,
          ),
        )
        batch = []
        // Every block written is remembered, so that a failure removes them all.
        for (const result of results)
          if (result.status === 'fulfilled' && result.value) added.push(result.value)
        const failed = results.find((result) => result.status === 'rejected')
        if (failed) throw failed.reason
        storing = false
      }
      try {
        const iterator = await CarBlockIterator.fromIterable(createReadStream(spool))
        roots = await iterator.getRoots()
        if (roots.length === 0) {
          throw new CarUploadError(
            400,
            'BAD_CAR',
            'The CAR has no root; pinning needs at least one root CID.',
          )
        }
        for await (const block of iterator) {
          blocks++
          await verifyBlock(block.cid, block.bytes)
          batch.push(block)
          if (batch.length >= PUT_BATCH) await flush()
        }
      } catch (err) {
        // Only what reading the CAR threw means a bad CAR; errors of the store pass as they are.
        if (err instanceof CarUploadError || storing) throw err
        throw new CarUploadError(
          400,
          'BAD_CAR',
          `The request body is not a valid CAR (${bytes} bytes read): ${(err as Error).message}. Send the file \`p2pcdn publish\` wrote (p2pcdn-site.car) with Content-Type: application/vnd.ipld.car.`,
        )
      }
      await flush()
      await checkComplete(roots, options)
      for (const root of roots) {
        try {
          for await (const _ of options.helia.pins.add(root, {
            signal,
            walker: pinWalker({ offline: true }),
          })) {
            // drain: add yields each block it pins
          }
        } catch (err) {
          if ((err as Error).name !== 'AlreadyPinnedError') throw err
        }
      }
    } catch (err) {
      for (const cid of added) await blockstore.delete(cid).catch(() => {})
      if (err instanceof QuotaExceededError) {
        throw new CarUploadError(409, 'INSUFFICIENT_FUNDS', `The CAR does not fit: ${err.message}`)
      }
      throw err
    }
    return { roots, blocks, newBlocks: added.length, bytes }
  } finally {
    await rm(spool, { force: true })
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

async function checkComplete(roots: CID[], options: ImportCarOptions): Promise<void> {
  for (const root of roots) {
    try {
      for await (const _ of walkDag(root, options.blockstore, {
        trusted: () => true,
        signal: options.signal,
      })) {
        // each yielded block was found in the store
      }
    } catch (err) {
      if (!(err instanceof BadBlockError)) throw err
      throw new CarUploadError(
        400,
        'INCOMPLETE_DAG',
        `The CAR does not hold every block of root ${root} (and this host does not have the rest); nothing was pinned. Send a CAR with the whole DAG.`,
      )
    }
  }
}
