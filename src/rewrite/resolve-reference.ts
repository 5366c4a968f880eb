/**
 * Resolves a URL written in a page or stylesheet to the site file it names,
 * the way a browser would, or says why it names none.
 *
 * The resolution itself is the WHATWG URL parser's (`new URL(ref, base)`),
 * run against synthetic URLs on hosts under `.invalid` (RFC 2606: never a real
 * host). Only the mapping between site paths and those URLs is written here.
 */

/** A reference that names a file of the site. */
export interface AssetReference {
  kind: 'asset'
  /**
   * Site-relative path, percent-decoded, `/`-separated, no leading slash,
   * e.g. `img/café été.png`. A path ending in `/` names `<dir>/index.html`.
   */
  path: string
  /** The query and fragment exactly as written (`?v=2#top`), or `''`. */
  suffix: string
}

/** A reference left as it is, and why. */
export interface OtherReference {
  kind: 'external' | 'data' | 'blob' | 'javascript' | 'fragment-only' | 'unresolvable'
  /** Why the reference names no site file, in words fit for a warning. */
  reason: string
}

/** What {@link resolveReference} found a URL to name. */
export type ResolvedReference = AssetReference | OtherReference

/** Where a reference was written, see {@link resolveReference}. */
export interface ReferenceResolutionContext {
  /** Path of the referencing document inside the site, `/`-separated, no leading slash, e.g. `blog/2020/first post.html`. */
  documentPath: string
  /** The document's `<base href>` as written, if it has one. Only HTML has one; leave it out for CSS. */
  baseHref?: string
  /** The site's own origins, as normalised by `normaliseOrigin`, e.g. `['https://www.example.com']`. */
  origins: readonly string[]
}

/** The site root during resolution. */
const SITE_HOST = 'site.p2pcdn.invalid'
/** A second root used to tell whether a path-relative reference climbs above the site root. */
const PROBE_HOST = 'probe.p2pcdn.invalid'

/**
 * Resolves `url`, written in the document at `context.documentPath`, to the
 * site file it names, as a browser would: relative, root-relative, `./` and
 * `../` references, `<base href>` (relative, on one of the site's origins, or
 * external), protocol-relative `//host/x`, and absolute URLs on one of the
 * site's `origins` all become `{ kind: 'asset' }`.
 *
 * - Whitespace: leading and trailing C0 controls and spaces are dropped, and
 *   tabs and line breaks anywhere, as the URL parser does; `suffix` is taken
 *   from the URL after that cleaning.
 * - Origins match by host and port, for both `http:` and `https:`: the origin
 *   `https://www.example.com` also matches `http://www.example.com/x`, and an
 *   origin with a port (`https://cdn.example.com:8443`) matches only that port.
 *   A default port matches the default port of either scheme.
 * - `data:`, `blob:` and `javascript:` URLs get their own kinds; `#…` alone is
 *   `fragment-only`; any other scheme or host is `external`, as is every
 *   relative reference under an external `<base href>`.
 * - `unresolvable`: the empty URL (it names the document itself), a URL the
 *   parser rejects, a relative or root-relative path that climbs above the
 *   site root with `..` (browsers would silently clamp it to the root; an
 *   absolute URL on an origin is clamped the same way, as the browser does),
 *   invalid percent-encoding, and an encoded `/` inside a path segment.
 * - A query-only URL (`?v=2`) names the document itself (or the base), as in
 *   a browser: it resolves to `documentPath` with that suffix.
 *
 * @example
 * ```ts
 * resolveReference('../img/caf%C3%A9.png?v=2#x', { documentPath: 'blog/post.html', origins: [] })
 * // → { kind: 'asset', path: 'img/café.png', suffix: '?v=2#x' }
 * ```
 */
export function resolveReference(url: string, context: ReferenceResolutionContext): ResolvedReference {
  const ref = cleanUrl(url)
  if (ref === '') return other('unresolvable', 'the URL is empty, so it names the document itself')
  if (ref.startsWith('#'))
    return other('fragment-only', 'the URL is only a fragment, inside the document itself')

  const doc0 = `https://${SITE_HOST}/${encodeSitePath(context.documentPath)}`
  const baseHref = context.baseHref === undefined ? '' : cleanUrl(context.baseHref)
  // More probe-root levels than the URLs have `..` segments, each of which takes two dots (`.` or `%2e`).
  const prefix = `/${'r/'.repeat(Math.floor((countDots(ref) + countDots(baseHref)) / 2) + 2)}`
  const doc1 = `https://${PROBE_HOST}${prefix}${encodeSitePath(context.documentPath)}`
  const origins = context.origins.map((origin) => new URL(origin))

  let base0 = doc0
  let base1 = doc1
  let baseEscapes = false
  if (baseHref !== '') {
    const base = locate(baseHref, doc0, doc1, prefix)
    // A base the parser rejects is ignored, as browsers fall back to the document's URL.
    if (
      base.where === 'site' ||
      (base.where === 'other' && isHttp(base.url0) && onOrigin(base.url0, origins))
    ) {
      // A base inside the site (or on one of its origins) becomes a site folder in both roots.
      base0 = `https://${SITE_HOST}${base.url0.pathname}`
      base1 = `https://${PROBE_HOST}${prefix}${base.url0.pathname.slice(1)}`
      baseEscapes = base.where === 'site' && base.escapes
    } else if (base.where === 'other') {
      // An external base: every relative reference resolves off the site.
      base0 = base.url0.href
      base1 = base.url0.href
    }
  }

  const found = locate(ref, base0, base1, prefix)
  if (found.where === 'invalid') {
    return other('unresolvable', "the URL parser rejects it, as written or against the document's base URL")
  }
  const { url0 } = found
  switch (url0.protocol) {
    case 'data:':
      return other('data', 'a data: URL carries its content inline')
    case 'blob:':
      return other('blob', 'a blob: URL names an object created by a script at run time')
    case 'javascript:':
      return other('javascript', 'a javascript: URL is code, not a file')
  }
  if (!isHttp(url0)) return other('external', `the ${url0.protocol} scheme is not served by the site`)
  if (found.where === 'other') {
    if (!onOrigin(url0, origins)) {
      return other('external', `the host ${url0.host} is not one of the site's origins`)
    }
    if (url0.username !== '' || url0.password !== '') {
      return other('external', 'the URL carries credentials, which a rewritten link would drop')
    }
  } else if (found.escapes || (baseEscapes && !found.rootRelative)) {
    return other('unresolvable', 'the path climbs above the site root with `..`')
  }
  return toAsset(url0.pathname, ref)
}

/**
 * Finds the site file a resolved reference names in the list of site files:
 * `path` as it is, then its NFC and NFD forms (macOS file systems and some
 * editors store names decomposed, pages usually compose them).
 *
 * @returns the matching site path, or `undefined` when the reference names no
 *   file of the site (the caller warns about a missing file) or is no asset.
 */
export function matchAsset(
  resolved: ResolvedReference,
  hasPath: (path: string) => boolean,
): string | undefined {
  if (resolved.kind !== 'asset') return undefined
  const { path } = resolved
  if (hasPath(path)) return path
  for (const candidate of [path.normalize('NFC'), path.normalize('NFD')]) {
    if (hasPath(candidate)) return candidate
  }
  return undefined
}

type Location =
  | { where: 'invalid' }
  /** Resolved away from the synthetic site: an absolute URL, or relative to an external base. */
  | { where: 'other'; url0: URL }
  /**
   * Resolved on the synthetic site; `rootRelative` when the base's path played no part,
   * `escapes` when the path climbed above the root with `..`.
   */
  | { where: 'site'; url0: URL; rootRelative: boolean; escapes: boolean }

/**
 * Resolves `ref` twice: against `base0` (site root at `/` of SITE_HOST) and
 * `base1` (the same folder with the site rooted at `prefix` on PROBE_HOST).
 * A path-relative reference that stays inside the site lands at the same path
 * under both roots; one that climbs above the root is clamped at `/` in the
 * first but not in the second, whose prefix is deeper than the reference has
 * `..` segments. A root-relative one lands at the same URL path in both, and
 * is probed again by {@link rootRelativeEscapes}.
 */
function locate(ref: string, base0: string, base1: string, prefix: string): Location {
  const url0 = parseUrl(ref, base0)
  if (url0 === undefined) return { where: 'invalid' }
  if (url0.host !== SITE_HOST || !isHttp(url0)) return { where: 'other', url0 }
  const url1 = parseUrl(ref, base1)
  // The reference names SITE_HOST itself: not a site file.
  if (url1 === undefined || url1.host !== PROBE_HOST) return { where: 'other', url0 }
  if (url1.pathname === url0.pathname) {
    return { where: 'site', url0, rootRelative: true, escapes: rootRelativeEscapes(ref, prefix) }
  }
  return {
    where: 'site',
    url0,
    rootRelative: false,
    escapes: url1.pathname !== `${prefix}${url0.pathname.slice(1)}`,
  }
}

/**
 * Whether a root-relative reference (`/../x`) climbs above the root. Its path
 * ignores any base, so it is probed as the path-relative `./../x` from the root.
 */
function rootRelativeEscapes(ref: string, prefix: string): boolean {
  const path = ref.slice(0, ref.length - suffixOf(ref).length)
  const probe = locate(`.${path}`, `https://${SITE_HOST}/`, `https://${PROBE_HOST}${prefix}`, prefix)
  return probe.where !== 'site' || probe.escapes
}

function parseUrl(ref: string, base: string): URL | undefined {
  try {
    return new URL(ref, base)
  } catch {
    return undefined
  }
}

const isHttp = (url: URL): boolean => url.protocol === 'http:' || url.protocol === 'https:'

/** Host and port match; `port` is `''` for either scheme's default port. */
const onOrigin = (url: URL, origins: readonly URL[]): boolean =>
  origins.some((origin) => origin.hostname === url.hostname && origin.port === url.port)

/** The site path a URL path names, or why there is none. */
function toAsset(pathname: string, ref: string): ResolvedReference {
  const segments = pathname.slice(1).split('/')
  const decoded: string[] = []
  for (const segment of segments) {
    let name: string
    try {
      name = decodeURIComponent(segment)
    } catch {
      return other('unresolvable', `the path has invalid percent-encoding in ${JSON.stringify(segment)}`)
    }
    if (name.includes('/')) {
      return other('unresolvable', `the path segment ${JSON.stringify(segment)} encodes a "/"`)
    }
    decoded.push(name)
  }
  let path = decoded.join('/')
  if (path === '' || path.endsWith('/')) path += 'index.html'
  return { kind: 'asset', path, suffix: suffixOf(ref) }
}

/** The query and fragment as written: from the first `?` or `#` on. */
function suffixOf(ref: string): string {
  const at = ref.search(/[?#]/)
  return at === -1 ? '' : ref.slice(at)
}

/** Number of `.` and `%2e` in `text`: twice the most `..` segments it can hold. */
function countDots(text: string): number {
  let dots = 0
  for (let at = text.indexOf('.'); at !== -1; at = text.indexOf('.', at + 1)) dots++
  for (let at = text.indexOf('%'); at !== -1; at = text.indexOf('%', at + 1)) {
    if (text.slice(at + 1, at + 3).toLowerCase() === '2e') dots++
  }
  return dots
}

/** A site path as a URL path: each segment percent-encoded, so `%`, `#`, `?` in names stay names. */
const encodeSitePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/')

/** Drops leading and trailing C0 controls and spaces, and every tab and line break, as the URL parser does. */
function cleanUrl(url: string): string {
  let start = 0
  let end = url.length
  while (start < end && url.charCodeAt(start) <= 0x20) start++
  while (end > start && url.charCodeAt(end - 1) <= 0x20) end--
  return url.slice(start, end).replace(/[\t\n\r]/g, '')
}

const other = (kind: OtherReference['kind'], reason: string): OtherReference => ({ kind, reason })
