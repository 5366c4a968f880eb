import '../utils/promise-with-resolvers.js'
import { CarIndexedReader } from '@ipld/car/indexed-reader'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core/memory'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { createHostNode } from '../host/node.js'

/** A read-only blockstore over a CAR file, read by offset (the file is indexed once, never loaded whole). */
function carBlockstore(reader: CarIndexedReader): Blockstore {
  const readOnly = () => {
    throw new Error('the publishing node serves its CAR read-only')
  }
  return {
    has: (cid: CID) => reader.has(cid),
    async *get(cid: CID) {
      const block = await reader.get(cid)
      if (!block) throw Object.assign(new Error(`block ${cid} is not in the CAR`), { name: 'NotFoundError' })
      yield block.bytes
    },
    put: readOnly,
    putMany: readOnly,
    delete: readOnly,
    deleteMany: readOnly,
    async *getMany(cids: Iterable<CID> | AsyncIterable<CID>) {
      for await (const cid of cids) {
        const block = await reader.get(cid)
        if (block)
          yield {
            cid,
            bytes: (async function* () {
              yield block.bytes
            })(),
          }
      }
    },
    async *getAll() {
      for await (const block of reader.blocks())
        yield {
          cid: block.cid,
          bytes: (async function* () {
            yield block.bytes
          })(),
        }
    },
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
 * The publishing node: a Helia node that serves a site's CAR over bitswap while hosts fetch it
 * (the `origins` of Pinning Service API pins). In-memory datastore, no DHT, nothing dialled
 * except the delegates hosts name.
 */
export async function startOriginNode(car: string, listen: string[]): Promise<OriginNode> {
  const reader = await CarIndexedReader.fromFile(car)
  const node = createHostNode({
    blockstore: carBlockstore(reader),
    datastore: new MemoryDatastore(),
    listen,
    dht: 'off',
  })
  try {
    await node.start()
  } catch (err) {
    await reader.close()
    throw err
  }
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
      await reader.close()
    },
  }
}
