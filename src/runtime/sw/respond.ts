/// <reference lib="webworker" />
/**
 * The answer to an intercepted request for a published asset: from the
 * version's cache, else built from verified blocks (and cached once whole),
 * else from the origin. `Range` requests get a 206 of the verified bytes.
 */
import { type ByteRange, type FileNode, openFile, readFile } from './assemble-file.js'
import { bodyStream } from './body-stream.js'
import { canonical } from './cid.js'
import type { Asset, LoadedConfig } from './config.js'
import type { BlockFetcher } from './fetch-block.js'
import { fromOrigin, restFromOrigin } from './origin.js'
import { parseRange, partialHeaders, unsatisfiable } from './range.js'
import { stats } from './stats.js'

/** What {@link respond} works with. */
export interface RespondContext {
  config: LoadedConfig
  fetcher: BlockFetcher
  /** Blocks fetched ahead of the one being read. */
  window: number
  /** The site root: the worker's folder URL, with a trailing slash. */
  siteRoot: string
  /** Keeps the worker alive for work that outlives the response (the cache write). */
  waitUntil(promise: Promise<unknown>): void
}

/** Longest wait for a first source before racing the next one, for a file's first block. */
const HEDGE_MS = 300

/** The one cache key of a file, whatever link (gateway, form, query) asked for it. */
export function cacheKey(asset: Asset, siteRoot: string): string {
  return new URL(`/ipfs/${canonical(asset.cid)}`, siteRoot).href
}

/** Answers a request for `asset`; never rejects where the origin can answer. */
export async function respond(request: Request, asset: Asset, context: RespondContext): Promise<Response> {
  // Cache Storage can be unavailable (storage blocked, quota): then nothing is cached.
  const cache = await caches.open(context.config.cacheName).catch(() => undefined)
  const key = cacheKey(asset, context.siteRoot)
  const header = request.headers.get('range')
  const cached = await cache?.match(key).catch(() => undefined)
  if (cached) {
    stats.cacheHits++
    return header ? rangeOfCached(cached, header) : cached
  }
  let root: FileNode
  try {
    root = await openFile(asset.cid, context.fetcher, {
      hedge: Math.min(HEDGE_MS, context.config.timeout / 2),
    })
  } catch {
    return fromOrigin(request, context.siteRoot, asset)
  }
  const size = root.size
  const range = parseRange(header, size)
  if (range === 'unsatisfiable') return unsatisfiable(size)
  const wanted = range ?? { start: 0, end: size }
  const whole = wanted.start === 0 && wanted.end === size
  const headers = {
    'Content-Type': asset.type || 'application/octet-stream',
    'Content-Length': String(size),
    'Cache-Control': 'public, max-age=31536000, immutable',
    'Accept-Ranges': 'bytes',
  }
  type Body = ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>
  const answer = (body: Body) =>
    range
      ? new Response(body, { status: 206, headers: { ...headers, ...partialHeaders(range, size) } })
      : new Response(body, { headers })
  const store = (body: Body) =>
    cache && context.waitUntil(cache.put(key, new Response(body, { headers })).catch(() => {}))

  stats.verified++
  if (root.links.length === 0) {
    if (whole) store(root.data.slice())
    return answer(root.data.slice(wanted.start, wanted.end))
  }
  const { body, copy } = bodyStream(readFile(root, wanted, context.fetcher, context.window), {
    rest: (offset) => restFromOrigin(context.siteRoot, asset, wanted.start + offset, wanted.end),
    copy: whole && cache !== undefined,
  })
  if (copy) store(copy)
  return answer(body)
}

/** A 206 (or 416) of a cached file; the whole file if the header is no single range. */
async function rangeOfCached(cached: Response, header: string): Promise<Response> {
  // Cache Storage hands out a disk-backed blob: slicing it reads only the range.
  const blob = await cached.blob()
  const range: ByteRange | 'unsatisfiable' | undefined = parseRange(header, blob.size)
  if (range === 'unsatisfiable') return unsatisfiable(blob.size)
  const headers = new Headers(cached.headers)
  if (!range) return new Response(blob, { headers })
  for (const [name, value] of Object.entries(partialHeaders(range, blob.size))) headers.set(name, value)
  return new Response(blob.slice(range.start, range.end), { status: 206, headers })
}
