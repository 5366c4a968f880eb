/**
 * The service worker's configuration, `p2pcdn-sw.json` beside `p2pcdn-sw.js`,
 * and its check. Pure: publish may import the type and `parseConfig` in Node;
 * fetching and storing it is `config-store.ts`.
 */
import type { CID } from 'multiformats/cid'
import { canonical, parseCid } from './cid.js'

/** The contents of `p2pcdn-sw.json`, written by publish into the output root. */
export interface ServiceWorkerConfig {
  /** Changes whenever the site changes (the site root CID): a new version replaces the cache. */
  version: string
  /** Trustless gateway base URLs to race, e.g. ["https://cdn1.example.com", "http://127.0.0.1:8080"] (no trailing slash). */
  sources: string[]
  /** ms before a source counts as failed for one request; then the next source / the origin. */
  timeout: number
  /** Every published asset by CID: its site path (relative to the site root, no leading slash), size in bytes, content type. */
  assets: Record<string, { path: string; size: number; type: string }>
  /**
   * The site root CID (this file is not part of it). With it, the worker asks `routers` for the
   * root's providers and prefers the nearest; without it (older configs), only `sources`.
   */
  root?: string
  /**
   * Delegated routing endpoints (`GET <router>/routing/v1/providers/<root>`, IPIP-337): p2pcdn
   * hosts, Kubo 0.40+ gateways. @default `sources`
   */
  routers?: string[]
}

/** One published asset, as a link's CID finds it. */
export interface Asset {
  cid: CID
  path: string
  size: number
  type: string
}

/** A checked config, its assets indexed by {@link canonical} CID. */
export interface LoadedConfig {
  version: string
  sources: string[]
  timeout: number
  assets: Map<string, Asset>
  /** The same assets by their site path (no leading slash), for requests to their origin URLs. */
  paths: Map<string, Asset>
  /** The Cache Storage cache of this version's verified files: `p2pcdn-<version>`. */
  cacheName: string
  /** The site root, when the config names a valid one: discovery is on. */
  root: CID | undefined
  /** Routers to ask for the root's providers (the sources when the config lists none). */
  routers: string[]
}

/** The config's file name, beside the worker script. */
export const CONFIG_FILE = 'p2pcdn-sw.json'
/** The cache holding the config; not named `p2pcdn-…`, which activation deletes for other versions. */
export const CONFIG_CACHE = 'p2pcdn:sw-config'
/** Prefix of the per-version caches. */
export const CACHE_PREFIX = 'p2pcdn-'
/** Used when the config gives no usable `timeout`. */
export const DEFAULT_TIMEOUT = 3000

/**
 * Checks a config's JSON text. Sources lose a trailing slash; an asset whose
 * key is not a CID, or whose entry has no path, is left out (its links are
 * then not intercepted). A `root` that is no CID means no discovery; routers
 * that are no http(s) URL are left out.
 */
export function parseConfig(text: string, url: string): LoadedConfig {
  const config = JSON.parse(text) as Partial<ServiceWorkerConfig> | null
  const fail = (what: string): never => {
    throw new Error(`${url}: ${what}.`)
  }
  if (!config || typeof config !== 'object') return fail('not a JSON object')
  const { version, sources, timeout, assets, root, routers } = config
  if (typeof version !== 'string' || version === '') return fail('`version` must be a non-empty string')
  if (!Array.isArray(sources) || !sources.every((s) => typeof s === 'string' && /^https?:\/\//.test(s)))
    return fail('`sources` must be an array of http(s) URLs')
  if (!assets || typeof assets !== 'object') return fail('`assets` must be an object')
  const index = new Map<string, Asset>()
  for (const [key, entry] of Object.entries(assets)) {
    const cid = parseCid(key)
    if (!cid || typeof entry?.path !== 'string') continue
    index.set(canonical(cid), { cid, path: entry.path, size: entry.size, type: entry.type })
  }
  const trim = (list: string[]) => list.map((s) => s.replace(/\/+$/, ''))
  const listed = Array.isArray(routers)
    ? routers.filter((r): r is string => typeof r === 'string' && /^https?:\/\//.test(r))
    : sources
  return {
    version,
    sources: trim(sources),
    root: typeof root === 'string' ? parseCid(root) : undefined,
    routers: [...new Set(trim(listed))],
    timeout: typeof timeout === 'number' && timeout > 0 ? timeout : DEFAULT_TIMEOUT,
    assets: index,
    paths: new Map([...index.values()].map((asset) => [asset.path, asset])),
    cacheName: `${CACHE_PREFIX}${version}`,
  }
}
