import type { GraphWalkerFactory } from '@helia/interface'
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import { createUnsafe } from 'multiformats/block'
import type { CID } from 'multiformats/cid'
import { walkDag } from '../car/write-car.js'

/**
 * The DAG walker a host pins with (`helia.pins.add(cid, { walker })`): depth-first, with reads of
 * the next blocks started ahead (so bitswap fetches overlap), following UnixFS (dag-pb) links.
 *
 * Helia's default walkers report a failed child read by calling `throw()` on their own generator,
 * which leaves an unhandled promise rejection behind (enough to end a Node process); this one
 * settles every read it starts. Blocks are not hashed again: Helia verifies what bitswap brings.
 */
export function pinWalker(extra: AbortOptions & { offline?: boolean } = {}): GraphWalkerFactory {
  return (components) => ({
    async *walk(root, options) {
      const store: Pick<Blockstore, 'get'> = {
        get: (cid: CID, opts?: AbortOptions) =>
          components.blockstore.get(cid, { ...options, ...extra, ...opts }) as AsyncGenerator<Uint8Array>,
      }
      for await (const { cid, bytes } of walkDag(root, store, {
        ...(options?.signal ? { signal: options.signal } : {}),
        trusted: () => true,
      })) {
        const block = createUnsafe({ cid, bytes, codec: await components.getCodec(cid.code) })
        yield { block, depth: 0, path: [cid] }
      }
    },
  })
}
