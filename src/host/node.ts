import '../utils/promise-with-resolvers.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { type HeliaWithLibp2p, withLibp2pLight } from '@helia/libp2p'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import type { ServiceMap } from '@libp2p/interface'
import { kadDHT, removePrivateAddressesMapper, removePublicAddressesMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import { ipnsSelector } from 'ipns/selector'
import { ipnsValidator } from 'ipns/validator'
import type { Libp2pOptions } from 'libp2p'

/**
 * Which DHT a host joins.
 * - `lan`: Kubo's LAN DHT (`/ipfs/lan/kad/1.0.0`, private addresses only): hosts on one network, tests.
 * - `public`: the public IPFS DHT (`/ipfs/kad/1.0.0`, public addresses only); give `bootstrap` peers.
 * - `off`: no DHT; peers only through `bootstrap` and direct dials (no session discovery).
 */
export type DhtMode = 'lan' | 'public' | 'off'

export const DHT_PROTOCOLS = { lan: '/ipfs/lan/kad/1.0.0', public: '/ipfs/kad/1.0.0' } as const

/** Default libp2p listen addresses: TCP and WebSockets (browsers dial the latter). */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/4011', '/ip4/0.0.0.0/tcp/4012/ws'] as const

export interface HostNodeOptions {
  blockstore: Blockstore
  datastore: Datastore
  /** libp2p listen multiaddrs. @default DEFAULT_LISTEN */
  listen?: string[]
  /** Multiaddrs to announce instead of the listen addresses (a public IP, a DNS name). */
  announce?: string[]
  /** Peers to connect to at start. None by default: nothing public is contacted unless named. */
  bootstrap?: string[]
  /** @default 'lan' */
  dht?: DhtMode
  /** Certificate and key (PEM) for secure WebSockets: listen on `/tls/ws` addresses with them. */
  tls?: { cert: string | Buffer; key: string | Buffer }
  /** Most connections libp2p keeps open. @default 300 */
  maxConnections?: number
  /** Extra libp2p services (AutoTLS, for instance). */
  services?: ServiceFactories
  /**
   * Addresses announced beside the libp2p ones, read each time libp2p lists its addresses: the
   * host's HTTP gateway (`/ip4/…/tcp/…/http`, IPIP-484), known only once its port listens.
   */
  extraAddresses?: () => Multiaddr[]
}

/** libp2p service factories; each takes the components it declares, which libp2p checks at start. */
export type ServiceFactories = Record<string, (components: never) => unknown>

export type HostHelia = HeliaWithLibp2p<ServiceMap>

/**
 * A Helia node with an explicit, offline-safe libp2p configuration: TCP and WebSockets, Noise,
 * Yamux, identify, ping, bitswap, and kad-dht when asked for. No public bootstrap list, no mDNS, no
 * delegated routing, no public gateways: it talks to the peers it is given and those that dial it.
 * The peer key is created once and kept in the datastore, so the peer ID is stable across restarts.
 */
export function createHostNode(options: HostNodeOptions): HostHelia {
  const dht = options.dht ?? 'lan'
  const services: ServiceFactories = { identify: identify(), ping: ping(), ...options.services }
  if (dht !== 'off') {
    services.dht = kadDHT({
      protocol: DHT_PROTOCOLS[dht],
      clientMode: false,
      peerInfoMapper: dht === 'lan' ? removePublicAddressesMapper : removePrivateAddressesMapper,
      // Our DHT may have no other peers yet: answer queries anyway instead of failing them.
      allowQueryWithZeroPeers: true,
      // IPNS records (`/ipns/` keys): accepted when signed and valid, the highest sequence wins.
      validators: { ipns: ipnsValidator },
      selectors: { ipns: ipnsSelector },
    })
  }
  const peerDiscovery: Array<(components: never) => unknown> = []
  if (options.bootstrap && options.bootstrap.length > 0) {
    peerDiscovery.push(bootstrap({ list: options.bootstrap, timeout: 0 }))
  }
  const helia = createHeliaLight({ blockstore: options.blockstore, datastore: options.datastore })
  const node = withLibp2pLight(helia, {
    addresses: {
      listen: options.listen ?? [...DEFAULT_LISTEN],
      ...(options.announce && options.announce.length > 0 ? { announce: options.announce } : {}),
      ...(options.extraAddresses ? { announceFilter: withExtra(options.extraAddresses) } : {}),
    },
    transports: [
      tcp(),
      webSockets(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: peerDiscovery as NonNullable<Libp2pOptions['peerDiscovery']>,
    connectionManager: {
      maxConnections: options.maxConnections ?? 300,
      // libp2p's default (5 a second per IP) refuses browsers behind one NAT, and a bench's dials.
      inboundConnectionThreshold: 100,
    },
    // libp2p pings every connection every 10 s and, by default, aborts it when a ping takes longer
    // than its timeout (5 s at least). A host serving a large file over a slow uplink has seconds of
    // data queued ahead of that ping, so it cut its own busy connections: bitswap then never
    // completed a 40 MB file from a 25 Mbit/s host 34 ms away (docs/bitswap-stall.md). Keep the
    // pings (they measure `connection.rtt`) but not the abort (Kubo never cut a connection this
    // way there); a dead peer's connection still ends when TCP gives up, or by the connection manager.
    connectionMonitor: { abortConnectionOnPingFailure: false },
    services: services as NonNullable<Libp2pOptions['services']>,
  })
  return withBitswap(node as HostHelia) as HostHelia
}

/** An address filter that appends `extra()` (with no `/p2p/` suffix, as listen addresses go out). */
function withExtra(extra: () => Multiaddr[]): (addrs: Multiaddr[]) => Multiaddr[] {
  return (addrs) => {
    const seen = new Set(addrs.map(String))
    return [...addrs, ...extra().filter((addr) => !seen.has(addr.toString()))]
  }
}
