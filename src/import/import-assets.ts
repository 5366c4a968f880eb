import { createHash, type Hash } from 'node:crypto'
import { createReadStream, readFileSync, statSync } from 'node:fs'
import fs from 'node:fs/promises'
import * as dagPb from '@ipld/dag-pb'
import { type ImportCandidate, type ImporterOptions, importer } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { CustomProgressEvent } from 'progress-events'
import { CODEC_DAG_PB, CODEC_RAW, type ProfileName } from '../constants.js'
import { errors } from '../errors.js'
import type { PublishProgressEvents } from '../progress.js'
import { eachLimit } from '../utils/each-limit.js'
import type { Warning } from '../warnings.js'
import { type FileIndex, type Fingerprint, layoutFromIndex, layoutToIndex } from './file-index.js'
import { HashPool } from './hash-pool.js'
import { importerOptions } from './importer-options.js'
import { locatingBufferImporter } from './leaf-importer.js'
import type { FileLayout, LeafLocation, SourceBlockstore } from './source-blocks.js'

const SHA2_256 = 0x12
/** Files up to this size are read whole; larger ones are streamed. */
const READ_WHOLE_LIMIT = 1 << 20
/** unixfs-v1-2025's chunk size (IPIP-499). */
const CHUNK_V1 = 1 << 20

/** A file to import: where it sits in the site, and where its bytes are. */
export interface AssetSource {
  path: string
  source: string
  /** Size, times and inode, when the caller already has them (the scan does); else they are read here. */
  size?: number
  mtimeMs?: number
  ctimeMs?: number
  ino?: number
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
  /** True when the index already knew it and nothing was read or imported. */
  cached: boolean
  /** Where its blocks are: leaves in the file, inner nodes' bytes. */
  layout: FileLayout
}

export interface ImportAssetsOptions {
  profile: ProfileName
  /** What earlier runs imported: unchanged files are not read again. */
  index: FileIndex
  /** Takes the files' inner nodes (leaves stay in the files). */
  store: SourceBlockstore
  signal?: AbortSignal
  onProgress?: (event: PublishProgressEvents) => void
  /** Ignore the index (after a file was found changed behind its fingerprint): import everything again. */
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
  fingerprint: Fingerprint
  /** The SRI hash, updated as the file is read; or the SRI digest a pool thread computes. */
  hash?: Hash
  digest?: Promise<{ digest: Uint8Array; read: number }>
  read: number
  leaves: LeafLocation[]
}

/** The file's size, times (whole ms, what survives a copy that keeps them) and inode. */
export function fingerprintOf(asset: AssetSource): Fingerprint {
  let { size, mtimeMs, ctimeMs, ino } = asset
  if (size === undefined || mtimeMs === undefined || ctimeMs === undefined || ino === undefined) {
    try {
      ;({ size, mtimeMs, ctimeMs, ino } = statSync(asset.source))
    } catch (cause) {
      throw errors.unreadable(asset.source, cause)
    }
  }
  return { size, mtimeMs: Math.round(mtimeMs), ctimeMs: Math.round(ctimeMs), ino }
}

/** The indexed import of an unchanged file, when the index has a usable one. */
function fromIndex(
  asset: AssetSource,
  now: Fingerprint,
  options: ImportAssetsOptions,
): ImportedAsset | undefined {
  if (options.noCacheHits) return undefined
  const hit = options.index.lookup(asset.path, now)
  if (hit === undefined) return undefined
  let cid: CID
  try {
    cid = CID.parse(hit.cid)
  } catch {
    return undefined
  }
  const layout = layoutFromIndex(hit, cid)
  if (layout === undefined) return undefined
  return {
    path: asset.path,
    cid,
    dagSize: BigInt(hit.dagSize),
    size: now.size,
    integrity: hit.integrity,
    cached: true,
    layout,
  }
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

/** One zeroed chunk, shared: what the importer's chunker is fed for a file the hash pool reads itself. */
const PLACEHOLDER = new Uint8Array(CHUNK_V1)

/**
 * A file's length in views of {@link PLACEHOLDER}, a chunk at a time: the importer's layout needs
 * the chunks' sizes, and the pool's threads supply the leaves' hashes from the file itself.
 */
async function* placeholders(size: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < size; at += CHUNK_V1) {
    signal?.throwIfAborted()
    yield PLACEHOLDER.subarray(0, Math.min(CHUNK_V1, size - at))
  }
}

/** The inner nodes of a file's DAG (the blocks under `root` that are not its leaves), from the store. */
async function innerNodes(
  root: CID,
  leaves: LeafLocation[],
  store: SourceBlockstore,
): Promise<FileLayout['nodes']> {
  const leafKeys = new Set(leaves.map((l) => l.cid.toString()))
  const nodes: FileLayout['nodes'] = []
  const stack = [root]
  while (stack.length > 0) {
    const cid = stack.pop() as CID
    if (leafKeys.has(cid.toString()) || cid.code !== CODEC_DAG_PB) continue
    const bytes = await store.read(cid)
    nodes.push({ cid, bytes })
    for (const link of dagPb.decode(bytes).Links) stack.push(link.Hash)
  }
  return nodes
}

/** Files of at most one chunk under unixfs-v1-2025: one read, one hash (the CID's and the SRI's), no importer. */
async function importSingles(
  indexes: number[],
  pending: Pending[],
  signal: AbortSignal | undefined,
  done: (index: number, cid: CID, dagSize: bigint, integrity: string, layout: FileLayout) => void,
): Promise<void> {
  await eachLimit(indexes, 16, async (index) => {
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
    done(index, cid, BigInt(bytes.length), toIntegrity(digest), {
      leaves: [{ cid, offset: 0, length: bytes.length }],
      nodes: [],
    })
  })
}

/** Everything else, through ipfs-unixfs-importer: leaves located (not stored), the file hashed for SRI as it is read. */
async function importChunked(
  indexes: number[],
  pending: Pending[],
  options: ImportAssetsOptions,
  done: (index: number, cid: CID, dagSize: bigint, integrity: string, layout: FileLayout) => void,
): Promise<void> {
  if (indexes.length === 0) return
  const { profile } = options
  const large = indexes.some((i) => (pending[i] as Pending).fingerprint.size > READ_WHOLE_LIMIT)
  const pool = profile === 'unixfs-v1-2025' && large ? new HashPool() : undefined
  try {
    await importThrough(indexes, pending, options, done, pool)
  } finally {
    await pool?.close()
  }
}

async function importThrough(
  indexes: number[],
  pending: Pending[],
  options: ImportAssetsOptions,
  done: (index: number, cid: CID, dagSize: bigint, integrity: string, layout: FileLayout) => void,
  pool: HashPool | undefined,
): Promise<void> {
  const { signal, store, profile } = options
  async function* candidates(): AsyncGenerator<ImportCandidate> {
    for (const index of indexes) {
      const item = pending[index] as Pending
      signal?.throwIfAborted()
      item.hash = createHash('sha256')
      if (item.fingerprint.size <= READ_WHOLE_LIMIT) {
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
        if (pool) {
          // Raw leaves: the pool's threads read and hash the whole file and each leaf; this thread
          // reads nothing, it only lays the leaves out (their bytes are never needed here).
          item.hash = undefined
          item.read = item.fingerprint.size
          item.digest = pool.hash(item.asset.source, 0, -1, item.fingerprint.size)
          item.digest.catch(() => {})
          yield { path: String(index), content: placeholders(item.fingerprint.size, signal) }
          continue
        }
        yield { path: String(index), content: streamWithHash(item, signal) }
      }
    }
  }
  const leafOnPool = pool
    ? (file: string, offset: number, length: number) => {
        const item = pending[Number(file)] as Pending
        if (item.digest === undefined) return undefined
        return pool.hash(item.asset.source, offset, length, length).then(({ digest, read }) => {
          if (read !== length)
            throw errors.changedWhilePublishing(item.asset.source, item.fingerprint.size, offset + read)
          return digest
        })
      }
    : undefined
  const passThrough: NonNullable<ImporterOptions['treeBuilder']> = async function* (source) {
    yield* source
  }
  const bufferImporter = locatingBufferImporter(
    profile,
    (file, leaf) => {
      ;(pending[Number(file)] as Pending).leaves.push(leaf)
    },
    leafOnPool,
  )
  for await (const entry of importer(
    candidates(),
    store,
    importerOptions(profile, { treeBuilder: passThrough, bufferImporter, signal } as ImporterOptions),
  )) {
    const index = Number(entry.path)
    const item = pending[index] as Pending
    const leaves = item.leaves.sort((a, b) => a.offset - b.offset)
    const layout = { leaves, nodes: await innerNodes(entry.cid, leaves, store) }
    done(index, entry.cid, entry.size, toIntegrity(await sriDigest(item)), layout)
  }
}

async function sriDigest(item: Pending): Promise<Uint8Array> {
  if (item.digest === undefined) return (item.hash as Hash).digest()
  const { digest, read } = await item.digest
  if (read !== item.fingerprint.size)
    throw errors.changedWhilePublishing(item.asset.source, item.fingerprint.size, read)
  return digest
}

/**
 * Imports every asset into UnixFS under the profile: CIDs, DAG sizes, SRI digests and DAG layouts
 * (leaves located in the files, inner nodes into `store`). Files whose fingerprint the index
 * still holds are not read. Results keep the input order.
 */
export async function importAssets(
  assets: readonly AssetSource[],
  options: ImportAssetsOptions,
): Promise<ImportAssetsResult> {
  const { index, signal, onProgress, profile } = options
  const results: (ImportedAsset | undefined)[] = new Array(assets.length)
  const pending: Pending[] = []
  const progress = (path: string, bytes: number, cached: boolean) =>
    onProgress?.(new CustomProgressEvent('p2pcdn:import:file', { path, bytes, cached }))

  for (const [i, asset] of assets.entries()) {
    signal?.throwIfAborted()
    const fingerprint = fingerprintOf(asset)
    const hit = fromIndex(asset, fingerprint, options)
    if (hit === undefined) {
      pending[i] = { asset, fingerprint, read: 0, leaves: [] }
      continue
    }
    results[i] = hit
    options.store.addFile(asset.path, hit.layout)
    progress(asset.path, hit.size, true)
  }
  const cached = results.filter(Boolean).length

  let imported = 0
  const done = (i: number, cid: CID, dagSize: bigint, integrity: string, layout: FileLayout) => {
    const item = pending[i] as Pending
    const { size } = item.fingerprint
    if (item.read !== size) throw errors.changedWhilePublishing(item.asset.source, size, item.read)
    results[i] = { path: item.asset.path, cid, dagSize, size, integrity, cached: false, layout }
    options.store.addFile(item.asset.path, layout)
    index.record(item.asset.path, {
      ...item.fingerprint,
      cid: cid.toString(),
      dagSize: dagSize.toString(),
      integrity,
      ...layoutToIndex(cid, size, layout),
    })
    imported++
    progress(item.asset.path, size, false)
  }

  // Under unixfs-v1-2025 a file of at most one chunk is a single raw block.
  const single = profile === 'unixfs-v1-2025'
  const singles: number[] = []
  const chunked: number[] = []
  for (const [i, item] of pending.entries()) {
    if (item !== undefined) (single && item.fingerprint.size <= CHUNK_V1 ? singles : chunked).push(i)
  }
  const work = [importSingles(singles, pending, signal, done), importChunked(chunked, pending, options, done)]
  try {
    await Promise.all(work)
  } catch (cause) {
    await Promise.allSettled(work)
    const err = cause as NodeJS.ErrnoException
    if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EISDIR') {
      throw errors.unreadable(err.path ?? 'a site file', cause)
    }
    throw cause
  }
  signal?.throwIfAborted()
  return { assets: results as ImportedAsset[], imported, cached, warnings: [] }
}
