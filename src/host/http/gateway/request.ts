import type { IncomingMessage } from 'node:http'
import type { MultibaseDecoder } from 'multiformats/bases/interface'
import { bases } from 'multiformats/basics'
import { CID } from 'multiformats/cid'
import { HttpError } from './exchange.js'

/** CIDs are accepted in every multibase multiformats knows (CIDv0 is implicitly base58btc). */
const BASES = new Map(Object.values(bases).map((base) => [base.prefix as string, base]))
const MULTIBASE: MultibaseDecoder<string> = {
  decode(text: string) {
    const prefix = String.fromCodePoint(text.codePointAt(0) ?? 0)
    const base = BASES.get(prefix)
    if (base === undefined) throw new Error(`unknown multibase prefix "${prefix}"`)
    return base.decode(text)
  },
}

/** `GET /ipfs/<cid>[/path…]` taken apart. */
export interface ContentRequest {
  url: URL
  /** The CID as written in the URL. */
  cidText: string
  cid: CID
  /** Decoded path segments below the CID, empty ones dropped. */
  segments: string[]
  trailingSlash: boolean
}

/** Splits the request URL into CID and path; 400 for anything malformed. */
export function parseContentRequest(req: IncomingMessage): ContentRequest {
  const url = new URL(req.url ?? '/', 'http://gateway.invalid')
  if (!url.pathname.startsWith('/ipfs/')) {
    throw new HttpError(400, `${url.pathname} is not a content path: expected /ipfs/<cid>[/path].`)
  }
  const raw = url.pathname.slice('/ipfs/'.length).split('/')
  const decode = (segment: string) => {
    try {
      return decodeURIComponent(segment)
    } catch {
      throw new HttpError(400, `The path segment "${segment}" is not valid percent-encoding.`)
    }
  }
  const cidText = decode(raw[0] ?? '')
  if (cidText === '') throw new HttpError(400, 'No CID in the path: expected /ipfs/<cid>[/path].')
  let cid: CID
  try {
    cid = CID.parse(cidText, MULTIBASE)
  } catch (cause) {
    throw new HttpError(
      400,
      `"${cidText}" is not a valid CID (${(cause as Error).message}). Expected /ipfs/<cid>[/path], with a CIDv0 (Qm…) or a CIDv1 in any multibase.`,
    )
  }
  const segments = raw.slice(1).filter(Boolean).map(decode)
  for (const segment of segments) {
    if (segment.includes('/'))
      throw new HttpError(400, `The path segment "${segment}" contains an encoded "/".`)
  }
  return { url, cidText, cid, segments, trailingSlash: url.pathname.endsWith('/') && raw.length > 1 }
}

/** The response format: a raw block, a CAR stream, or the content itself. */
export type ResponseFormat =
  | { kind: 'raw'; fromAccept: boolean }
  | { kind: 'car'; fromAccept: boolean; dups: boolean }
  | { kind: 'deserialized' }

interface MediaRange {
  type: string
  params: Map<string, string>
  q: number
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = []
  for (const part of header.split(',')) {
    const [type = '', ...rest] = part.split(';').map((piece) => piece.trim())
    if (type === '') continue
    const params = new Map<string, string>()
    for (const param of rest) {
      const eq = param.indexOf('=')
      if (eq > 0)
        params.set(
          param.slice(0, eq).trim().toLowerCase(),
          param
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ''),
        )
    }
    const q = params.has('q') ? Number(params.get('q')) : 1
    params.delete('q')
    ranges.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 })
  }
  // Stable: equal weights keep the client's order.
  return ranges.filter((range) => range.q > 0).sort((a, b) => b.q - a.q)
}

const RAW_TYPE = 'application/vnd.ipld.raw'
const CAR_TYPE = 'application/vnd.ipld.car'
/** Verifiable or IPLD formats a client may ask for that this gateway does not produce. */
const UNSUPPORTED_TYPES = new Set([
  'application/x-tar',
  'application/vnd.ipld.dag-json',
  'application/vnd.ipld.dag-cbor',
  'application/vnd.ipfs.ipns-record',
])

/** The CAR variant from `Accept` parameters, overridden by `car-*` query parameters; undefined if unsupported. */
function carVariant(params: Map<string, string>, query: URLSearchParams): { dups: boolean } | string {
  const version = query.get('car-version') ?? params.get('version') ?? '1'
  const order = query.get('car-order') ?? params.get('order') ?? 'dfs'
  const dups = query.get('car-dups') ?? params.get('dups') ?? 'n'
  if (version !== '1') return `CAR version ${version} is not supported: ask for version=1`
  if (order !== 'dfs' && order !== 'unk') return `CAR order "${order}" is not supported: ask for order=dfs`
  if (dups !== 'y' && dups !== 'n') return `CAR dups "${dups}" is not valid: ask for dups=y or dups=n`
  return { dups: dups === 'y' }
}

/**
 * Picks the response format: `?format=` first, then the `Accept` header
 * (highest weight first); anything generic (`*∕*`, `text/html`, …) gets the
 * content itself. 400 when only unsupported formats were asked for.
 */
export function negotiateFormat(url: URL, accept: string | undefined): ResponseFormat {
  const format = url.searchParams.get('format') ?? ''
  const ranges = parseAccept(accept ?? '')
  const carParams = ranges.find((range) => range.type === CAR_TYPE)?.params ?? new Map<string, string>()
  if (format === 'raw') return { kind: 'raw', fromAccept: false }
  if (format === 'car') {
    const variant = carVariant(carParams, url.searchParams)
    if (typeof variant === 'string') throw new HttpError(400, `${variant}.`)
    return { kind: 'car', fromAccept: false, dups: variant.dups }
  }
  if (format !== '') {
    throw new HttpError(
      400,
      `The format "${format}" is not supported. This gateway serves format=raw (one block), format=car (a CAR stream), or, without format, the content itself.`,
    )
  }
  const refused: string[] = []
  for (const range of ranges) {
    if (range.type === RAW_TYPE) return { kind: 'raw', fromAccept: true }
    if (range.type === CAR_TYPE) {
      const variant = carVariant(range.params, url.searchParams)
      if (typeof variant !== 'string') return { kind: 'car', fromAccept: true, dups: variant.dups }
      refused.push(variant)
    } else if (UNSUPPORTED_TYPES.has(range.type)) {
      refused.push(`${range.type} is not supported`)
    } else {
      return { kind: 'deserialized' }
    }
  }
  if (refused.length > 0) {
    throw new HttpError(
      400,
      `No acceptable format: ${refused.join('; ')}. This gateway serves ${RAW_TYPE}, ${CAR_TYPE} (version=1, order=dfs, dups=y or n) and the content itself.`,
    )
  }
  return { kind: 'deserialized' }
}

/** `dag-scope` and `entity-bytes` of a CAR request (IPIP-402). */
export interface CarScope {
  scope: 'all' | 'entity' | 'block'
  /** Inclusive byte offsets; negative ones count from the end, `'*'` is the last byte. */
  entityBytes?: { from: number; to: number | '*' }
}

/** Reads `dag-scope` and `entity-bytes`; 400 when malformed or contradictory. */
export function parseCarScope(query: URLSearchParams): CarScope {
  const scope = query.get('dag-scope')
  const bytes = query.get('entity-bytes')
  if (scope !== null && scope !== 'all' && scope !== 'entity' && scope !== 'block') {
    throw new HttpError(400, `dag-scope="${scope}" is not valid: use all, entity or block.`)
  }
  if (bytes === null) return { scope: scope ?? 'all' }
  if (scope !== null && scope !== 'entity') {
    throw new HttpError(400, `entity-bytes only applies to dag-scope=entity, got dag-scope=${scope}.`)
  }
  const match = /^(-?\d+):(-?\d+|\*)$/.exec(bytes)
  const from = Number(match?.[1])
  const to = match?.[2] === '*' ? '*' : Number(match?.[2])
  if (match === null || !Number.isSafeInteger(from) || (to !== '*' && !Number.isSafeInteger(to))) {
    throw new HttpError(
      400,
      `entity-bytes="${bytes}" is not valid: use from:to, e.g. 0:1023, 1024:* or -1024:*.`,
    )
  }
  if (to !== '*' && from >= 0 && to >= 0 && to < from) {
    throw new HttpError(400, `entity-bytes="${bytes}" ends before it starts.`)
  }
  return { scope: 'entity', entityBytes: { from, to } }
}

/** Resolves `entity-bytes` against a file of `size` bytes into `[start, end)`; empty when nothing overlaps. */
export function entityRange(
  bytes: { from: number; to: number | '*' },
  size: number,
): { start: number; end: number } {
  const start = bytes.from < 0 ? Math.max(size + bytes.from, 0) : bytes.from
  const last = bytes.to === '*' ? size - 1 : bytes.to < 0 ? size + bytes.to : bytes.to
  const end = Math.min(last + 1, size)
  return end > start ? { start, end } : { start: 0, end: 0 }
}

/** A single byte range, inclusive, or why none applies. */
export type ByteRange = { start: number; end: number } | 'none' | 'unsatisfiable'

/**
 * The `Range` header against a representation of `size` bytes (RFC 9110
 * §14.1.2): one `bytes=a-b`, `a-` or `-n` range. Malformed headers and
 * multiple ranges are ignored (the whole representation is sent).
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return 'none'
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (match === null || (match[1] === '' && match[2] === '')) return 'none'
  const [, first = '', last = ''] = match
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(size - suffix, 0), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (last !== '' && Number(last) < start) return 'none'
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}

/** True when `If-None-Match` lists `etag` (weak comparison) or is `*`. */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const bare = (tag: string) => tag.trim().replace(/^W\//, '')
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag))
}
