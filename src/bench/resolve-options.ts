/**
 * {@link BenchOptions} checked and completed: every default filled in, CIDs parsed, result keys
 * fixed. One validation for the library and the CLI; a bad value throws a {@link P2pcdnError}
 * naming the option.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { errors } from '../errors.js'
import { packageVersion } from '../version.js'
import { ContentReference, sha256OfIntegrity } from './content-check.js'
import type { BenchOptions, BenchSource, SampleSource } from './types.js'

/** Timed samples per asset and source, by default: the paper's 10 `ipfs get`s of its small image. */
export const DEFAULT_RUNS = 10
/** Milliseconds one sample may take, by default. */
export const DEFAULT_SAMPLE_TIMEOUT = 120_000

/** An asset ready to fetch. */
export interface ResolvedAsset {
  name: string
  url: string | undefined
  cid: CID | undefined
  /** What its bytes must be. */
  reference: ContentReference
}

/** A P2P source with its results key. */
export type ResolvedSource = BenchSource & { key: `ipfs_${string}` }

/** Every option set, checked. */
export interface ResolvedBenchOptions {
  assets: ResolvedAsset[]
  sources: ResolvedSource[]
  origin: boolean
  runs: number
  originRuns: number
  warmup: number
  timeout: number
  version: string
  client: string | undefined
}

const isHttpUrl = (value: unknown): value is string => {
  if (typeof value !== 'string') return false
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

function count(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw errors.optionInvalid(option, value, `must be a whole number, at least ${min}`)
  return value
}

function resolveSource(source: BenchSource, at: string): ResolvedSource {
  const kind = (source as { kind?: unknown } | null)?.kind
  const name = source?.name ?? kind
  if (typeof name !== 'string' || !/^[A-Za-z0-9][\w.-]*$/.test(name))
    throw errors.optionInvalid(
      `${at}.name`,
      name,
      'must be letters, digits, `_`, `-` or `.` (the results key is `ipfs_<name>`), e.g. "mit"',
    )
  const key = `ipfs_${name}` as const
  const base = (url: string) => url.replace(/\/+$/, '')
  switch (source.kind) {
    case 'gateway':
      if (!isHttpUrl(source.url))
        throw errors.optionInvalid(
          `${at}.url`,
          source.url,
          'must be the http(s) base URL of a gateway, e.g. "http://127.0.0.1:8080"',
        )
      return { kind: source.kind, name, key, url: base(source.url) }
    case 'hosts': {
      const urls = source.urls
      if (!Array.isArray(urls) || urls.length === 0 || !urls.every(isHttpUrl))
        throw errors.optionInvalid(
          `${at}.urls`,
          urls,
          'must list the http(s) base URLs of the hosts’ gateways, e.g. ["http://10.0.0.2:8080", "http://10.0.0.3:8080"]',
        )
      return { kind: source.kind, name, key, urls: [...new Set(urls.map(base))] }
    }
    case 'bitswap': {
      const peers = source.peers
      if (!Array.isArray(peers) || peers.length === 0)
        throw errors.optionInvalid(
          `${at}.peers`,
          peers,
          'must list the hosts’ libp2p multiaddrs, e.g. ["/ip4/127.0.0.1/tcp/4011/p2p/12D3Koo…"] (`p2pcdn host status` shows them)',
        )
      for (const peer of peers) {
        try {
          multiaddr(peer)
        } catch {
          throw errors.optionInvalid(
            `${at}.peers`,
            peer,
            'must hold multiaddrs, e.g. "/ip4/127.0.0.1/tcp/4011/p2p/12D3Koo…"',
          )
        }
      }
      if (source.warm !== undefined) {
        try {
          CID.parse(source.warm)
        } catch {
          throw errors.optionInvalid(
            `${at}.warm`,
            source.warm,
            'must be a CID, e.g. the site root of the manifest',
          )
        }
      }
      return {
        kind: source.kind,
        name,
        key,
        peers: [...peers],
        ...(source.warm === undefined ? {} : { warm: source.warm }),
      }
    }
    default:
      throw errors.optionInvalid(`${at}.kind`, kind, 'must be "gateway", "hosts" or "bitswap"')
  }
}

/** Checks `options` and fills in the defaults; never mutates them. */
export function resolveBenchOptions(options: BenchOptions): ResolvedBenchOptions {
  const runs = count('runs', options.runs, DEFAULT_RUNS, 1)
  const originRuns = count('originRuns', options.originRuns, runs, 0)
  const warmup = count('warmup', options.warmup, 0, 0)
  const timeout = count('timeout', options.timeout, DEFAULT_SAMPLE_TIMEOUT, 1)
  if (!Array.isArray(options.assets) || options.assets.length === 0)
    throw errors.optionInvalid('assets', options.assets, 'must list at least one file to fetch')
  const names = new Set<string>()
  const assets = options.assets.map((asset, i): ResolvedAsset => {
    const at = `assets[${i}]`
    if (typeof asset?.name !== 'string' || asset.name === '')
      throw errors.optionInvalid(`${at}.name`, asset?.name, 'must be a non-empty name, e.g. "iphone"')
    if (names.has(asset.name))
      throw errors.optionInvalid(`${at}.name`, asset.name, 'must be unique: two assets have this name')
    names.add(asset.name)
    if (asset.url !== undefined && !isHttpUrl(asset.url))
      throw errors.optionInvalid(
        `${at}.url`,
        asset.url,
        'must be an absolute http(s) URL, e.g. "https://www.example.com/img/iphone.jpg"',
      )
    let cid: CID | undefined
    if (asset.cid !== undefined) {
      try {
        cid = CID.parse(String(asset.cid))
      } catch {
        throw errors.optionInvalid(`${at}.cid`, asset.cid, 'must be a CID, e.g. "bafybei…" or "Qm…"')
      }
    }
    if (asset.size !== undefined && !(Number.isInteger(asset.size) && asset.size >= 0))
      throw errors.optionInvalid(`${at}.size`, asset.size, 'must be the file size in bytes')
    let sha256: string | undefined
    if (asset.integrity !== undefined) {
      sha256 = sha256OfIntegrity(asset.integrity)
      if (!sha256)
        throw errors.optionInvalid(
          `${at}.integrity`,
          asset.integrity,
          'must be a SHA-256 Subresource Integrity value, "sha256-<base64>" (the manifest’s `integrity`)',
        )
    }
    return { name: asset.name, url: asset.url, cid, reference: new ContentReference(asset.size, sha256) }
  })
  const sources = (options.sources ?? []).map((source, i) => resolveSource(source, `sources[${i}]`))
  const keys = new Set<SampleSource>()
  for (const [i, source] of sources.entries()) {
    if (keys.has(source.key))
      throw errors.optionInvalid(
        `sources[${i}].name`,
        source.name,
        `must be unique: two sources would write \`${source.key}\`; name them apart`,
      )
    keys.add(source.key)
  }
  const origin = options.origin ?? true
  const originWork = origin && originRuns > 0 && assets.some((asset) => asset.url)
  const p2pWork = sources.length > 0 && assets.some((asset) => asset.cid)
  if (sources.length > 0 && !assets.some((asset) => asset.cid))
    throw errors.optionInvalid(
      'assets',
      options.assets.map((a) => a.name),
      'need a `cid` for the P2P sources to fetch',
    )
  if (!originWork && !p2pWork)
    throw errors.optionInvalid(
      'sources',
      options.sources ?? [],
      'leave nothing to fetch: give assets a `url` (origin samples) or give P2P sources and asset CIDs',
    )
  return {
    assets,
    sources,
    origin,
    runs,
    originRuns,
    warmup,
    timeout,
    version: options.version ?? `p2pcdn ${packageVersion()}`,
    client: options.client,
  }
}
