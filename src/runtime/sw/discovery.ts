/**
 * Visitors find hosts: starting from the publish-time sources, the worker
 * asks each router for the providers of the site root, probes the
 * candidates (a few per refresh), and puts the nearest few into the
 * {@link SourcePool} as preferred sources, the other publish-time sources
 * behind them as a fallback. A refresh runs when the worker starts, at a
 * navigation when the last one is older than a minute, and on a timer while
 * the worker lives (`sw.ts`). Hosts whose probes fail, that fail requests in
 * a row or that send wrong bytes are dropped for {@link DROP_MS}. What a
 * router says is a hint only: every block is still verified, so a lying
 * provider costs a probe and a request at most.
 */
import type { CID } from 'multiformats/cid'
import {
  type Candidate,
  initialCandidates,
  mergeHints,
  preferredHosts,
  probeList,
  prune,
  recordProbe,
} from './candidates.js'
import { reachableFrom } from './multiaddr.js'
import { askRouter, type Fetch, probe } from './probe.js'
import type { SourcePool } from './sources.js'
import { sourceStats, stats } from './stats.js'

/** How long a dropped host is not taken back from a router's answer. */
export const DROP_MS = 10 * 60_000
/** Routers asked per refresh, at most (the config's first, then the nearest routing hosts). */
export const MAX_ROUTERS = 6
/** Least time a router may take: a host's answer may wait for a DHT lookup (5 s in p2pcdn hosts). */
const ROUTER_TIMEOUT = 10_000
/** Longest wait for a probe (less when the config's timeout is shorter). */
const PROBE_TIMEOUT = 2000

/** What a worker keeps of discovery across restarts (Cache Storage, `config-store.ts`). */
export interface SavedHosts {
  root: string
  hosts: { url: string; peer: string; rttMs: number }[]
  /** Hosts dropped, and until when (Date.now()). */
  dropped?: { url: string; until: number }[]
}

/** What {@link Discovery} works with. */
export interface DiscoveryOptions {
  root: CID
  routers: string[]
  sources: string[]
  /** ms a router may take to answer. */
  timeout: number
  pool: SourcePool
  /** The site's URL: which hosts a page there may be sent to (`reachableFrom`). */
  site: URL
  fetch?: Fetch
  /** Called after each refresh, and after a drop: the known hosts changed. */
  onChange?: () => void
}

/** The worker's discovery for one config. */
export class Discovery {
  readonly known: Map<string, Candidate>
  readonly #options: DiscoveryOptions
  readonly #fetch: Fetch
  readonly #dropped = new Map<string, number>()
  readonly #seen = new Set<string>()
  #running: Promise<void> | undefined
  #last = 0

  constructor(options: DiscoveryOptions) {
    this.#options = options
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init))
    this.known = initialCandidates(options.sources)
    stats.discovery.root = options.root.toString()
  }

  /** Refreshes unless the last refresh is younger than `maxAgeMs`. */
  refreshIfOlder(maxAgeMs: number): Promise<void> {
    return Date.now() - this.#last < maxAgeMs ? (this.#running ?? Promise.resolve()) : this.refresh()
  }

  /** Asks the routers, probes, and updates the pool; one refresh at a time. */
  refresh(): Promise<void> {
    this.#running ??= this.#refresh().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  /** Hosts found by an earlier worker for the same root: in use at once, probed again at the next refresh. */
  restore(saved: SavedHosts | undefined): void {
    if (!saved || saved.root !== this.#options.root.toString()) return
    for (const { url, until } of saved.dropped ?? [])
      if (typeof url === 'string' && typeof until === 'number')
        this.#dropped.set(url, Math.min(until, Date.now() + DROP_MS))
    for (const host of saved.hosts) {
      if (this.known.has(host.url) || !this.#usable(host.url)) continue
      this.known.set(host.url, { ...host, origin: 'routing', probeFailures: 0, seen: 0 })
    }
    this.#sync()
  }

  /** The routing hosts worth keeping for the next worker. */
  saved(): SavedHosts {
    const hosts = [...this.known.values()]
      .filter((c) => c.origin === 'routing' && c.rttMs !== undefined)
      .map((c) => ({ url: c.url, peer: c.peer, rttMs: c.rttMs as number }))
    const now = Date.now()
    const dropped = [...this.#dropped]
      .filter(([, until]) => until > now)
      .map(([url, until]) => ({ url, until }))
    return { root: this.#options.root.toString(), hosts, dropped }
  }

  /** Drops a routing host (its probes or requests failed, or it lied) for {@link DROP_MS}. */
  drop(url: string): void {
    if (this.known.get(url)?.origin !== 'routing') return
    this.known.delete(url)
    this.#forget(url)
    this.#sync()
    this.#options.onChange?.()
  }

  /** A routing host out of `known`: out of the pool too, and not taken back for a while. */
  #forget(url: string): void {
    this.#dropped.set(url, Date.now() + DROP_MS)
    this.#options.pool.remove(url)
    sourceStats(url).state = 'dropped'
    stats.discovery.dropped++
  }

  #usable(url: string): boolean {
    return (this.#dropped.get(url) ?? 0) <= Date.now() && reachableFrom(this.#options.site, url)
  }

  /** The config's routers, then the nearest routing hosts (they may answer routing too). */
  #routers(): string[] {
    const nearest = preferredHosts(this.known)
      .filter((c) => c.origin === 'routing')
      .map((c) => c.url)
    return [...new Set([...this.#options.routers, ...nearest])].slice(0, MAX_ROUTERS)
  }

  async #refresh(): Promise<void> {
    const { root, timeout } = this.#options
    const answers = await Promise.all(
      this.#routers().map((router) =>
        askRouter(this.#fetch, router, root.toString(), Math.max(timeout, ROUTER_TIMEOUT)).catch(() => {
          stats.discovery.routerFailures++
          return []
        }),
      ),
    )
    for (const hint of answers.flat()) for (const url of hint.urls) this.#seen.add(url)
    stats.discovery.candidatesSeen = this.#seen.size
    mergeHints(this.known, answers, (url) => this.#usable(url), Date.now())
    const list = probeList(this.known)
    await Promise.all(
      list.map(async (candidate) => {
        const rtt = await probe(this.#fetch, candidate.url, Math.min(PROBE_TIMEOUT, timeout))
        stats.discovery.probes++
        recordProbe(candidate, rtt)
        sourceStats(candidate.url, candidate.origin).rttMs =
          candidate.rttMs === undefined ? null : Math.round(candidate.rttMs * 10) / 10
      }),
    )
    for (const url of prune(this.known, new Set(list.map((c) => c.url)))) this.#forget(url)
    this.#sync()
    this.#last = Date.now()
    stats.discovery.refreshes++
    stats.discovery.lastRefresh = this.#last
    this.#options.onChange?.()
  }

  /** Puts the preferred hosts into the pool, the other routing ones out, the config's behind them. */
  #sync(): void {
    const { pool } = this.#options
    const preferred = new Set(preferredHosts(this.known).map((c) => c.url))
    for (const candidate of this.known.values()) {
      const counters = sourceStats(candidate.url, candidate.origin)
      const rtt = candidate.rttMs ?? 0
      if (candidate.origin === 'routing') {
        if (preferred.has(candidate.url)) pool.add(candidate.url, 'routing', rtt).rttMs = rtt
        else pool.remove(candidate.url)
        counters.state = preferred.has(candidate.url) ? 'preferred' : 'candidate'
        continue
      }
      const source = pool.get(candidate.url)
      const fallback = preferred.size > 0 && !preferred.has(candidate.url)
      if (source) Object.assign(source, { rttMs: rtt, fallback })
      counters.state = fallback ? 'fallback' : 'preferred'
    }
  }
}
