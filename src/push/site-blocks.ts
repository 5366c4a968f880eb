import { blockLength, headerLength } from '@ipld/car/buffer-writer'
import * as dagPb from '@ipld/dag-pb'
import type { CID } from 'multiformats/cid'
import { encodeCar, walkDag } from '../car/write-car.js'
import { CODEC_DAG_PB } from '../constants.js'
import type { SiteBlocks } from '../hosts/types.js'
import type { SourceBlockstore } from '../import/source-blocks.js'
import { blockKey } from '../utils/block-key.js'

/**
 * The DAG's CIDs in the CAR's order (depth-first, pre-order, each once), reading only inner nodes
 * (held in memory): leaves are never read. Stops at the first block the store lacks, returning it.
 */
async function walkCids(root: CID, store: SourceBlockstore): Promise<{ cids: CID[]; missing?: CID }> {
  const cids: CID[] = []
  const seen = new Set<string>()
  const stack: CID[] = [root]
  while (stack.length > 0) {
    const cid = stack.pop() as CID
    const key = blockKey(cid)
    if (seen.has(key)) continue
    seen.add(key)
    if (!(await store.has(cid))) return { cids, missing: cid }
    cids.push(cid)
    if (cid.code !== CODEC_DAG_PB || store.isLeaf(cid)) continue
    const links = dagPb.decode(await store.read(cid)).Links
    for (let i = links.length - 1; i >= 0; i--) stack.push((links[i] as dagPb.PBLink).Hash)
  }
  return { cids }
}

/**
 * A published site's blocks for the hosts, streamed from its files: no CAR on disk. Every leaf
 * sent is read from its file and checked against its CID on the way (a file changed since
 * publish fails the push, naming it).
 */
export function siteBlocks(root: CID, store: SourceBlockstore): SiteBlocks {
  let walked: Promise<{ cids: CID[]; missing?: CID }> | undefined
  const walk = () => {
    walked ??= walkCids(root, store)
    return walked
  }
  return {
    root,
    blockstore: store,
    async cids() {
      const { cids, missing } = await walk()
      if (missing !== undefined) throw new Error(`block ${missing} of ${root} is not in the published site`)
      return cids
    },
    firstMissing: async () => (await walk()).missing,
    async carBytes() {
      let bytes = headerLength({ roots: [root] })
      for (const cid of (await walk()).cids) {
        bytes += blockLength({ cid, bytes: { byteLength: store.sizeOf(cid) ?? 0 } as Uint8Array })
      }
      return bytes
    },
    async *car(options = {}) {
      const { only, signal } = options
      // The whole DAG, walked; or just the wanted blocks, in the same order, no other leaf read.
      const blocks =
        only === undefined
          ? walkDag(root, store, { trusted: () => true, ...(signal ? { signal } : {}) })
          : (async function* () {
              for (const cid of (await walk()).cids) {
                signal?.throwIfAborted()
                if (only.has(blockKey(cid))) yield { cid, bytes: await store.read(cid) }
              }
            })()
      for await (const batch of encodeCar(root, blocks)) yield* batch
    },
  }
}
