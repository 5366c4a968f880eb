/**
 * IPFS links for rewritten asset references, in the three forms browsers and
 * IPFS tools recognise, and the parser that recognises them again so that a
 * second publish leaves them alone.
 *
 * @see https://specs.ipfs.tech/http-gateways/path-gateway/ (ipfs/specs `src/http-gateways/path-gateway.md`)
 * @see https://specs.ipfs.tech/http-gateways/subdomain-gateway/ (ipfs/specs `src/http-gateways/subdomain-gateway.md`)
 * @see https://github.com/ipfs/in-web-browsers/blob/master/ADDRESSING.md (native `ipfs://` URIs)
 */
import { CID } from 'multiformats/cid'

/** The link forms {@link ipfsLink} writes. */
export type IpfsLinkFormat = 'path' | 'subdomain' | 'native'

/** Options of {@link ipfsLink}. */
export interface IpfsLinkOptions {
  /** Which form of link to write. */
  format: IpfsLinkFormat
  /**
   * The gateway, an absolute http(s) URL such as `https://gateway.example.com`.
   * A trailing `/` is ignored; a path (`https://example.com/gw`) is kept in the
   * path form. Not used by the `native` form.
   */
  gateway: string
}

/** DNS labels are at most 63 characters (RFC 2181 §11), which bounds the CID in a subdomain. */
const MAX_DNS_LABEL = 63

/**
 * The link to `cid` that a rewritten reference points at, with the file's
 * name in the `filename` query parameter, so that the gateway derives the
 * `Content-Type` from it and names downloads after it (path gateway spec,
 * "`filename` (request query parameter)").
 *
 * - `path`: `<gateway>/ipfs/<cid>?filename=<name>`, the path gateway form
 *   (`GET /ipfs/{cid}[/{path}][?{params}]`). `cid` keeps its version (a
 *   CIDv0 stays CIDv0) in its default string form (base58btc or base32).
 * - `subdomain`: `<scheme>://<cidv1-base32>.ipfs.<gateway host>/?filename=<name>`,
 *   the subdomain gateway form: a CIDv0 is converted to CIDv1 in base32, since
 *   the DNS label is case-insensitive (subdomain gateway spec, "`Host`
 *   (request header)"). The gateway's scheme and port are kept (so a local
 *   `http://localhost:8080` gateway works) and its path, if any, is not used.
 *   When the CID does not fit one DNS label of 63 characters (e.g. a
 *   `sha2-512` CID; the spec's "DNS label limits" leaves these an open
 *   question) or the gateway host is an IP address, which takes no
 *   subdomains, the path form is written instead. For an IP host that works
 *   on a subdomain gateway too, which the spec has redirect path requests to
 *   the subdomain form; for a CID too long for a label the gateway may
 *   answer 400, and the page's origin fallback serves the file.
 * - `native`: `ipfs://<cidv1-base32>?filename=<name>`, the IPFS URI of the
 *   addressing conventions, with the case-insensitive CIDv1 as its authority.
 *
 * The name is percent-encoded with `encodeURIComponent`, and also `!`, `'`,
 * `(`, `)` and `*`, so the link holds no space, quote or parenthesis and can
 * stand unquoted in CSS `url()` and in HTML attributes. An empty name leaves
 * the `filename` parameter out.
 *
 * @param cid the file's CID, v0 or v1, in any multibase `CID.parse` reads (base58btc, base32, base36)
 * @param filename the file's name, usually the last segment of its site path
 * @throws TypeError when `cid` is not a CID or `gateway` is not an absolute http(s) URL
 *   without query or fragment
 *
 * @example
 * ```ts
 * ipfsLink('bafkreie…', 'logo (dark).png', { format: 'path', gateway: 'https://gateway.example.com' })
 * // → 'https://gateway.example.com/ipfs/bafkreie…?filename=logo%20%28dark%29.png'
 * ```
 */
export function ipfsLink(cid: string, filename: string, options: IpfsLinkOptions): string {
  const parsed = parseCid(cid)
  if (parsed === undefined) {
    throw new TypeError(
      `ipfsLink: ${JSON.stringify(cid)} is not a CID. Pass the CID the import step gave the file.`,
    )
  }
  const query = filename === '' ? '' : `?filename=${encodeFilename(filename)}`
  if (options.format === 'native') return `ipfs://${parsed.toV1().toString()}${query}`

  const gateway = parseGateway(options.gateway)
  if (options.format === 'subdomain') {
    const label = parsed.toV1().toString()
    if (label.length <= MAX_DNS_LABEL && !isIpAddress(gateway.hostname)) {
      return `${gateway.protocol}//${label}.ipfs.${gateway.host}/${query}`
    }
  }
  const root = `${gateway.origin}${gateway.pathname.replace(/\/+$/, '')}`
  return `${root}/ipfs/${parsed.toString()}${query}`
}

/**
 * Recognises a link {@link ipfsLink} writes, in any of its forms and on any
 * gateway: an http(s) URL whose path ends in `/ipfs/<cid>`, an http(s) URL on
 * a `<cid>.ipfs.<host>` subdomain with the path `/`, or `ipfs://<cid>`. Used
 * to leave already rewritten references alone, so that publishing twice
 * changes nothing the second time.
 *
 * @returns the CID as written in the link and the decoded `filename`
 *   parameter (if any), or `undefined` when `url` is no such link. Links to a
 *   path inside a CID (`/ipfs/<cid>/a.png`) are not recognised.
 */
export function parseIpfsLink(url: string): { cid: string; filename?: string } | undefined {
  // Every form spells `ipfs` in the scheme, host or path, unless hidden from a plain search.
  if (!IPFS_WORD.test(url) && !MAYBE_HIDDEN.test(url)) return undefined
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  let cid: string | undefined
  if (parsed.protocol === 'ipfs:') {
    if (parsed.pathname === '' || parsed.pathname === '/') cid = parsed.host
  } else if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
    const subdomain = /^([^.]+)\.ipfs\.[^.]/.exec(parsed.hostname)
    if (subdomain?.[1] !== undefined && parsed.pathname === '/') cid = subdomain[1]
    else cid = /\/ipfs\/([^/]+)$/.exec(parsed.pathname)?.[1]
  }
  if (cid === undefined || parseCid(cid) === undefined) return undefined
  const filename = parsed.searchParams.get('filename')
  return filename === null ? { cid } : { cid, filename }
}

const IPFS_WORD = /ipfs/i
/** Percent-encoding, a tab or newline (which the parser drops), or non-ASCII (which IDNA maps to ASCII in a host). */
const MAYBE_HIDDEN = /[%\t\n\r\u0080-\uffff]/

/** CIDs parsed before (a site links the same files from many pages); cleared when it grows large. */
const PARSED = new Map<string, CID | undefined>()

function parseCid(cid: string): CID | undefined {
  if (PARSED.has(cid)) return PARSED.get(cid)
  let parsed: CID | undefined
  try {
    parsed = CID.parse(cid)
  } catch {
    parsed = undefined
  }
  if (PARSED.size >= 10_000) PARSED.clear()
  PARSED.set(cid, parsed)
  return parsed
}

/** Gateways parsed before: a site's links all name one. */
const GATEWAYS = new Map<string, URL>()

function parseGateway(gateway: string): URL {
  let url = GATEWAYS.get(gateway)
  if (url !== undefined) return url
  try {
    url = new URL(gateway)
  } catch {
    url = undefined
  }
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new TypeError(
      `ipfsLink: the gateway must be an absolute http(s) URL without query or fragment, e.g. "https://gateway.example.com", got: ${JSON.stringify(gateway)}.`,
    )
  }
  if (GATEWAYS.size >= 100) GATEWAYS.clear()
  GATEWAYS.set(gateway, url)
  return url
}

/** IPv4 or bracketed IPv6, as `URL.hostname` writes them. */
const isIpAddress = (hostname: string): boolean => hostname.startsWith('[') || /^[\d.]+$/.test(hostname)

/** Unpaired surrogates, which `encodeURIComponent` refuses. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** `encodeURIComponent`, plus the five characters it leaves that CSS `url()` or HTML would trip on. */
const encodeFilename = (name: string): string =>
  /^[\w.~-]*$/.test(name)
    ? name
    : encodeURIComponent(name.replace(LONE_SURROGATE, '\uFFFD')).replace(
        /[!'()*]/g,
        (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
      )
