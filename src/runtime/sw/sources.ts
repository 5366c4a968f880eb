/**
 * The sources (trustless gateways) and which one gets the next block request:
 * at most {@link MAX_IN_FLIGHT} requests each; the source that would finish
 * it soonest, its probe round trip plus `(in flight + 1) × a block / measured
 * rate`, so that equal sources share the load evenly (fewest in flight
 * first), a faster one takes more, and a nearer one more again. When that
 * source is full the request waits for it rather than going to a much
 * slower one, which would hold up the in-order assembly. A source that failed
 * is benched (tried only when no other source is left) for a time that
 * doubles with each failure in a row; one that sent wrong bytes, for ten
 * minutes. Fallback sources (the publish-time ones discovery found farther
 * than the preferred hosts) get requests only when no preferred one is
 * healthy. Sources found through routing come and go at runtime (`add`,
 * `remove`); one that sends wrong bytes, or fails {@link DROP_AFTER} times in
 * a row, is dropped at once.
 */
import type { HostOrigin } from './candidates.js'

/** Requests in flight per source, at most. */
export const MAX_IN_FLIGHT = 6
const MISMATCH_BENCH = 10 * 60_000
const MAX_BENCH = 30_000
/** Weight of the newest rate sample. */
const ALPHA = 0.3
/** Smaller blocks measure latency more than rate: they leave the rate alone. */
const MIN_SAMPLE_BYTES = 32 * 1024
/** The block size a source's score is reckoned for (a typical leaf). */
const SCORE_BYTES = 256 * 1024
/** Bytes per ms assumed before any source is measured. */
const NOMINAL_RATE = 1000
/** Failures in a row after which a routing source is dropped. */
export const DROP_AFTER = 3

/** Why a routing source was dropped. */
export type DropReason = 'mismatch' | 'failures'

/** One source and what was measured of it. */
export interface Source {
  /** Base URL, no trailing slash. */
  readonly url: string
  /** A publish-time source, or one a router named. */
  readonly origin: HostOrigin
  inFlight: number
  /** Bytes per ms, smoothed; 0 until measured. */
  rate: number
  /** Failures in a row. */
  failures: number
  /** Date.now() before which the source is benched. */
  benchedUntil: number
  /** Probe round trip in ms, 0 when not measured. */
  rttMs: number
  /** Asked only when no healthy preferred source is left. */
  fallback: boolean
}

/** Options of a {@link SourcePool}. */
export interface SourcePoolOptions {
  /** Called when a routing source is dropped (it is out of the pool by then). */
  onDrop?: (source: Source, reason: DropReason) => void
}

/** The sources of one config and their request slots. */
export class SourcePool {
  readonly sources: Source[] = []
  readonly #options: SourcePoolOptions
  #waiters: (() => void)[] = []

  /** A pool of the publish-time sources (`config`). */
  constructor(urls: string[], options: SourcePoolOptions = {}) {
    this.#options = options
    for (const url of urls) this.add(url, 'config')
  }

  /** The source of a URL, if in the pool. */
  get(url: string): Source | undefined {
    return this.sources.find((s) => s.url === url)
  }

  /** Adds a source (or returns the one already there). */
  add(url: string, origin: HostOrigin, rttMs = 0): Source {
    const existing = this.get(url)
    if (existing) return existing
    const source: Source = {
      url,
      origin,
      inFlight: 0,
      rate: 0,
      failures: 0,
      benchedUntil: 0,
      rttMs,
      fallback: false,
    }
    this.sources.push(source)
    this.#wake()
    return source
  }

  /** Takes a source out: requests in flight on it finish, no new one goes to it. */
  remove(url: string): void {
    const at = this.sources.findIndex((s) => s.url === url)
    if (at < 0) return
    this.sources.splice(at, 1)
    this.#wake()
  }

  /** Requests that may be in flight over all sources. */
  get capacity(): number {
    return this.sources.length * MAX_IN_FLIGHT
  }

  /**
   * A slot on the best source not in `tried` (which it is added to), waiting
   * while that source is full; undefined once every source has been tried.
   * Give the slot back with {@link release}.
   */
  async acquire(tried: Set<Source>): Promise<Source | undefined> {
    for (;;) {
      const pick = this.#pick(tried)
      if (pick !== 'wait') {
        if (pick) {
          pick.inFlight++
          tried.add(pick)
        }
        return pick
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  /** Gives a slot back. */
  release(source: Source): void {
    source.inFlight--
    this.#wake()
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /** A verified block of `bytes` took `ms`, with `concurrency` requests in flight on the source. */
  succeeded(source: Source, bytes: number, ms: number, concurrency: number): void {
    if (bytes >= MIN_SAMPLE_BYTES) {
      const sample = (bytes * Math.max(1, concurrency)) / Math.max(1, ms)
      source.rate = source.rate ? source.rate * (1 - ALPHA) + sample * ALPHA : sample
    }
    source.failures = 0
    source.benchedUntil = 0
  }

  /** A request failed, or (`mismatch`) its bytes were not the block's. */
  failed(source: Source, mismatch: boolean): void {
    source.failures++
    const bench = mismatch ? MISMATCH_BENCH : Math.min(MAX_BENCH, 500 * 2 ** (source.failures - 1))
    source.benchedUntil = Date.now() + bench
    if (source.origin === 'routing' && (mismatch || source.failures >= DROP_AFTER) && this.get(source.url)) {
      this.remove(source.url)
      this.#options.onDrop?.(source, mismatch ? 'mismatch' : 'failures')
    }
  }

  #pick(tried: Set<Source>): Source | undefined | 'wait' {
    const now = Date.now()
    const untried = this.sources.filter((s) => !tried.has(s))
    if (untried.length === 0) return undefined
    const healthy = untried.filter((s) => s.benchedUntil <= now)
    const preferred = healthy.filter((s) => !s.fallback)
    // Unmeasured sources count as fast as the fastest measured one, so that they get tried.
    const fastest = Math.max(0, ...this.sources.map((s) => s.rate)) || NOMINAL_RATE
    let best: Source | undefined
    let bestScore = Number.POSITIVE_INFINITY
    for (const source of preferred.length ? preferred : healthy.length ? healthy : untried) {
      const score = source.rttMs + ((source.inFlight + 1) * SCORE_BYTES) / (source.rate || fastest)
      if (score < bestScore) {
        best = source
        bestScore = score
      }
    }
    return best && best.inFlight < MAX_IN_FLIGHT ? best : 'wait'
  }
}
