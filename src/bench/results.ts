/**
 * Samples → the paper's results file: `curl.<asset>.{average, samples}` from the successful origin
 * samples, `ipfs_<source>.<asset>.{average, gets, tries}` from the P2P ones (`tries` counts the
 * failed ones too). Warmup samples stay out. An asset with no successful sample from a source is
 * left out of that source's entry (no average to give); the metadata keeps its failures.
 */
import {
  CURL_PHASES,
  type CurlAssetResult,
  type CurlTimings,
  type IpfsAssetResult,
} from '../report/results-format.js'
import type { BenchMetadata, BenchResultsFile, BenchSample } from './types.js'

const CURL_KEYS = [...CURL_PHASES, 'total'] as const

/** Seconds rounded to the microsecond, as curl prints them. */
export const roundSeconds = (seconds: number): number => Math.round(seconds * 1e6) / 1e6

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length

/** The results file for these samples (warmup ones are skipped) and metadata. */
export function buildResults(
  samples: readonly BenchSample[],
  metadata: Omit<BenchMetadata, 'samples' | 'failures'>,
  version: string,
): BenchResultsFile {
  const timed = samples.filter((sample) => !sample.warmup)
  const curl: Record<string, CurlAssetResult> = {}
  const ipfs: Record<string, Record<string, IpfsAssetResult>> = {}
  const groups = new Map<string, BenchSample[]>()
  for (const sample of timed) {
    const key = `${sample.source}\u0000${sample.asset}`
    groups.set(key, [...(groups.get(key) ?? []), sample])
  }
  for (const group of groups.values()) {
    const { source, asset } = group[0] as BenchSample
    const ok = group.filter((sample) => sample.ok)
    if (ok.length === 0) continue
    if (source === 'curl') {
      const timings = ok.map((sample) => sample.timings as CurlTimings)
      const entry = { average: {}, samples: {} } as CurlAssetResult
      for (const key of CURL_KEYS) {
        const values = timings.map((t) => roundSeconds(t[key]))
        entry.samples[key] = values
        entry.average[key] = roundSeconds(mean(values))
      }
      curl[asset] = entry
    } else {
      const gets = ok.map((sample) => roundSeconds(sample.seconds))
      ipfs[source] ??= {}
      ipfs[source][asset] = { average: roundSeconds(mean(gets)), gets, tries: group.length }
    }
  }
  const failures = timed
    .filter((sample) => !sample.ok)
    .map(({ source, asset, run, error }) => ({ source, asset, run, error: error ?? 'failed' }))
  return {
    VERSION: version,
    curl,
    ...ipfs,
    p2pcdn: { ...metadata, failures, samples: [...samples] },
  } as BenchResultsFile
}
