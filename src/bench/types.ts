import type { ProgressEvent, ProgressOptions } from 'progress-events'
import type { CurlTimings, ResultsFile } from '../report/results-format.js'
import type { Warning } from '../warnings.js'

/** One file to fetch: from its origin URL, and by its CID from the P2P sources. */
export interface BenchAsset {
  /** The key in the results file, e.g. `iphone` (the paper's 22 KB image) or `ipad` (its 134 MB video). */
  name: string
  /** The file's origin URL (http or https). Without it the asset gets no origin samples. */
  url?: string
  /** The file's CID (UnixFS file or raw block). Without it the asset gets no P2P samples. */
  cid?: string
  /** The file's size in bytes, when known (the manifest's `size`): every sample must deliver exactly it. */
  size?: number
  /**
   * The file's SHA-256 as Subresource Integrity (`sha256-<base64>`, the manifest's `integrity`). Origin
   * samples are checked against it; without it, against the bytes of the first verified P2P sample.
   */
  integrity?: string
}

/** A host's trustless gateway: one `GET <url>/ipfs/<cid>?format=car` per sample, on a new connection. */
export interface GatewaySource {
  kind: 'gateway'
  /** The results key is `ipfs_<name>`. @default 'gateway' */
  name?: string
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string
}

/** Several host gateways at once: the file's blocks spread over them (`?format=raw`, each verified). */
export interface HostsSource {
  kind: 'hosts'
  /** @default 'hosts' */
  name?: string
  /** Base URLs of the hosts' gateways. */
  urls: string[]
}

/** An embedded Helia node fetching over bitswap from the hosts: a new node, its store empty, per sample. */
export interface BitswapSource {
  kind: 'bitswap'
  /** @default 'bitswap' */
  name?: string
  /** The hosts' libp2p multiaddrs, e.g. `/ip4/127.0.0.1/tcp/4011/p2p/12D3Koo…`. */
  peers: string[]
  /**
   * A small block the hosts have but the timed files do not contain (e.g. the site's root
   * directory), fetched untimed after the connection check, so that the bitswap streams are open
   * as on the paper's long-lived, connected node. `p2pcdn bench --manifest` uses the site root.
   */
  warm?: string
}

/** A P2P source to time. */
export type BenchSource = GatewaySource | HostsSource | BitswapSource

/** Where a sample came from: `curl` (the origin) or `ipfs_<source name>`. */
export type SampleSource = 'curl' | `ipfs_${string}`

/** What one block source (a gateway URL, a peer) contributed to a sample. */
export interface SourceShare {
  /** Verified blocks received. */
  blocks: number
  /** Their bytes. */
  bytes: number
  /** Blocks whose bytes did not match their CID (never used). */
  mismatches: number
  /** Failed requests: network error, HTTP status, timeout. */
  failures: number
}

/** One connection check before a bitswap sample. */
export interface PeerCheck {
  peer: string
  ok: boolean
  /** Ping round trip in ms. */
  rttMs?: number
  error?: string
}

/** One timed fetch. */
export interface BenchSample {
  source: SampleSource
  asset: string
  /** 1-based round; warmup rounds count up to 0 (e.g. -1, 0 for two warmup rounds). */
  run: number
  warmup: boolean
  ok: boolean
  /** Seconds from the request to the last verified byte (set for failed samples too: time until the failure). */
  seconds: number
  /** curl's phases, for origin samples that got a response. */
  timings?: CurlTimings
  /** File bytes received (verified, for P2P sources). */
  bytes: number
  /** Why the sample failed. */
  error?: string
  /** Blocks fetched over the network (P2P sources). */
  blocks?: number
  /** For the `hosts` source: what each gateway sent, by URL. */
  shares?: Record<string, SourceShare>
  /** For the `bitswap` source: the connection checks made before the sample (not timed). */
  peers?: PeerCheck[]
}

/** Extra data in a results file, under the `p2pcdn` key (which `report` ignores). */
export interface BenchMetadata {
  version: string
  /** ISO timestamps of the run. */
  started: string
  finished: string
  client?: string
  node: string
  runs: number
  originRuns: number
  warmup: number
  timeoutMs: number
  /** How the samples were ordered. */
  order: string
  assets: Record<string, { url?: string; cid?: string; size?: number; sha256?: string }>
  /** By results key: what each P2P source fetched from, and whether its connections were new per sample. */
  sources: Record<
    string,
    { kind: BenchSource['kind']; urls?: string[]; peers?: string[]; connections: string }
  >
  /** Samples that failed (timed rounds only), with their error. */
  failures: { source: SampleSource; asset: string; run: number; error: string }[]
  /** Every sample, warmup included, in the order taken. */
  samples: BenchSample[]
}

/** A results file as `p2pcdn bench` writes it: the paper's keys, and `p2pcdn` metadata. */
export type BenchResultsFile = ResultsFile & { p2pcdn: BenchMetadata }

/** Details carried by each bench progress event. */
export interface BenchProgressDetails {
  /** The options are checked; samples begin. */
  'p2pcdn:bench:start': { assets: string[]; sources: SampleSource[]; runs: number; warmup: number }
  /**
   * One sample is done, successful or not. An origin sample taken before the file's content was
   * known (no manifest integrity, no verified P2P copy yet) is checked at the end of the run, and
   * may then turn into a failure in the results.
   */
  'p2pcdn:bench:sample': BenchSample
}

/** Any bench progress event; `type` names it, `detail` is typed by it. */
export type BenchProgressEvents = {
  [K in keyof BenchProgressDetails]: ProgressEvent<K, BenchProgressDetails[K]>
}[keyof BenchProgressDetails]

/** Options of {@link runBench}. */
export interface BenchOptions extends ProgressOptions<BenchProgressEvents> {
  /** The files to fetch; names must be unique. */
  assets: BenchAsset[]
  /** The P2P sources to time; result keys `ipfs_<name>` must be unique. @default [] */
  sources?: BenchSource[]
  /** Time origin fetches (assets with a `url`). @default true */
  origin?: boolean
  /** Timed samples per asset and P2P source. @default 10 */
  runs?: number
  /** Timed origin samples per asset, taken in the first rounds. @default runs */
  originRuns?: number
  /** Untimed rounds first (every source, every asset), kept only in the metadata. @default 0 */
  warmup?: number
  /** Milliseconds one sample may take; a slower one fails. @default 120000 */
  timeout?: number
  /** The results file's `VERSION`. @default `p2pcdn <package version>` */
  version?: string
  /** A name for this client, written to the metadata (e.g. `client-1`). */
  client?: string
  signal?: AbortSignal
}

/** What {@link runBench} returns. */
export interface BenchResult {
  results: BenchResultsFile
  /** Non-fatal problems: failed samples, sources with no successful sample. */
  warnings: Warning[]
}
