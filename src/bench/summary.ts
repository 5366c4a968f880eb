import { summarise } from '../speedtest/stats.js'
import type { BenchSample, SampleSource } from './types.js'

/** The timed samples of one asset from one source, summed up (seconds). */
export interface BenchSummaryRow {
  source: SampleSource
  asset: string
  /** Successful samples, and all timed samples. */
  ok: number
  tries: number
  /** Of the successful samples' totals; NaN when there is none. */
  median: number
  mean: number
  min: number
  max: number
  /** The first failure's error, when any sample failed. */
  firstError?: string
}

/** One row per asset and source (origin first, then the P2P sources in order), warmup left out. */
export function summariseBench(samples: readonly BenchSample[]): BenchSummaryRow[] {
  const rows = new Map<string, BenchSample[]>()
  for (const sample of samples) {
    if (sample.warmup) continue
    const key = `${sample.asset}\u0000${sample.source}`
    rows.set(key, [...(rows.get(key) ?? []), sample])
  }
  return [...rows.values()].map((group) => {
    const { source, asset } = group[0] as BenchSample
    const seconds = group.filter((sample) => sample.ok).map((sample) => sample.seconds)
    const stat = summarise(seconds)
    const failed = group.find((sample) => !sample.ok)
    return {
      source,
      asset,
      ok: seconds.length,
      tries: group.length,
      median: stat.median,
      mean: seconds.length > 0 ? seconds.reduce((sum, s) => sum + s, 0) / seconds.length : Number.NaN,
      min: stat.min,
      max: stat.max,
      ...(failed?.error ? { firstError: failed.error } : {}),
    }
  })
}
