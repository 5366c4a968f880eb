/// <reference lib="webworker" />
/**
 * What the worker fetched and from where, for the tests and the speedtest:
 * `postMessage({ type: 'p2pcdn:stats' }, [port])` answers on the port with a
 * {@link ServiceWorkerStats}; `{ type: 'p2pcdn:reset-stats' }` zeroes the
 * counters and answers with the zeroed object. Counters live in the worker's
 * memory: a worker the browser stopped starts again from zero.
 */

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
}

/** The answer to `p2pcdn:stats`. */
export interface ServiceWorkerStats {
  /** The config version in use, null before the config is read. */
  version: string | null
  /** By source URL, every configured source listed. */
  sources: Record<string, SourceStats>
  /** Responses (or the rest of one) fetched from the site origin because every source failed. */
  originFallbacks: number
  /** Responses served from the version's cache. */
  cacheHits: number
  /** Responses built from verified blocks fetched from the sources (a multi-block one may end from the origin). */
  verified: number
}

/** The worker's live counters. */
export const stats: ServiceWorkerStats = {
  version: null,
  sources: {},
  originFallbacks: 0,
  cacheHits: 0,
  verified: 0,
}

/** The counters of a source, created at zero. */
export function sourceStats(url: string): SourceStats {
  stats.sources[url] ??= { bytes: 0, blocks: 0, mismatches: 0, failures: 0 }
  return stats.sources[url]
}

/** Zeroes the counters; the version and the sources (at zero) stay. */
export function resetStats(): void {
  for (const url of Object.keys(stats.sources))
    stats.sources[url] = { bytes: 0, blocks: 0, mismatches: 0, failures: 0 }
  stats.originFallbacks = 0
  stats.cacheHits = 0
  stats.verified = 0
}

/** Starts counting for a config: its version, its sources listed at zero. */
export function useSources(version: string, sources: string[]): void {
  stats.version = version
  for (const url of sources) sourceStats(url)
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
