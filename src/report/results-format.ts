/**
 * The paper's results format (Foss & Silver 2020, `experiments/results/**.json`): one file per
 * client and test configuration, written by its client routine and read by `p2pcdn report`.
 * `p2pcdn bench` writes the same shape, so that `report` reads both.
 *
 * Times are in seconds. Keys under `curl` and `ipfs_*` name the fetched asset (`iphone`: the
 * 22 KB image, `ipad`: the 134 MB video in the paper's runs).
 */

/** curl's `-w` timing variables, as curl names them (seconds from the start of the transfer). */
export interface CurlTimings {
  time_namelookup: number
  time_connect: number
  time_appconnect: number
  time_pretransfer: number
  time_redirect: number
  time_starttransfer: number
  /** curl's `time_total`. */
  total: number
}

/** The curl phases besides `total`, in the order curl reaches them; each is optional in a file, `total` is required. */
export const CURL_PHASES = [
  'time_namelookup',
  'time_connect',
  'time_appconnect',
  'time_pretransfer',
  'time_redirect',
  'time_starttransfer',
] as const satisfies readonly (keyof CurlTimings)[]

/** N timed origin fetches of one asset: every phase per sample, and their means. */
export interface CurlAssetResult {
  average: CurlTimings
  samples: { [K in keyof CurlTimings]: number[] }
}

/** N timed P2P fetches of one asset from one source: the time of each, and their mean. */
export interface IpfsAssetResult {
  average: number
  gets: number[]
  tries: number
}

/**
 * One client's results file. `curl` holds the origin fetches; every other key starting with
 * `ipfs_` is one P2P source (the paper's `ipfs_mit` and `ipfs_residential` host groups; `p2pcdn
 * bench` adds e.g. `ipfs_gateway`, `ipfs_bitswap`).
 */
export interface ResultsFile {
  VERSION?: string
  curl: Record<string, CurlAssetResult>
  [source: `ipfs_${string}`]: Record<string, IpfsAssetResult>
}
