/**
 * Who holds a CID, as Delegated Routing V1 peer records (IPIP-337 answers, IPIP-484 addresses):
 * this host when the CID is pinned here, and the peers the DHT names as its providers (the other
 * hosts provide what they pin), each with its HTTP gateway address when it announces one. Answers
 * are hints: a visitor verifies every block it gets from any of them.
 */
import type { Routing } from '@helia/interface'
import { peerIdFromCID } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'
import { isHttpMultiaddr } from './http-multiaddrs.js'

/** A Delegated Routing V1 `peer` record. */
export interface PeerRecord {
  Schema: 'peer'
  ID: string
  Addrs: string[]
  Protocols: string[]
}

/** Protocol names of IPIP-484 / the Delegated Routing filters. */
export const TRANSPORT_HTTP = 'transport-ipfs-gateway-http'
export const TRANSPORT_BITSWAP = 'transport-bitswap'

/** Most records one answer lists. */
export const MAX_PROVIDERS = 20

export interface ProviderFinderOptions {
  /** This host: its peer ID and addresses (libp2p and HTTP gateway). */
  self: () => { id: string; addrs: Multiaddr[] }
  /** True when the CID is pinned here (or inside a pinned DAG). */
  isServable: (cid: CID) => Promise<boolean>
  /** The DHT; none: only this host is ever listed. */
  routing?: Pick<Routing, 'findProviders'>
  /** How long a DHT lookup may take. @default 5_000 */
  lookupTimeoutMs?: number
  /** How long an answer is reused. @default 30_000 */
  cacheMs?: number
  /**
   * How long an answer the DHT added nobody to is reused: short, as it is what a host says while
   * the others are still fetching a new version (a follower asks for the providers it fetches from).
   * @default 5_000
   */
  emptyCacheMs?: number
}

/** `/p2p/<id>` taken off, as Delegated Routing addresses are written. */
const bare = (addr: Multiaddr | string) => addr.toString().replace(/\/p2p\/[^/]+$/, '')

/** A peer record from a peer's addresses: HTTP gateway addresses first, protocols from what it has. */
export function peerRecord(id: string, addrs: Array<Multiaddr | string>): PeerRecord {
  const unique = [...new Set(addrs.map(bare))]
  const http = unique.filter((a) => isHttpMultiaddr(a))
  const other = unique.filter((a) => !isHttpMultiaddr(a))
  return {
    Schema: 'peer',
    ID: id,
    Addrs: [...http, ...other],
    Protocols: [
      ...(http.length > 0 ? [TRANSPORT_HTTP] : []),
      ...(other.length > 0 ? [TRANSPORT_BITSWAP] : []),
    ],
  }
}

/** Finds, caches and lists the providers of CIDs; see the file comment. */
export class ProviderFinder {
  readonly #options: ProviderFinderOptions
  readonly #cache = new Map<string, { records: PeerRecord[]; expires: number }>()

  constructor(options: ProviderFinderOptions) {
    this.#options = options
  }

  /** At most {@link MAX_PROVIDERS} records: this host first when it holds the CID, then the DHT's. */
  async find(cid: CID, signal?: AbortSignal): Promise<PeerRecord[]> {
    const key = cid.toV1().toString()
    const cached = this.#cache.get(key)
    if (cached && cached.expires > Date.now()) return cached.records
    const self = this.#options.self()
    const records: PeerRecord[] = []
    if (await this.#options.isServable(cid)) records.push(peerRecord(self.id, self.addrs))
    const others = await this.#lookup(cid, self.id, signal)
    records.push(...others.slice(0, MAX_PROVIDERS - records.length))
    const ttl = others.length > 0 ? (this.#options.cacheMs ?? 30_000) : (this.#options.emptyCacheMs ?? 5_000)
    if (this.#cache.size >= 1000) this.#cache.clear()
    this.#cache.set(key, { records, expires: Date.now() + ttl })
    return records
  }

  /** The DHT's providers of `cid` other than this host, until the timeout or enough of them. */
  async #lookup(cid: CID, selfId: string, signal?: AbortSignal): Promise<PeerRecord[]> {
    const routing = this.#options.routing
    if (!routing) return []
    const timeout = AbortSignal.timeout(this.#options.lookupTimeoutMs ?? 5_000)
    const lookup = signal ? AbortSignal.any([signal, timeout]) : timeout
    const found = new Map<string, PeerRecord>()
    try {
      for await (const provider of routing.findProviders(cid, { signal: lookup })) {
        const id = peerIdFromCID(provider.id).toString()
        if (id === selfId) continue
        found.set(id, peerRecord(id, [...(found.get(id)?.Addrs ?? []), ...provider.multiaddrs]))
        if (found.size >= MAX_PROVIDERS) break
      }
    } catch {
      // A lookup that times out, or a node without routers, ends with what was found.
    }
    return [...found.values()]
  }
}
