/**
 * Real Helia nodes for the P2P tests: libp2p over TCP on 127.0.0.1 only, noise, yamux, identify, ping,
 * an Amino-protocol kad-dht in server mode that keeps loopback addresses, and bitswap. No mDNS, no public
 * bootstrap list: a node knows only the addresses it is given.
 */
import '../../src/utils/promise-with-resolvers.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { type HeliaWithLibp2p, withLibp2pLight } from '@helia/libp2p'
import { bootstrap } from '@libp2p/bootstrap'
import type { Identify } from '@libp2p/identify'
import { identify } from '@libp2p/identify'
import { type KadDHT, kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import type { Multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { createHeliaLight, type Helia } from 'helia'

export type TestNode = Helia & HeliaWithLibp2p<{ identify: Identify; ping: Ping; dht: KadDHT }>

export interface TestNodeOptions {
  /** Addresses (with `/p2p/<id>`) dialled at start through @libp2p/bootstrap; none by default. */
  bootstrap?: Multiaddr[]
}

export interface StartedTestNode {
  node: TestNode
  /** The node's listen addresses, each ending in `/p2p/<id>`: what another node bootstraps from. */
  addrs: Multiaddr[]
  /** Stops the node; safe to call twice. */
  cleanup(): Promise<void>
}

/** Starts a Helia node listening on 127.0.0.1, port 0. */
export async function startTestNode(options: TestNodeOptions = {}): Promise<StartedTestNode> {
  const list = (options.bootstrap ?? []).map((ma) => ma.toString())
  const peerDiscovery = list.length > 0 ? [bootstrap({ list, timeout: 0 })] : []
  const node = withBitswap(
    withLibp2pLight(
      createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() }),
      {
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        peerDiscovery,
        services: {
          identify: identify(),
          ping: ping(),
          dht: kadDHT({ protocol: '/ipfs/kad/1.0.0', clientMode: false, peerInfoMapper: passthroughMapper }),
        },
      },
    ),
  ) as TestNode
  await node.start()
  let stopped: Promise<unknown> | undefined
  return {
    node,
    addrs: node.libp2p.getMultiaddrs(),
    cleanup: async () => {
      stopped ??= node.stop()
      await stopped
    },
  }
}

/** A group of test nodes: `start()` as many as needed, `cleanup()` stops them all (in afterEach). */
export function testNodes() {
  const started: StartedTestNode[] = []
  return {
    async start(options: TestNodeOptions = {}): Promise<StartedTestNode> {
      const one = await startTestNode(options)
      started.push(one)
      return one
    },
    async cleanup(): Promise<void> {
      await Promise.all(started.splice(0).map((one) => one.cleanup()))
    },
  }
}
