import * as dagPb from '@ipld/dag-pb'
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { CODEC_DAG_PB } from '../constants.js'
import { blockKey } from '../utils/block-key.js'

/** One block of a DAG and the blocks it links to (none for raw and other leaf codecs). */
export interface DagNode {
  cid: CID
  links: readonly CID[]
}

/**
 * Every block of a DAG, by `blockKey` (its multihash), with its links: what pinning and unpinning
 * count, and what a new version of a site is compared against. Held in memory: some 150 bytes a
 * block, so a 5,000-file site's index is under a megabyte.
 */
export type DagIndex = Map<string, DagNode>

/**
 * Where a walk finds a block's links: an upload's own blocks, the DAG of a pin, or the store.
 * Returns undefined when this source does not have the block.
 */
export type LinkSource = (
  cid: CID,
  key: string,
) => readonly CID[] | undefined | Promise<readonly CID[] | undefined>

/** A block the DAG links to that no source has: the DAG is not complete here. */
export class MissingBlockError extends Error {
  override readonly name = 'MissingBlockError'
  constructor(readonly cid: CID) {
    super(`block ${cid} is not in this host's store`)
  }
}

/** Store lookups in flight at once while indexing a DAG. */
const CONCURRENCY = 32

/** The links of a block from its bytes: dag-pb links, none for any other codec. */
export function linksOf(cid: CID, bytes: Uint8Array): CID[] {
  if (cid.code !== CODEC_DAG_PB) return []
  return dagPb.decode(bytes).Links.map((link) => link.Hash)
}

/** A source over blocks already indexed (an upload's blocks, a pinned DAG). */
export function indexSource(index: ReadonlyMap<string, DagNode>): LinkSource {
  return (_cid, key) => index.get(key)?.links
}

/**
 * A source over the block store: dag-pb blocks are read for their links, other blocks only
 * looked up (never read). With `trustLeaves`, leaves are taken as present without a look-up
 * (the DAG of a pin, which was complete when it was pinned).
 */
export function storeSource(
  blockstore: Pick<Blockstore, 'get' | 'has'>,
  options: AbortOptions & { trustLeaves?: boolean } = {},
): LinkSource {
  return async (cid) => {
    if (cid.code !== CODEC_DAG_PB) {
      return options.trustLeaves || (await blockstore.has(cid, options)) ? [] : undefined
    }
    const chunks: Uint8Array[] = []
    try {
      for await (const chunk of blockstore.get(cid, options)) chunks.push(chunk)
    } catch (err) {
      if ((err as Error).name === 'NotFoundError') return undefined
      throw err
    }
    return linksOf(cid, chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks))
  }
}

/**
 * Indexes the DAG under `root`, breadth first, each block once, asking `sources` in order for
 * each block's links. Throws {@link MissingBlockError} for a block that no source has.
 */
export async function indexDag(
  root: CID,
  sources: LinkSource[],
  options: AbortOptions = {},
): Promise<DagIndex> {
  const dag: DagIndex = new Map()
  let level: CID[] = [root]
  while (level.length > 0) {
    options.signal?.throwIfAborted()
    const next: CID[] = []
    const visit = async (cid: CID) => {
      const key = blockKey(cid)
      if (dag.has(key)) return
      const node: DagNode = { cid, links: [] }
      dag.set(key, node)
      const links = await resolve(cid, key, sources)
      if (links === undefined) throw new MissingBlockError(cid)
      node.links = links
      for (const link of links) next.push(link)
    }
    await forEachLimit(level, CONCURRENCY, visit)
    level = next
  }
  return dag
}

async function resolve(cid: CID, key: string, sources: LinkSource[]): Promise<readonly CID[] | undefined> {
  for (const source of sources) {
    const links = await source(cid, key)
    if (links !== undefined) return links
  }
  return undefined
}

/** Runs `task` over `items`, at most `limit` at once; the first failure rejects (after the rest settle). */
async function forEachLimit<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failure: unknown
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      try {
        await task(items[next++] as T)
      } catch (err) {
        failure ??= err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (failure !== undefined) throw failure
}
