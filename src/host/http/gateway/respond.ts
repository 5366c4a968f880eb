import type { OutgoingHttpHeaders } from 'node:http'
import type { BlockSource } from './blocks.js'
import { type Exchange, HttpError, IMMUTABLE, send, stream } from './exchange.js'
import { type ContentRequest, matchesEtag, parseRange } from './request.js'
import type { ResolvedPath } from './resolve.js'

/** What every response handler works with. */
export interface ServeContext {
  exchange: Exchange
  blocks: BlockSource
  request: ContentRequest
}

/** Headers of every successful response for `resolved`. */
export function successHeaders(
  context: ServeContext,
  resolved: ResolvedPath,
  etag: string,
): OutgoingHttpHeaders {
  return {
    'Cache-Control': IMMUTABLE,
    ETag: etag,
    'X-Ipfs-Path': context.request.url.pathname,
    'X-Ipfs-Roots': resolved.logicalRoots.map(String).join(','),
  }
}

/** The URL with `format` in it, sent as `Content-Location` when the format came from `Accept`. */
export function contentLocation(context: ServeContext, format: string): string {
  const { url } = context.request
  const query = new URLSearchParams(url.searchParams)
  query.set('format', format)
  return `${url.pathname}?${query}`
}

const NOT_MODIFIED_HEADERS = ['Cache-Control', 'ETag', 'X-Ipfs-Path', 'X-Ipfs-Roots', 'Content-Location']

/** Answers 304 and returns true when `If-None-Match` already names the response's `ETag`. */
export function notModified(context: ServeContext, headers: OutgoingHttpHeaders): boolean {
  const { exchange } = context
  if (!matchesEtag(exchange.req.headers['if-none-match'], String(headers.ETag))) return false
  const kept: OutgoingHttpHeaders = {}
  for (const name of NOT_MODIFIED_HEADERS) if (headers[name] !== undefined) kept[name] = headers[name]
  send(exchange, 304, kept)
  return true
}

/** A byte representation that supports `Range`. */
export interface RangedBody {
  size: number
  /** The ETag of the whole representation, unquoted; a range gets `.<first>-<last>` appended. */
  etag: string
  headers: OutgoingHttpHeaders
  /** Called only when the body is about to be sent (not for 304 or 416). */
  contentType: () => Promise<string> | string
  read: (start: number, end: number) => AsyncIterable<Uint8Array>
}

/**
 * Sends `body` whole (200) or the one range asked for (206, with
 * `Content-Range`); 416 for a range past the end. Reads only the bytes sent.
 */
export async function serveRanged(context: ServeContext, body: RangedBody): Promise<void> {
  const { exchange } = context
  const header = exchange.req.headers.range
  const range = parseRange(header, body.size)
  if (range === 'unsatisfiable') {
    throw new HttpError(416, `The range "${header}" is outside the ${body.size} bytes of this content.`, {
      'Content-Range': `bytes */${body.size}`,
    })
  }
  const partial = range !== 'none'
  const start = partial ? range.start : 0
  const end = partial ? range.end + 1 : body.size
  const headers: OutgoingHttpHeaders = {
    ...body.headers,
    ETag: partial ? `"${body.etag}.${start}-${end - 1}"` : `"${body.etag}"`,
    'Accept-Ranges': 'bytes',
  }
  if (notModified(context, headers)) return
  headers['Content-Type'] = await body.contentType()
  headers['Content-Length'] = end - start
  if (partial) headers['Content-Range'] = `bytes ${start}-${end - 1}/${body.size}`
  const status = partial ? 206 : 200
  if (exchange.head) send(exchange, status, headers)
  else await stream(exchange, status, headers, body.read(start, end))
}
