import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/**
 * Kinds of host a site can be pushed to, each with the API it is driven through:
 * - `pinning-service`: the IPFS Pinning Service API v1.0.0 (Pinata, Filebase, IPFS Cluster's pinsvc, …)
 * - `kubo`: Kubo's RPC API (`/api/v0/…`)
 * - `cluster`: the IPFS Cluster REST API
 * - `p2pcdn`: a `p2pcdn host` (CAR upload, else the Pinning Service API)
 */
export type HostType = 'pinning-service' | 'kubo' | 'cluster' | 'p2pcdn'

export const HOST_TYPES: readonly HostType[] = ['pinning-service', 'kubo', 'cluster', 'p2pcdn']

/** A registered host, as kept in the config file (`hosts`). Secrets are never stored: only the name of the environment variable that holds the token. */
export interface HostEntry {
  /** A short name to refer to it by, e.g. "campus-1". */
  name: string
  /** Base URL of its API, e.g. https://cdn.example.com or http://127.0.0.1:5001 for Kubo. */
  url: string
  type: HostType
  /** Name of the environment variable holding its bearer token (or Kubo's basic-auth `user:password`). */
  tokenEnv?: string
  /** IPFS Cluster: `replication-min`/`replication-max` of the pin (default: the cluster's own). */
  replicationMin?: number
  replicationMax?: number
  /**
   * The URL of the IPFS gateway that serves what this host pins, e.g. https://ipfs.example.com (a
   * Kubo node's gateway, a pinning service's dedicated gateway). Publish links pages to the first
   * host's gateway when `gateway` is not set.
   * @default the host's `url` for a `p2pcdn` host (it serves a gateway there), none for the others
   */
  gateway?: string
}

/** A host ready to be talked to: its entry and, resolved from the environment, its secret. */
export interface HostTarget extends HostEntry {
  /** The token read from `tokenEnv`; never printed, never in an error message. */
  token?: string
}

/** What `hosts check` reports for one host. */
export interface HostCheck {
  reachable: boolean
  authorised: boolean
  /** The server's version when its API tells it. */
  version?: string
  latencyMs: number
  /** Why it is not reachable or not authorised. */
  error?: string
}

/** One site to push. */
export interface PushJob {
  /** The site's root CID. */
  root: CID
  /** Pin name, e.g. the site's name and version. */
  name: string
  /**
   * The site's identity (`siteIdentity().id`), recorded in the pin's meta (`p2pcdn_site`) so that
   * a later push can tell whether a pin of `name` was made by this site or by another one.
   */
  site?: string
  /**
   * `name` was chosen explicitly (`siteName`): a pin of that name is replaced even when another
   * site made it. Otherwise such a push fails and the other site's pin is left alone.
   * @default false
   */
  nameGiven?: boolean
  /** The site's blocks, streamed from its files (a CAR when a host takes one). */
  blocks: SiteBlocks
  /**
   * Multiaddrs of a node serving the site's blocks over bitswap while the push runs (the
   * `origins` of a Pinning Service API pin).
   */
  origins: string[]
  /** What this host was sent last time (from the push state), to replace rather than pile up. */
  previous?: { root: string; requestid?: string }
  /** Connect the publishing node to these multiaddrs (a pin's `delegates`), so transfers start at once. */
  connect?: (multiaddrs: string[]) => Promise<void>
  /** Wait until the host reports pinned (true), or until it accepted the request (false). */
  wait: boolean
  /** Gives up waiting for `pinned` after this long. */
  timeoutMs: number
  /**
   * The site's signed IPNS record naming `root`, sent after the pin where the host takes records
   * (`p2pcdn`: Delegated Routing V1 `PUT /routing/v1/ipns/<name>`; `kubo`: `routing/put`). A host
   * that refuses it (an older sequence, an invalid record) fails the push.
   */
  record?: IpnsRecordJob
  signal?: AbortSignal
}

/** An IPNS record to put on a host. */
export interface IpnsRecordJob {
  /** The IPNS name, `k51…`. */
  name: string
  /** The record (`application/vnd.ipfs.ipns-record`). */
  bytes: Uint8Array
}

/**
 * What became of the site's IPNS record on a host: `stored` (it holds this record, or the same
 * one already), `unsupported` (the host type has no way to take records: Pinning Service API,
 * IPFS Cluster; not a failure). A refused record fails the host's push instead.
 */
export type RecordOutcome = 'stored' | 'unsupported'

/** What one host made of a push. */
export interface PushOutcome {
  /**
   * - `pinned`: the host holds the site and says so.
   * - `already-pinned`: it held it before this push; nothing was sent.
   * - `queued`: accepted but not yet pinned (`wait: false`).
   */
  status: 'pinned' | 'already-pinned' | 'queued'
  /** Request bytes sent to the host (CAR uploads and JSON bodies). */
  bytesSent: number
  /** The host's id for the pin, kept in the push state for the next replace. */
  requestid?: string
  /** The root of the earlier pin this push replaced (unpinned or removed), if any. */
  replaced?: string
  /** A short human note ("uploaded 12 of 40 blocks", "replaced request …"). */
  detail?: string
  /** What became of `job.record`; absent when the job had none. */
  record?: RecordOutcome
}

/** One adapter per host type. */
export interface HostAdapter {
  check(signal?: AbortSignal): Promise<HostCheck>
  push(job: PushJob): Promise<PushOutcome>
}

/** A published site's blocks, read from its files on demand (no CAR on disk), for the adapters. */
export interface SiteBlocks {
  root: CID
  /** Every block by CID (for the publishing node that serves them over bitswap). */
  blockstore: Pick<Blockstore, 'get' | 'has'>
  /** Every block's CID, in the CAR's order (depth-first), found without reading the files. */
  cids(): Promise<CID[]>
  /** The first block of the DAG the site lacks, if any (found without reading the files). */
  firstMissing(): Promise<CID | undefined>
  /** The size in bytes of the whole site as a CARv1. */
  carBytes(): Promise<number>
  /** The site as a CARv1 byte stream rooted at `root`; `only` keeps the blocks whose `blockKey` it holds. */
  car(options?: { only?: Set<string>; signal?: AbortSignal }): AsyncIterable<Uint8Array>
}
