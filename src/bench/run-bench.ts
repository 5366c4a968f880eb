/**
 * `p2pcdn bench`: the paper's client routine, made reliable. Rounds of samples, each round taking
 * every asset from every source once (the origin, then each P2P source, the order rotating from
 * round to round so that a drift in the network affects all of them alike); each sample with its
 * own timeout, verified, and recorded whether it succeeded or not.
 */
import { CustomProgressEvent } from 'progress-events'
import { P2pcdnError } from '../errors.js'
import type { Warning } from '../warnings.js'
import type { ContentDigest } from './content-check.js'
import { type ResolvedAsset, type ResolvedBenchOptions, resolveBenchOptions } from './resolve-options.js'
import { buildResults, roundSeconds } from './results.js'
import { type Outcome, originRunner, p2pRunner, type Runner, type StartBitswap } from './runners.js'
import { summariseBench } from './summary.js'
import type { BenchMetadata, BenchOptions, BenchResult, BenchSample } from './types.js'

/** The sources in the order of a round: rotated by one each round, origin first in round 1. */
function orderOf<T>(runners: readonly T[], round: number): T[] {
  const k = runners.length
  const shift = (((round - 1) % k) + k) % k
  return [...runners.slice(shift), ...runners.slice(0, shift)]
}

function warningsOf(samples: readonly BenchSample[], options: ResolvedBenchOptions): Warning[] {
  const warnings: Warning[] = []
  for (const row of summariseBench(samples)) {
    if (row.ok === row.tries) continue
    const label = `\`${row.source}\` ${row.asset}`
    if (row.ok === 0)
      warnings.push({
        code: 'W_BENCH_NO_SAMPLES',
        message: `${label}: all ${row.tries} samples failed, so the results file has no entry for it. First error: ${row.firstError}`,
      })
    else
      warnings.push({
        code: 'W_BENCH_SAMPLES_FAILED',
        message: `${label}: ${row.tries - row.ok} of ${row.tries} samples failed (kept under \`p2pcdn.failures\`). First error: ${row.firstError}`,
      })
  }
  for (const asset of options.assets) {
    if (asset.url && options.origin && options.originRuns > 0 && !asset.reference.sha256)
      warnings.push({
        code: 'W_BENCH_ORIGIN_UNVERIFIED',
        message: `${asset.name}: the origin's bytes were ${asset.reference.size === undefined ? 'not checked' : 'checked by size only'}: no manifest integrity and no verified P2P copy to compare them with. Give the asset's CID with a P2P source, or use --manifest.`,
      })
  }
  const unreachable = new Map<string, { count: number; error: string }>()
  for (const sample of samples)
    for (const peer of sample.peers ?? [])
      if (!peer.ok) {
        const seen = unreachable.get(peer.peer)
        unreachable.set(peer.peer, { count: (seen?.count ?? 0) + 1, error: seen?.error ?? peer.error ?? '' })
      }
  for (const [peer, { count, error }] of unreachable)
    warnings.push({
      code: 'W_BENCH_PEER_UNREACHABLE',
      message: `The host ${peer} failed the connection check before ${count} bitswap samples: ${error}`,
    })
  return warnings
}

/** How long a sample may run on after its timeout before it is recorded as failed regardless. */
export const GRACE_MS = 10_000

/**
 * The sample's outcome, or a failure once its timeout has passed by {@link GRACE_MS}: a source
 * that ignores its abort signal (a library waiting on a promise that never settles) cannot hold
 * the bench; what it left running is abandoned.
 */
export function deadline(take: Promise<Outcome>, timeout: AbortSignal, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<Outcome>((resolve) => {
    const fail = () => {
      timer = setTimeout(
        () =>
          resolve({
            ok: false,
            seconds: (ms + GRACE_MS) / 1000,
            bytes: 0,
            error: `did not stop within ${GRACE_MS} ms of its timeout`,
          }),
        GRACE_MS,
      )
    }
    if (timeout.aborted) fail()
    else timeout.addEventListener('abort', fail, { once: true })
  })
  return Promise.race([take, late]).finally(() => clearTimeout(timer))
}

/**
 * Times fetches of `assets` from their origin and from each P2P source and returns the results in
 * the paper's format (`curl`, `ipfs_<source>`), with every sample under `p2pcdn`.
 *
 * @example
 * const { results } = await runBench({
 *   assets: [{ name: 'iphone', url: 'https://www.example.com/iphone.jpg', cid: 'bafk…' }],
 *   sources: [{ kind: 'gateway', url: 'http://10.0.0.2:8080' }],
 * })
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const resolved = resolveBenchOptions(options)
  const { signal, onProgress } = options
  signal?.throwIfAborted()
  const started = new Date()
  const runners: Runner[] = []
  const samples: BenchSample[] = []
  const unchecked = new Map<BenchSample, ContentDigest>()
  try {
    // libp2p is loaded only for a bitswap source.
    const startBitswap: StartBitswap = async (peers) =>
      (await import('./bitswap-source.js')).BitswapClient.start(peers)
    if (resolved.origin && resolved.originRuns > 0) runners.push(originRunner(resolved))
    runners.push(...resolved.sources.map((source) => p2pRunner(source, resolved, startBitswap)))
    onProgress?.(
      new CustomProgressEvent('p2pcdn:bench:start', {
        assets: resolved.assets.map((asset) => asset.name),
        sources: runners.map((runner) => runner.key),
        runs: resolved.runs,
        warmup: resolved.warmup,
      }),
    )
    const rounds = Math.max(resolved.runs, runners[0]?.key === 'curl' ? resolved.originRuns : 0)
    for (let round = 1 - resolved.warmup; round <= rounds; round++) {
      for (const asset of resolved.assets) {
        for (const runner of orderOf(runners, round)) {
          if (!runner.applies(asset, round)) continue
          signal?.throwIfAborted()
          const timeout = AbortSignal.timeout(resolved.timeout)
          const sampleSignal = signal ? AbortSignal.any([signal, timeout]) : timeout
          const { digest, ...outcome } = await deadline(
            runner.take(asset, sampleSignal),
            timeout,
            resolved.timeout,
          )
          signal?.throwIfAborted()
          if (!outcome.ok && timeout.aborted)
            outcome.error = `timed out after ${resolved.timeout} ms (${outcome.error})`
          const sample: BenchSample = {
            source: runner.key,
            asset: asset.name,
            run: round,
            warmup: round < 1,
            ...outcome,
            seconds: roundSeconds(outcome.seconds),
          }
          if (digest && runner.key === 'curl' && !asset.reference.sha256) unchecked.set(sample, digest)
          samples.push(sample)
          onProgress?.(new CustomProgressEvent('p2pcdn:bench:sample', sample))
        }
      }
    }
  } catch (error) {
    if (signal?.aborted)
      throw new P2pcdnError('ERR_ABORTED', 'The bench was interrupted; no results were written.', {
        cause: error,
      })
    throw error
  }
  // Origin samples taken before a verified P2P copy told what the file is.
  for (const [sample, digest] of unchecked) {
    const asset = resolved.assets.find((a) => a.name === sample.asset) as ResolvedAsset
    const wrong = asset.reference.mismatch(digest, 'the origin')
    if (wrong) Object.assign(sample, { ok: false, error: wrong })
  }
  const metadata: Omit<BenchMetadata, 'samples' | 'failures'> = {
    version: resolved.version,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    ...(resolved.client !== undefined ? { client: resolved.client } : {}),
    node: process.version,
    runs: resolved.runs,
    originRuns: resolved.origin ? resolved.originRuns : 0,
    warmup: resolved.warmup,
    timeoutMs: resolved.timeout,
    order:
      'rounds: each asset from every source once per round, the source order rotating by one each round (origin first in round 1); origin on a new connection per sample',
    assets: Object.fromEntries(
      resolved.assets.map((asset) => [
        asset.name,
        {
          ...(asset.url ? { url: asset.url } : {}),
          ...(asset.cid ? { cid: asset.cid.toString() } : {}),
          ...(asset.reference.size !== undefined ? { size: asset.reference.size } : {}),
          ...(asset.reference.sha256 ? { sha256: asset.reference.sha256 } : {}),
        },
      ]),
    ),
    sources: Object.fromEntries(
      resolved.sources.map((source) => [
        source.key,
        source.kind === 'gateway'
          ? { kind: source.kind, urls: [source.url], connections: 'new per sample' }
          : source.kind === 'hosts'
            ? {
                kind: source.kind,
                urls: source.urls,
                connections: 'kept alive between samples (fetch’s pool)',
              }
            : {
                kind: source.kind,
                peers: source.peers,
                connections: `a new node (new peer ID) per sample, dialled and pinged before the timed fetch${source.warm === undefined ? '' : `, bitswap streams opened by fetching ${source.warm} first`}`,
              },
      ]),
    ),
  }
  return {
    results: buildResults(samples, metadata, resolved.version),
    warnings: warningsOf(samples, resolved),
  }
}
