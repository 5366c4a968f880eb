import '../utils/promise-with-resolvers.js'
import { createReadStream } from 'node:fs'
import { CarBlockIterator } from '@ipld/car/iterator'
import type { CID } from 'multiformats/cid'
import { CODEC_DAG_PB, CODEC_RAW } from '../constants.js'
import { P2pcdnError } from '../errors.js'
import { checkBlock } from '../utils/block-hashers.js'
import { blockKey } from '../utils/block-key.js'
import { type DagIndex, indexDag, MissingBlockError, storeSource } from './dag-index.js'
import { HostPins } from './host-pins.js'
import { openRepo } from './repo.js'

/** What one CAR brought into the repo. */
export interface ImportedCar {
  file: string
  roots: string[]
  /** Roots pinned with their whole DAG (complete UnixFS DAGs). */
  pinnedRoots: string[]
  /** Roots whose DAG the CAR does not hold whole, or that are not UnixFS: pinned as single blocks. */
  partialRoots: string[]
  blocks: number
  /** Blocks this import added (the rest were already in the repo). */
  newBlocks: number
  /** Blocks pinned one by one because no pinned DAG covers them. */
  directPins: number
}

export interface ImportCarsOptions {
  signal?: AbortSignal
  /** Called after each CAR. */
  onImported?(car: ImportedCar): void
}

async function verify(file: string, cid: CID, bytes: Uint8Array): Promise<void> {
  const check = await checkBlock(cid, bytes)
  if (check === 'unknown-hash') {
    throw new P2pcdnError(
      'ERR_CAR_INVALID',
      `${file}: block ${cid} uses hash function 0x${cid.multihash.code.toString(16)}, which this host cannot verify (sha2-256, sha2-512 and identity). Nothing from this CAR was pinned.`,
    )
  }
  if (check === 'mismatch') {
    throw new P2pcdnError(
      'ERR_CAR_INVALID',
      `${file}: block ${cid} does not match its CID (its bytes hash to something else). Nothing from this CAR was pinned; rebuild the CAR.`,
    )
  }
}

/** The DAG of `root` when it is UnixFS (dag-pb or raw, every block) and whole in the store. */
async function completeDag(root: CID, repo: Repo, signal?: AbortSignal): Promise<DagIndex | undefined> {
  if (root.code !== CODEC_DAG_PB && root.code !== CODEC_RAW) return undefined
  try {
    const dag = await indexDag(root, [storeSource(repo.blockstore)], signal ? { signal } : {})
    for (const { cid } of dag.values()) {
      if (cid.code !== CODEC_DAG_PB && cid.code !== CODEC_RAW) return undefined
    }
    return dag
  } catch (err) {
    if (err instanceof MissingBlockError) return undefined
    throw err
  }
}

/**
 * `p2pcdn host import <car...>`: loads CARs into a host repo, so that a host started on it serves
 * them: every block is verified against its CID and stored, each root whose UnixFS DAG the repo
 * holds whole is pinned with it, and every other block (partial DAGs, other codecs) is pinned on
 * its own, so that each one is servable (`?format=raw`). Takes the repo lock: stop the host first.
 * A CAR with a bad block is refused whole (its blocks stay unpinned, for `host gc`).
 */
export async function importCars(
  repoPath: string,
  files: readonly string[],
  options: ImportCarsOptions = {},
): Promise<ImportedCar[]> {
  const repo = await openRepo(repoPath)
  const pins = new HostPins(repo.datastore.db, repo.blockstore)
  const results: ImportedCar[] = []
  try {
    for (const file of files) {
      const car = await importOne(file, repo, pins, options.signal)
      results.push(car)
      options.onImported?.(car)
    }
  } finally {
    await repo.close()
  }
  return results
}

type Repo = Awaited<ReturnType<typeof openRepo>>
async function importOne(
  file: string,
  repo: Repo,
  pins: HostPins,
  signal?: AbortSignal,
): Promise<ImportedCar> {
  let iterator: CarBlockIterator
  try {
    iterator = await CarBlockIterator.fromIterable(createReadStream(file))
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT'
    throw new P2pcdnError(
      missing ? 'ERR_INPUT_MISSING' : 'ERR_CAR_INVALID',
      missing
        ? `${file} does not exist. Pass the CAR files to import.`
        : `${file} is not a CAR file: ${(cause as Error).message}.`,
      { cause },
    )
  }
  const roots = await iterator.getRoots()
  const cids: CID[] = []
  let newBlocks = 0
  for await (const block of iterator) {
    signal?.throwIfAborted()
    await verify(file, block.cid, block.bytes)
    if (await repo.blockstore.putIfAbsent(block.cid, block.bytes, signal ? { signal } : {})) newBlocks++
    cids.push(block.cid)
  }
  const pinnedRoots: string[] = []
  const partialRoots: string[] = []
  for (const root of roots) {
    const dag = await completeDag(root, repo, signal)
    if (dag) {
      await pins.commit({ add: [{ root, dag }] })
      pinnedRoots.push(root.toString())
    } else if (await repo.blockstore.has(root)) {
      partialRoots.push(root.toString())
    }
  }
  // Every other block pinned alone (depth 0): no decoding, so any codec can be pinned.
  const alone: Array<{ root: CID; dag: DagIndex; depth: number }> = []
  for (const cid of cids) {
    if (await pins.isPinnedBlock(cid)) continue
    alone.push({ root: cid, dag: new Map([[blockKey(cid), { cid, links: [] }]]), depth: 0 })
  }
  const directPins = (await pins.commit({ add: alone })).pinned.length
  return {
    file,
    roots: roots.map(String),
    pinnedRoots,
    partialRoots,
    blocks: cids.length,
    newBlocks,
    directPins,
  }
}
