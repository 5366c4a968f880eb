/**
 * The host's public types: what `startHost()` takes (`HostOptions`, the `p2pcdn host` flags), what
 * `host status` shows (`HostStatus`) and what a running host offers (`RunningHost`).
 */
import type { SessionDiscovery } from '../discovery/session.js'
import type { Warning } from '../warnings.js'
import type { Following } from './follow.js'
import type { FollowedSite } from './follow-state.js'
import type { IpnsStore } from './ipns-store.js'
import type { DhtMode, HostHelia } from './node.js'
import type { PinRequests } from './pin-requests.js'
import type { HostRepo } from './repo.js'

export interface HostOptions {
  /** The repo folder. @default defaultRepoPath() */
  repo?: string
  /** `host:port` of the HTTP port; port 0 picks a free one; a taken one fails the start. @default '127.0.0.1:4080' */
  http?: string
  /**
   * libp2p listen multiaddrs. A port given here that is taken fails the start with an error naming
   * it; a default port that is taken is replaced by a free one (see `RunningHost.warnings`).
   * @default TCP 4011 and WebSockets 4012 on all interfaces
   */
  listen?: string[]
  /** Multiaddrs to announce (and return as pin `delegates`) instead of the listen addresses. */
  announce?: string[]
  /**
   * Public URLs of this host's HTTP gateway, announced (as `/dns/…/tcp/443/tls/http`, IPIP-484)
   * with its libp2p addresses and in `/routing/v1/providers` answers. @default the address the HTTP
   * port listens on (each interface's when it listens on 0.0.0.0 or ::)
   */
  announceHttp?: string[]
  /** Peers to connect to at start. None by default. */
  bootstrap?: string[]
  /** @default 'lan' */
  dht?: DhtMode
  /** PEM certificate and key files: the HTTP port speaks HTTPS, WebSockets listen as secure WebSockets. */
  tlsCert?: string
  tlsKey?: string
  /** Acquire a certificate for secure WebSockets with libp2p AutoTLS (a host on the public internet). */
  autoTls?: boolean
  /** Storage quota in bytes (0 = none): pins beyond it are refused. @default 0 */
  storageMax?: number
  /** Session discovery: the CDN's name and the period, or false to turn it off. @default {} (the paper's, 60 s) */
  session?: false | { name?: string; periodMs?: number }
  /** Pins fetched at once. @default 4 */
  pinConcurrency?: number
  /** A pin that has not completed in this time fails. @default 600_000 */
  pinTimeoutMs?: number
  /**
   * IPNS names of sites to follow (`k51…`): each new version is found, verified, fetched and
   * pinned with no push (see `src/host/follow.ts`). @default []
   */
  follow?: string[]
  /** Hosts (HTTP base URLs) asked first for the followed sites' records and content. @default [] */
  followFrom?: string[]
  /** How often a followed name is checked. @default 30_000 */
  followIntervalMs?: number
  /** How long a followed site's previous version stays pinned. @default 600_000 */
  followGraceMs?: number
}

export interface HostStatus {
  /** The p2pcdn version the host runs (`hosts check` shows it). */
  version: string
  peerId: string
  multiaddrs: string[]
  http: string
  repo: string
  pins: Record<string, number>
  storage: { used: number; quota: number }
  peers: number
  session: { enabled: boolean; name: string | null; members: string[]; connected: string[] }
  /** The followed sites: root served, sequence, last check, lag, pending version, last error. */
  follow: FollowedSite[]
}

export interface RunningHost {
  readonly helia: HostHelia
  readonly repo: HostRepo
  readonly pins: PinRequests
  readonly discovery: SessionDiscovery | undefined
  /** The IPNS records this host holds and serves. */
  readonly ipns: IpnsStore
  /** The followed sites (`follow`), undefined when none. */
  readonly following: Following | undefined
  readonly peerId: string
  /** The HTTP port's base URL, e.g. http://127.0.0.1:4080. */
  readonly url: string
  /** What the host did differently from its options: a default libp2p port that was taken (`W_LISTEN_PORT_TAKEN`). */
  readonly warnings: Warning[]
  /** libp2p multiaddrs (what peers dial; pin `delegates`). */
  multiaddrs(): string[]
  /** The HTTP gateway's multiaddrs it announces (`/ip4/…/tcp/…/http`, IPIP-484). */
  httpMultiaddrs(): string[]
  status(): HostStatus
  stop(): Promise<void>
}
