/**
 * The sources (trustless gateways) and which one gets the next block request:
 * at most {@link MAX_IN_FLIGHT} requests each; the source that would finish
 * it soonest, `(in flight + 1) / measured rate`, so that equal sources share
 * the load evenly (fewest in flight first) and a faster one takes more. When
 * that source is full the request waits for it rather than going to a much
 * slower one, which would hold up the in-order assembly. A source that failed
 * is benched (tried only when no other source is left) for a time that
 * doubles with each failure in a row; one that sent wrong bytes, for ten minutes.
 */

/** Requests in flight per source, at most. */
export const MAX_IN_FLIGHT = 6
const MISMATCH_BENCH = 10 * 60_000
const MAX_BENCH = 30_000
/** Weight of the newest rate sample. */
const ALPHA = 0.3
/** Smaller blocks measure latency more than rate: they leave the rate alone. */
const MIN_SAMPLE_BYTES = 32 * 1024

/** One source and what was measured of it. */
export interface Source {
  /** Base URL, no trailing slash. */
  readonly url: string
  inFlight: number
  /** Bytes per ms, smoothed; 0 until measured. */
  rate: number
  /** Failures in a row. */
  failures: number
  /** Date.now() before which the source is benched. */
  benchedUntil: number
}

/** The sources of one config and their request slots. */
export class SourcePool {
  readonly sources: Source[]
  #waiters: (() => void)[] = []

  constructor(urls: string[]) {
    this.sources = urls.map((url) => ({ url, inFlight: 0, rate: 0, failures: 0, benchedUntil: 0 }))
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
  }

  #pick(tried: Set<Source>): Source | undefined | 'wait' {
    const now = Date.now()
    const untried = this.sources.filter((s) => !tried.has(s))
    if (untried.length === 0) return undefined
    const healthy = untried.filter((s) => s.benchedUntil <= now)
    // Unmeasured sources count as fast as the fastest measured one, so that they get tried.
    const fastest = Math.max(0, ...this.sources.map((s) => s.rate)) || 1
    let best: Source | undefined
    let bestScore = Number.POSITIVE_INFINITY
    for (const source of healthy.length ? healthy : untried) {
      const score = (source.inFlight + 1) / (source.rate || fastest)
      if (score < bestScore) {
        best = source
        bestScore = score
      }
    }
    return best && best.inFlight < MAX_IN_FLIGHT ? best : 'wait'
  }
}
