/**
 * `p2pcdn bench`: the paper's client routine made reliable. Times fetches of a site's files from
 * their origin (curl's phases, a new connection each) and from P2P sources (a host's trustless
 * gateway, bitswap through an embedded Helia node, several gateways in parallel), verifies every
 * byte, and writes the paper's results format, which `p2pcdn report` reads.
 *
 * @packageDocumentation
 */

export { readManifest } from '../manifest/read-manifest.js'
export { type ContentDigest, sha256OfIntegrity } from './content-check.js'
export { assetUrl, type ManifestAssetsOptions, manifestAssets } from './manifest-assets.js'
export {
  DEFAULT_RUNS,
  DEFAULT_SAMPLE_TIMEOUT,
  type ResolvedBenchOptions,
  resolveBenchOptions,
} from './resolve-options.js'
export { runBench } from './run-bench.js'
export { type BenchSummaryRow, summariseBench } from './summary.js'
export type {
  BenchAsset,
  BenchMetadata,
  BenchOptions,
  BenchProgressDetails,
  BenchProgressEvents,
  BenchResult,
  BenchResultsFile,
  BenchSample,
  BenchSource,
  BitswapSource,
  GatewaySource,
  HostsSource,
  PeerCheck,
  SampleSource,
  SourceShare,
} from './types.js'
export { serialiseResults, writeResults } from './write-results.js'
