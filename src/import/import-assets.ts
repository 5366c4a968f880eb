import { createHash, type Hash } from 'node:crypto'
import { createReadStream, readFileSync, statSync } from 'node:fs'
import fs from 'node:fs/promises'
import { type ImportCandidate, type ImporterOptions, importer } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { CustomProgressEvent } from 'progress-events'
import { CODEC_RAW, type ProfileName } from '../constants.js'
import { errors } from '../errors.js'
import type { PublishProgressEvents } from '../progress.js'
import { eachLimit } from '../utils/each-limit.js'
import type { Warning } from '../warnings.js'
import type { BlockCache } from './block-cache.js'
import { parseCachedCid } from './block-cache.js'
import { importerOptions } from './importer-options.js'

const SHA2_256 = 0x12
/** Files up to this size are read whole; larger ones are streamed. */
const READ_WHOLE_LIMIT = 1 << 20
/** unixfs-v1-2025's chunk size (IPIP-499). */
const CHUNK_V1 = 1 << 20

/** A file to import: where it sits in the site, and where its bytes are. */
export interface AssetSource {
  path: string
  source: string
  /** Size and mtime, when the caller already has them (the scan does); else they are read here. */
  size?: number
  mtimeMs?: number
}

/** One asset once its content is in the block store. */
export interface ImportedAsset {
  path: string
  cid: CID
  /** Cumulative size of the file's DAG (the Tsize of a link to it). */
  dagSize: bigint
  /** Content size in bytes. */
  size: number
  /** SHA-256 of the content, in Subresource Integrity form (`sha256-…`). */
  integrity: string
  /** True when the cache already held it and nothing was read or imported. */
  cached: boolean
}

export interface ImportAssetsOptions {
  profile: ProfileName
  cache: BlockCache
  signal?: AbortSignal
  onProgress?: (event: PublishProgressEvents) => void
  /** Ignore the cache index (after damage was found): import everything again. */
  noCacheHits?: boolean
}

export interface ImportAssetsResult {
  assets: ImportedAsset[]
  /** How many files were read and imported in this run. */
  imported: number
  /** How many came from the cache. */
  cached: number
  warnings: Warning[]
}

const toIntegrity = (digest: Uint8Array) => `sha256-${Buffer.from(digest).toString('base64')}`

interface Pending {
  asset: AssetSource
  size: number
  mtimeMs: number
  hash?: Hash
  read: number
}

/**
 * Reads a large file chunk by chunk, hashing it on the way. The caller's signal is checked between
 * chunks rather than handed to `createReadStream`: that would add one abort listener per stream to
 * the one shared signal, and the importer reads 16 files at once, past Node's limit of 10
 * (`MaxListenersExceededWarning`). Leaving the loop early (abort, error) destroys the stream.
 */
async function* streamWithHash(pending: Pending, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted()
  for await (const chunk of createReadStream(pending.asset.source, { highWaterMark: READ_WHOLE_LIMIT })) {
    signal?.throwIfAborted()
    pending.hash?.update(chunk as Buffer)
    pending.read += (chunk as Buffer).length
    yield chunk as Buffer
  }
}

/**
 * Imports every asset into UnixFS blocks under the profile, reusing the cache
 * for files whose size and mtime are unchanged and whose root block is present.
 * Results keep the input order.
 */
export async function importAssets(
  assets: readonly AssetSource[],
  options: ImportAssetsOptions,
): Promise<ImportAssetsResult> {
  const { cache, signal, onProgress, profile } = options
  const results: (ImportedAsset | undefined)[] = new Array(assets.length)
  const pending: Pending[] = []
  let cachedCount = 0

  for (const [index, asset] of assets.entries()) {
    signal?.throwIfAborted()
    let { size, mtimeMs } = asset
    if (size === undefined || mtimeMs === undefined) {
      try {
        ;({ size, mtimeMs } = statSync(asset.source))
      } catch (cause) {
        throw errors.unreadable(asset.source, cause)
      }
    }
    // Rounded to the millisecond: what survives a copy that keeps timestamps (publish --in-place).
    mtimeMs = Math.round(mtimeMs)
    // A hit is used without reading the file; its blocks are hashed again when
    // read into the CAR, where a missing or damaged one sends publish back here.
    const hit = options.noCacheHits ? undefined : cache.lookup(asset.path, size, mtimeMs)
    const cid = hit === undefined ? undefined : parseCachedCid(hit.cid)
    if (hit !== undefined && cid !== undefined) {
      results[index] = {
        path: asset.path,
        cid,
        dagSize: BigInt(hit.dagSize),
        size,
        integrity: hit.integrity,
        cached: true,
      }
      cachedCount++
      onProgress?.(
        new CustomProgressEvent('p2pcdn:import:file', { path: asset.path, bytes: size, cached: true }),
      )
      continue
    }
    pending[index] = { asset, size, mtimeMs, read: 0 }
  }

  let imported = 0
  const done = (index: number, item: Pending, cid: CID, dagSize: bigint, integrity: string) => {
    if (item.read !== item.size) throw errors.changedWhilePublishing(item.asset.source, item.size, item.read)
    results[index] = { path: item.asset.path, cid, dagSize, size: item.size, integrity, cached: false }
    cache.record(item.asset.path, {
      size: item.size,
      mtimeMs: item.mtimeMs,
      cid: cid.toString(),
      dagSize: dagSize.toString(),
      integrity,
    })
    imported++
    onProgress?.(
      new CustomProgressEvent('p2pcdn:import:file', {
        path: item.asset.path,
        bytes: item.size,
        cached: false,
      }),
    )
  }

  // Under unixfs-v1-2025 a file of at most one chunk is a single raw block:
  // its CID is the SHA-256 of its bytes, which is also its integrity hash.
  // Such files skip the importer: one read, one hash, one block.
  const single = profile === 'unixfs-v1-2025'
  const singles: number[] = []
  const chunked: number[] = []
  for (const [index, item] of pending.entries()) {
    if (item !== undefined) (single && item.size <= CHUNK_V1 ? singles : chunked).push(index)
  }

  const importSingles = eachLimit(singles, 16, async (index) => {
    signal?.throwIfAborted()
    const item = pending[index] as Pending
    let bytes: Buffer
    try {
      bytes = readFileSync(item.asset.source)
    } catch (cause) {
      throw errors.unreadable(item.asset.source, cause)
    }
    item.read = bytes.length
    const digest = createHash('sha256').update(bytes).digest()
    const cid = CID.createV1(CODEC_RAW, createDigest(SHA2_256, digest))
    await cache.blockstore.put(cid, bytes)
    done(index, item, cid, BigInt(bytes.length), toIntegrity(digest))
  })

  // Everything else goes through ipfs-unixfs-importer, hashed for integrity while it is read.
  async function* candidates(): AsyncGenerator<ImportCandidate> {
    for (const index of chunked) {
      const item = pending[index] as Pending
      signal?.throwIfAborted()
      item.hash = createHash('sha256')
      if (item.size <= READ_WHOLE_LIMIT) {
        let bytes: Buffer
        try {
          bytes = await fs.readFile(item.asset.source)
        } catch (cause) {
          throw errors.unreadable(item.asset.source, cause)
        }
        item.hash.update(bytes)
        item.read = bytes.length
        yield { path: String(index), content: bytes }
      } else {
        yield { path: String(index), content: streamWithHash(item, signal) }
      }
    }
  }
  const passThrough: NonNullable<ImporterOptions['treeBuilder']> = async function* (source) {
    yield* source
  }
  const importChunked = (async () => {
    if (chunked.length === 0) return
    for await (const entry of importer(
      candidates(),
      cache.blockstore,
      importerOptions(profile, { treeBuilder: passThrough, signal } as ImporterOptions),
    )) {
      const index = Number(entry.path)
      const item = pending[index] as Pending
      done(index, item, entry.cid, entry.size, toIntegrity((item.hash as Hash).digest()))
    }
  })()

  try {
    await Promise.all([importSingles, importChunked])
  } catch (cause) {
    await Promise.allSettled([importSingles, importChunked])
    const err = cause as NodeJS.ErrnoException
    if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EISDIR') {
      throw errors.unreadable(err.path ?? 'a site file', cause)
    }
    throw cause
  }
  signal?.throwIfAborted()

  return { assets: results as ImportedAsset[], imported, cached: cachedCount, warnings: [] }
}
