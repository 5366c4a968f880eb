/// <reference lib="webworker" />
/**
 * What the worker fetched and from where, for the tests and the speedtest:
 * `postMessage({ type: 'p2pcdn:stats' }, [port])` answers on the port with a
 * {@link ServiceWorkerStats}; `{ type: 'p2pcdn:reset-stats' }` zeroes the
 * counters and answers with the zeroed object. Counters live in the worker's
 * memory: a worker the browser stopped starts again from zero.
 */
import type { HostOrigin } from './candidates.js'

/** Counters of one source (a trustless gateway base URL). */
export interface SourceStats {
  /** Verified block bytes received. */
  bytes: number
  /** Verified blocks received. */
  blocks: number
  /** Blocks whose bytes did not hash to their CID (never used). */
  mismatches: number
  /** Requests that failed: network error, HTTP status other than 200, timeout. */
  failures: number
  /** A publish-time source, or a host a router named. */
  origin: HostOrigin
  /** Smoothed round trip of its probe (`/ipfs/bafkqaaa`) in ms; null until one answered. */
  rttMs: number | null
  /**
   * `preferred`: among the nearest few, asked first; `fallback`: asked when no preferred one is
   * healthy; `candidate`: known, not in use; `dropped`: failed or lied, not asked again for a while.
   */
  state: 'preferred' | 'fallback' | 'candidate' | 'dropped'
}

/** What discovery did (all zero for a config without a `root`). */
export interface DiscoveryStats {
  /** The site root whose providers are asked for; null without one (no discovery). */
  root: string | null
  /** Refreshes run: routers asked, candidates probed. */
  refreshes: number
  /** Distinct gateway URLs the routers named. */
  candidatesSeen: number
  /** Probe requests sent. */
  probes: number
  /** Routing hosts dropped: probes failed, requests failed in a row, or wrong bytes. */
  dropped: number
  /** Router requests that failed (network, status, timeout; an unreadable answer counts as empty). */
  routerFailures: number
  /** Date.now() of the last refresh's end; null before the first. */
  lastRefresh: number | null
}

/** The answer to `p2pcdn:stats`. */
export interface ServiceWorkerStats {
  /** The config version in use, null before the config is read. */
  version: string | null
  /** By source URL: every configured source, and every host discovery probed. */
  sources: Record<string, SourceStats>
  discovery: DiscoveryStats
  /** Responses (or the rest of one) fetched from the site origin because every source failed. */
  originFallbacks: number
  /** Responses served from the version's cache. */
  cacheHits: number
  /** Responses built from verified blocks fetched from the sources (a multi-block one may end from the origin). */
  verified: number
}

/** The worker's live counters. */
const noDiscovery = (): DiscoveryStats => ({
  root: null,
  refreshes: 0,
  candidatesSeen: 0,
  probes: 0,
  dropped: 0,
  routerFailures: 0,
  lastRefresh: null,
})

export const stats: ServiceWorkerStats = {
  version: null,
  sources: {},
  discovery: noDiscovery(),
  originFallbacks: 0,
  cacheHits: 0,
  verified: 0,
}

/** The counters of a source, created at zero (a routing candidate unless said otherwise). */
export function sourceStats(url: string, origin: HostOrigin = 'routing'): SourceStats {
  stats.sources[url] ??= {
    bytes: 0,
    blocks: 0,
    mismatches: 0,
    failures: 0,
    origin,
    rttMs: null,
    state: origin === 'config' ? 'preferred' : 'candidate',
  }
  return stats.sources[url]
}

/** Zeroes the counters; the version, the sources (their counters at zero) and discovery's root stay. */
export function resetStats(): void {
  for (const source of Object.values(stats.sources))
    Object.assign(source, { bytes: 0, blocks: 0, mismatches: 0, failures: 0 })
  stats.discovery = { ...noDiscovery(), root: stats.discovery.root }
  stats.originFallbacks = 0
  stats.cacheHits = 0
  stats.verified = 0
}

/** Starts counting for a config: its version, its sources listed at zero, the root discovery asks for. */
export function useSources(version: string, sources: string[], root: string | null = null): void {
  stats.version = version
  for (const url of sources) sourceStats(url, 'config')
  stats.discovery.root = root
}

/** Answers the stats messages; false for any other message. */
export function answerStatsMessage(event: ExtendableMessageEvent): boolean {
  const type = (event.data as { type?: unknown } | null)?.type
  if (type !== 'p2pcdn:stats' && type !== 'p2pcdn:reset-stats') return false
  if (type === 'p2pcdn:reset-stats') resetStats()
  const snapshot = JSON.parse(JSON.stringify(stats)) as ServiceWorkerStats
  const port = event.ports[0]
  if (port) port.postMessage(snapshot)
  else event.source?.postMessage(snapshot)
  return true
}
