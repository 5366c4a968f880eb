import '../utils/promise-with-resolvers.js'
import { createReadStream } from 'node:fs'
import type { GraphWalkerFactory } from '@helia/interface'
import { CarBlockIterator } from '@ipld/car/iterator'
import { createHeliaLight } from 'helia'
import type { CID } from 'multiformats/cid'
import { BadBlockError, walkDag } from '../car/write-car.js'
import { CODEC_DAG_PB, CODEC_RAW } from '../constants.js'
import { P2pcdnError } from '../errors.js'
import { checkBlock } from '../utils/block-hashers.js'
import { pinWalker } from './pin-walker.js'
import { isPinnedBlock } from './pinned.js'
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

/** Pins one block alone: no decoding, so any codec (dag-cbor, dag-json, …) can be pinned. */
const singleBlock: GraphWalkerFactory = (components) => ({
  async *walk(root, options) {
    const bytes = await components.blockstore.get(root, options)
    yield { block: { cid: root, bytes, value: bytes } as never, depth: 0, path: [root] }
  },
})

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

/** True when `root` is UnixFS (dag-pb or raw) and its DAG is whole in the store. */
async function complete(root: CID, blockstore: Parameters<typeof walkDag>[1], signal?: AbortSignal) {
  if (root.code !== CODEC_DAG_PB && root.code !== CODEC_RAW) return false
  try {
    for await (const { cid } of walkDag(root, blockstore, {
      trusted: () => true,
      ...(signal ? { signal } : {}),
    })) {
      // every yielded block is in the store; a link to another codec makes it not UnixFS
      if (cid.code !== CODEC_DAG_PB && cid.code !== CODEC_RAW) return false
    }
    return true
  } catch (err) {
    if (err instanceof BadBlockError) return false
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
  const helia = createHeliaLight({ blockstore: repo.blockstore, datastore: repo.datastore })
  await helia.start()
  const results: ImportedCar[] = []
  try {
    for (const file of files) {
      const car = await importOne(file, repo, helia, options.signal)
      results.push(car)
      options.onImported?.(car)
    }
  } finally {
    await helia.stop()
    await repo.close()
  }
  return results
}

type Repo = Awaited<ReturnType<typeof openRepo>>
type Node = ReturnType<typeof createHeliaLight>

async function pin(helia: Node, cid: CID, walker: GraphWalkerFactory, signal?: AbortSignal) {
  try {
    for await (const _ of helia.pins.add(cid, { walker, ...(signal ? { signal } : {}) })) {
      // drain: add yields each block it pins
    }
  } catch (err) {
    if ((err as Error).name !== 'AlreadyPinnedError') throw err
  }
}

async function importOne(file: string, repo: Repo, helia: Node, signal?: AbortSignal): Promise<ImportedCar> {
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
    if (await complete(root, repo.blockstore, signal)) {
      await pin(helia, root, pinWalker({ offline: true }), signal)
      pinnedRoots.push(root.toString())
    } else if (await repo.blockstore.has(root)) {
      partialRoots.push(root.toString())
    }
  }
  let directPins = 0
  for (const cid of cids) {
    if ((await isPinnedBlock(repo.datastore, cid)) || (await helia.pins.isPinned(cid))) continue
    await pin(helia, cid, singleBlock, signal)
    directPins++
  }
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
