/**
 * Where a resource a page loaded came from: the page's own origin, an IPFS
 * gateway, or elsewhere; and which site file it is, when that can be told.
 */
import { CID } from 'multiformats/cid'

/** `origin`: the page's own origin; `ipfs`: a `/ipfs/<cid>` path or a `<cid>.ipfs.` host; `other`: the rest. */
export type ResourceSource = 'origin' | 'ipfs' | 'other'

export interface Classified {
  source: ResourceSource
  /** The CID, for an IPFS resource. */
  cid?: string
  /**
   * The site path (relative to the site root, `/`-separated) of a resource
   * on the page's origin under `siteRoot`, or on one of the site's own origins.
   */
  path?: string
}

/** A CID as its CIDv1 string (subdomain links always carry v1), or `undefined` when `value` is no CID. */
export function canonicalCid(value: string): string | undefined {
  try {
    return CID.parse(value).toV1().toString()
  } catch {
    return undefined
  }
}

/**
 * The CID (as CIDv1, see {@link canonicalCid}) of an IPFS URL: a path gateway (`…/ipfs/<cid>[/…]`), a subdomain
 * gateway (`<cid>.ipfs.<host>`) or `ipfs://<cid>`; `undefined` otherwise.
 */
export function ipfsCidOf(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  // Look at the CID only, not at what follows it: /ipfs/<cid>/a/b.png is IPFS too.
  const pathCid = /\/ipfs\/([^/?#]+)/.exec(parsed.pathname)?.[1]
  const hostCid = /^([^.]+)\.ipfs\./.exec(parsed.hostname)?.[1]
  const nativeCid = parsed.protocol === 'ipfs:' ? parsed.host : undefined
  for (const candidate of [nativeCid, hostCid, pathCid]) {
    const cid = candidate === undefined ? undefined : canonicalCid(candidate)
    if (cid !== undefined) return cid
  }
  return undefined
}

function sitePath(pathname: string, prefix: string): string | undefined {
  if (!pathname.startsWith(prefix)) return undefined
  try {
    const rest = decodeURIComponent(pathname.slice(prefix.length))
    return rest === '' || rest.endsWith('/') ? `${rest}index.html` : rest
  } catch {
    return undefined
  }
}

/**
 * Classifies the resource `url` loaded by the page at `pageUrl`. IPFS comes
 * first (a gateway may share the page's origin); `siteRoot` is the URL of the
 * site's root on the page's origin (e.g. `http://127.0.0.1:8080/p2p/`), and
 * `siteOrigins` the site's own origins from the manifest.
 *
 * @example
 * ```ts
 * classifyResource('http://127.0.0.1:4080/ipfs/bafk…?filename=a.png', 'http://127.0.0.1:9000/p2p/')
 * // { source: 'ipfs', cid: 'bafk…' }
 * ```
 */
export function classifyResource(
  url: string,
  siteRoot: string,
  siteOrigins: readonly string[] = [],
): Classified {
  const cid = ipfsCidOf(url)
  if (cid !== undefined) return { source: 'ipfs', cid }
  let parsed: URL
  let root: URL
  try {
    parsed = new URL(url)
    root = new URL(siteRoot)
  } catch {
    return { source: 'other' }
  }
  if (parsed.origin === root.origin) {
    const p = sitePath(parsed.pathname, root.pathname)
    return p === undefined ? { source: 'origin' } : { source: 'origin', path: p }
  }
  if (siteOrigins.includes(parsed.origin)) {
    const p = sitePath(parsed.pathname, '/')
    return p === undefined ? { source: 'other' } : { source: 'other', path: p }
  }
  return { source: 'other' }
}

/** Every CID that IPFS links in `text` (HTML or CSS) name. */
export function linkedCids(text: string): Set<string> {
  const cids = new Set<string>()
  for (const match of text.matchAll(/(?:https?|ipfs):\/\/[^\s"'()<>,\\]+/g)) {
    const cid = ipfsCidOf(match[0].replaceAll('&amp;', '&'))
    if (cid !== undefined) cids.add(cid)
  }
  return cids
}
