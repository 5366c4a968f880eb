/**
 * One runner per source: takes one sample of one asset and says what it gave; a failed fetch is an
 * outcome with its error, not an exception (only a node that cannot start throws). Every P2P sample's bytes are checked against what the
 * asset must be, and the first right one becomes the reference for the origin's bytes.
 */
import { CID } from 'multiformats/cid'
import type { BitswapClient } from './bitswap-source.js'
import { type ContentDigest, DigestStream } from './content-check.js'
import { fetchFromGateway } from './gateway-source.js'
import { fetchFromHosts, HostsFetchError } from './hosts-source.js'
import type { ResolvedAsset, ResolvedBenchOptions, ResolvedSource } from './resolve-options.js'
import { TimedGetError, timedGet } from './timed-get.js'
import type { BenchSample, BitswapSource, GatewaySource, HostsSource, SampleSource } from './types.js'

/** Longest silence from one gateway on one block request of the `hosts` source (then the next gateway). */
const HOSTS_BLOCK_TIMEOUT_MS = 10_000

/** What one sample gave, before it is placed in its round; `digest` for the origin's deferred check. */
export type Outcome = Pick<BenchSample, 'ok' | 'seconds' | 'bytes'> &
  Partial<Pick<BenchSample, 'error' | 'timings' | 'blocks' | 'shares' | 'peers'>> & { digest?: ContentDigest }

/** One source of samples. */
export interface Runner {
  key: SampleSource
  /** Whether this runner samples `asset` in `round` (rounds up to 0 are warmup). */
  applies(asset: ResolvedAsset, round: number): boolean
  take(asset: ResolvedAsset, signal: AbortSignal): Promise<Outcome>
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** `prefix: message`, unless the message already starts with the prefix. */
const describe = (error: unknown, prefix: string): string => {
  const message = messageOf(error)
  return message.startsWith(prefix) ? message : `${prefix}: ${message}`
}

/** P2P sources sample the assets with a CID, in the first `runs` rounds. */
const p2pApplies = (runs: number) => (asset: ResolvedAsset, round: number) =>
  asset.cid !== undefined && round <= runs

/** A P2P sample's bytes, checked against what the asset must be; learnt as the reference when right. */
function p2pOutcome(
  asset: ResolvedAsset,
  digest: ContentDigest,
  outcome: Omit<Outcome, 'ok' | 'bytes'>,
): Outcome {
  const wrong = asset.reference.mismatch(digest, `the file of ${asset.cid}`)
  if (wrong) return { ok: false, ...outcome, bytes: digest.bytes, error: wrong }
  asset.reference.learn(digest)
  return { ok: true, ...outcome, bytes: digest.bytes }
}

/** curl's part: a GET on a new connection per sample, its phases timed, its bytes checked. */
export function originRunner(options: ResolvedBenchOptions): Runner {
  return {
    key: 'curl',
    applies: (asset, round) => asset.url !== undefined && round <= options.originRuns,
    async take(asset, signal) {
      const url = asset.url as string
      try {
        const { timings, value: digest } = await timedGet(url, { signal }, async (body) => {
          const stream = new DigestStream()
          for await (const chunk of body) stream.update(chunk)
          return stream.digest()
        })
        const wrong = asset.reference.mismatch(digest, 'the origin')
        if (wrong) return { ok: false, seconds: timings.total, bytes: digest.bytes, error: wrong, timings }
        return { ok: true, seconds: timings.total, bytes: digest.bytes, timings, digest }
      } catch (error) {
        const seconds = error instanceof TimedGetError ? error.timings.total : 0
        const cause = error instanceof TimedGetError ? error.cause : error
        return { ok: false, seconds, bytes: 0, error: describe(cause, url) }
      }
    },
  }
}

function gatewayRunner(source: GatewaySource & { key: `ipfs_${string}` }, runs: number): Runner {
  return {
    key: source.key,
    applies: p2pApplies(runs),
    async take(asset, signal) {
      try {
        const { digest, blocks, seconds } = await fetchFromGateway(source.url, asset.cid as CID, signal)
        return p2pOutcome(asset, digest, { seconds, blocks })
      } catch (error) {
        const seconds = error instanceof TimedGetError ? error.timings.total : 0
        const cause = error instanceof TimedGetError ? error.cause : error
        return { ok: false, seconds, bytes: 0, error: describe(cause, source.url) }
      }
    },
  }
}

function hostsRunner(source: HostsSource & { key: `ipfs_${string}` }, options: ResolvedBenchOptions): Runner {
  return {
    key: source.key,
    applies: p2pApplies(options.runs),
    async take(asset, signal) {
      const started = performance.now()
      const seconds = () => (performance.now() - started) / 1000
      try {
        const { digest, blocks, shares } = await fetchFromHosts(source.urls, asset.cid as CID, {
          blockTimeout: Math.min(options.timeout, HOSTS_BLOCK_TIMEOUT_MS),
          signal,
        })
        return p2pOutcome(asset, digest, { seconds: seconds(), blocks, shares })
      } catch (error) {
        const shares = error instanceof HostsFetchError ? { shares: error.shares } : {}
        return { ok: false, seconds: seconds(), bytes: 0, error: messageOf(error), ...shares }
      }
    },
  }
}

/** Longest wait for a sample's bitswap node to stop. */
const STOP_WAIT_MS = 5_000

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

function bitswapRunner(
  source: BitswapSource & { key: `ipfs_${string}` },
  start: StartBitswap,
  runs: number,
): Runner {
  return {
    key: source.key,
    applies: p2pApplies(runs),
    async take(asset, signal) {
      const client = await start(source.peers)
      try {
        const peers = await client.check(signal)
        if (!peers.some((peer) => peer.ok)) {
          const why = peers.map((peer) => `${peer.peer}: ${peer.error}`).join('; ')
          return { ok: false, seconds: 0, bytes: 0, error: `not connected to any host (${why})`, peers }
        }
        if (source.warm !== undefined) {
          try {
            await client.warm(CID.parse(source.warm), signal)
          } catch (error) {
            return { ok: false, seconds: 0, bytes: 0, error: `bitswap warm-up: ${messageOf(error)}`, peers }
          }
        }
        const started = performance.now()
        try {
          const { digest, blocks, seconds } = await client.fetch(asset.cid as CID, signal)
          return p2pOutcome(asset, digest, { seconds, blocks, peers })
        } catch (error) {
          const seconds = (performance.now() - started) / 1000
          return { ok: false, seconds, bytes: 0, error: `bitswap: ${messageOf(error)}`, peers }
        }
      } finally {
        // A libp2p node can take long to stop (or not at all, when a peer never answers the close
        // of a stream): the sample is over; its node is left to stop in the background.
        await Promise.race([client.stop().catch(() => {}), delay(STOP_WAIT_MS)])
      }
    },
  }
}

/** Starts a bitswap client for a sample (the module that loads libp2p is imported only when needed). */
export type StartBitswap = (peers: string[]) => Promise<BitswapClient>

/** The runner of a P2P source. */
export function p2pRunner(
  source: ResolvedSource,
  options: ResolvedBenchOptions,
  startBitswap: StartBitswap,
): Runner {
  if (source.kind === 'gateway') return gatewayRunner(source, options.runs)
  if (source.kind === 'hosts') return hostsRunner(source, options)
  return bitswapRunner(source, startBitswap, options.runs)
}
