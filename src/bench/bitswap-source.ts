/**
 * The `bitswap` source: an embedded Helia node (the host's offline-safe libp2p setup: TCP and
 * WebSockets, Noise, Yamux, identify, ping, bitswap; no DHT, no bootstrap list, no mDNS, not
 * listening) that dials the hosts it is given and nothing else. Before the timed fetch it checks
 * every host's connection (dial, then ping; one redial when the ping fails), untimed: the paper's
 * client often timed nodes that were not connected. Helia hashes each block against its CID.
 *
 * One node per sample, with an empty in-memory blockstore, so every sample fetches every block over
 * the network. A fresh node (a new peer ID) rather than one node with its store emptied: Helia's
 * bitswap (4.0.x) never sends CANCEL entries, and a host does not send a block again to a peer it
 * sent it to less than 5 s before (`doNotResendBlockWindow`), so a node asking twice for a block
 * in quick succession waits forever now and then (about one sample in 20 on loopback).
 */
import '../utils/promise-with-resolvers.js'
import type { Ping } from '@libp2p/ping'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import { createHostNode, type HostHelia } from '../host/node.js'
import { type ContentDigest, DigestStream } from './content-check.js'
import type { PeerCheck } from './types.js'

/** Longest wait for one dial or ping of the connection check. */
const CHECK_TIMEOUT_MS = 10_000

/** What a bitswap sample delivered. */
export interface BitswapFetch {
  digest: ContentDigest
  /** Blocks that came over the network (the store was empty before). */
  blocks: number
  seconds: number
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** An embedded Helia node that fetches over bitswap from given hosts; one per sample. */
export class BitswapClient {
  readonly #node: HostHelia
  readonly #store: MemoryBlockstore
  readonly #peers: { text: string; addr: Multiaddr }[]

  private constructor(node: HostHelia, store: MemoryBlockstore, peers: string[]) {
    this.#node = node
    this.#store = store
    this.#peers = peers.map((text) => ({ text, addr: multiaddr(text) }))
  }

  /** Starts a node, its store empty, for these hosts' multiaddrs (it dials them at {@link check}). */
  static async start(peers: string[]): Promise<BitswapClient> {
    const store = new MemoryBlockstore()
    const node = createHostNode({
      blockstore: store,
      datastore: new MemoryDatastore(),
      listen: [],
      dht: 'off',
    })
    await node.start()
    return new BitswapClient(node, store, peers)
  }

  /** Dials (or keeps) and pings every host; one redial for a connection whose ping fails. */
  async check(signal: AbortSignal): Promise<PeerCheck[]> {
    const { libp2p } = this.#node
    const ping = (libp2p.services as { ping: Ping }).ping
    return Promise.all(
      this.#peers.map(async ({ text, addr }): Promise<PeerCheck> => {
        let lastError: unknown
        for (let attempt = 0; attempt < 2; attempt++) {
          const options = { signal: AbortSignal.any([signal, AbortSignal.timeout(CHECK_TIMEOUT_MS)]) }
          let connection: Awaited<ReturnType<typeof libp2p.dial>> | undefined
          try {
            connection = await libp2p.dial(addr, options)
            const rttMs = await ping.ping(addr, options)
            return { peer: text, ok: true, rttMs }
          } catch (error) {
            lastError = error
            if (signal.aborted) break
            if (connection) await libp2p.hangUp(connection.remotePeer).catch(() => {})
          }
        }
        return { peer: text, ok: false, error: message(lastError) }
      }),
    )
  }

  /** Fetches one block, untimed (see `BitswapSource.warm`): opens the bitswap streams both ways. */
  async warm(cid: CID, signal: AbortSignal): Promise<void> {
    await this.#node.blockstore.get(cid, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(CHECK_TIMEOUT_MS)]),
    })
    await this.#store.delete(cid)
  }

  /** Reads the file `cid` over bitswap, timed; its blocks stay in the node's store. */
  async fetch(cid: CID, signal: AbortSignal): Promise<BitswapFetch> {
    const stream = new DigestStream()
    const started = performance.now()
    const entry = await exporter(cid, this.#node.blockstore, { signal })
    if (entry.type !== 'file' && entry.type !== 'raw' && entry.type !== 'identity')
      throw new Error(`${cid} is a UnixFS ${entry.type}, not a file`)
    for await (const chunk of entry.content({ signal })) stream.update(chunk)
    const seconds = (performance.now() - started) / 1000
    let blocks = 0
    for await (const _ of this.#store.getAll()) blocks++
    // (The warm-up block was deleted again, so only the file's blocks are counted.)
    return { digest: stream.digest(), blocks, seconds }
  }

  async stop(): Promise<void> {
    await this.#node.stop()
  }
}
