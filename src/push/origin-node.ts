import '../utils/promise-with-resolvers.js'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core/memory'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { createHostNode } from '../host/node.js'
import type { SiteBlocks } from '../hosts/types.js'

/** A read-only blockstore over the site's blocks (read from its files, verified). */
function readOnlyBlockstore(source: SiteBlocks['blockstore']): Blockstore {
  const readOnly = () => {
    throw new Error('the publishing node serves the site read-only')
  }
  return {
    has: (cid: CID) => source.has(cid),
    get: (cid: CID) => source.get(cid),
    put: readOnly,
    putMany: readOnly,
    delete: readOnly,
    deleteMany: readOnly,
    async *getMany(cids: Iterable<CID> | AsyncIterable<CID>) {
      for await (const cid of cids) {
        if (await source.has(cid)) yield { cid, bytes: source.get(cid) }
      }
    },
    getAll: readOnly,
  } as unknown as Blockstore
}

export interface OriginNode {
  /** Its multiaddrs with `/p2p/<peer id>`: a pin's `origins`. */
  multiaddrs: string[]
  /** Dials these multiaddrs (a pin's `delegates`); failures are ignored. */
  connect(addresses: string[]): Promise<void>
  stop(): Promise<void>
}

/**
 * The publishing node: a Helia node that serves a site's blocks (from its files) over bitswap while hosts fetch it
 * (the `origins` of Pinning Service API pins). In-memory datastore, no DHT, nothing dialled
 * except the delegates hosts name.
 */
export async function startOriginNode(blocks: SiteBlocks, listen: string[]): Promise<OriginNode> {
  const node = createHostNode({
    blockstore: readOnlyBlockstore(blocks.blockstore),
    datastore: new MemoryDatastore(),
    listen,
    dht: 'off',
  })
  await node.start()
  return {
    multiaddrs: node.libp2p.getMultiaddrs().map(String),
    async connect(addresses) {
      await Promise.all(
        addresses.map((address) =>
          node.libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) }).catch(() => {}),
        ),
      )
    },
    async stop() {
      await node.stop()
    },
  }
}
