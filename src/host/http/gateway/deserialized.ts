import type { OutgoingHttpHeaders } from 'node:http'
import type { CID } from 'multiformats/cid'
import { CODEC_DAG_PB, CODEC_RAW } from '../../../constants.js'
import { contentDisposition, SNIFF_BYTES, sniffType, typeFromName } from './content-type.js'
import { HttpError, IMMUTABLE, send, stream } from './exchange.js'
import { DIR_INDEX_VERSION, directoryListing } from './listing.js'
import { PathNotFoundError, type ResolvedPath, resolvePath } from './resolve.js'
import { notModified, type ServeContext, serveRanged, successHeaders } from './respond.js'
import { fileContent, readUnixfs } from './walk.js'

/** Content types of IPLD codecs served as their block bytes (path gateway spec, "Response Payload"). */
const CODEC_TYPES = new Map<number, string>([
  [0x0129, 'application/vnd.ipld.dag-json'],
  [0x71, 'application/vnd.ipld.dag-cbor'],
  [0x0200, 'application/json'],
  [0x51, 'application/cbor'],
])

/** `Cache-Control` of generated directory listings (as the path gateway spec suggests). */
const LISTING_CACHE = 'public, max-age=604800, stale-while-revalidate=2678400'

/** A UnixFS symlink's target, as bytes (path gateway spec: not followed, the target is the body). */
const SYMLINK_TYPE = 'inode/symlink'

type Entity =
  | { kind: 'file'; size: number }
  | { kind: 'directory' }
  | { kind: 'block'; bytes: Uint8Array; type: string }
  | { kind: 'symlink'; target: Uint8Array }
  | { kind: 'unsupported'; what: string }

async function entityOf(context: ServeContext, cid: CID): Promise<Entity> {
  const bytes = await context.blocks.read(cid, { signal: context.exchange.signal })
  if (cid.code === CODEC_RAW) return { kind: 'file', size: bytes.length }
  const type = CODEC_TYPES.get(cid.code)
  if (type !== undefined) return { kind: 'block', bytes, type }
  if (cid.code !== CODEC_DAG_PB) return { kind: 'unsupported', what: `codec 0x${cid.code.toString(16)}` }
  const unixfs = readUnixfs(cid, bytes)?.unixfs
  if (unixfs === undefined) return { kind: 'unsupported', what: 'dag-pb that is not UnixFS' }
  if (unixfs.type === 'file' || unixfs.type === 'raw')
    return { kind: 'file', size: Number(unixfs.fileSize()) }
  if (unixfs.isDirectory()) return { kind: 'directory' }
  if (unixfs.type === 'symlink') return { kind: 'symlink', target: unixfs.data ?? new Uint8Array() }
  return { kind: 'unsupported', what: `UnixFS ${unixfs.type}` }
}

async function firstBytes(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** `Content-Disposition` from `?filename=` and `?download=true`, if either was given. */
function disposition(context: ServeContext, name: string | undefined): OutgoingHttpHeaders {
  const query = context.request.url.searchParams
  const filename = query.get('filename') ?? undefined
  if (query.get('download') === 'true')
    return { 'Content-Disposition': contentDisposition('attachment', filename ?? name) }
  if (filename !== undefined) return { 'Content-Disposition': contentDisposition('inline', filename) }
  return {}
}

/** A UnixFS file: typed from its name (or `?filename=`), else sniffed; ranges read only the blocks they need. */
async function serveFile(
  context: ServeContext,
  resolved: ResolvedPath,
  cid: CID,
  size: number,
  name?: string,
  etag = cid.toString(),
) {
  const { blocks, exchange } = context
  const filename = context.request.url.searchParams.get('filename') ?? name
  const read = (start: number, end: number) => fileContent(blocks, cid, size, start, end, exchange.signal)
  await serveRanged(context, {
    size,
    etag,
    headers: { ...successHeaders(context, resolved, ''), ...disposition(context, name) },
    contentType: async () =>
      typeFromName(filename) ?? sniffType(await firstBytes(read(0, Math.min(size, SNIFF_BYTES)))),
    read,
  })
}

async function serveDirectory(context: ServeContext, resolved: ResolvedPath): Promise<void> {
  const { blocks, exchange, request } = context
  const { url } = request
  if (!request.trailingSlash) {
    send(exchange, 301, { Location: `${url.pathname}/${url.search}`, 'Cache-Control': IMMUTABLE })
    return
  }
  const index = await resolvePath(blocks, resolved.terminal, ['index.html'], exchange.signal).catch(
    (error) => {
      if (error instanceof PathNotFoundError) return undefined
      throw error
    },
  )
  if (index !== undefined) {
    const entity = await entityOf(context, index.terminal)
    // The ETag names the directory: what the URL asked for.
    if (entity.kind === 'file')
      return serveFile(
        context,
        resolved,
        index.terminal,
        entity.size,
        'index.html',
        resolved.terminal.toString(),
      )
  }
  const headers: OutgoingHttpHeaders = {
    ...successHeaders(context, resolved, `"DirIndex-${DIR_INDEX_VERSION}_CID-${resolved.terminal}"`),
    // A generated listing may change with this gateway's version: cached for a week, not forever.
    'Cache-Control': LISTING_CACHE,
    'Content-Type': 'text/html; charset=utf-8',
  }
  if (notModified(context, headers)) return
  if (exchange.head) {
    send(exchange, 200, headers)
    return
  }
  const listing = directoryListing(
    blocks,
    resolved.terminal,
    url.pathname,
    request.segments.length > 0,
    exchange.signal,
  )
  await stream(exchange, 200, headers, listing)
}

/**
 * The content itself (path gateway): UnixFS files and raw blocks as bytes,
 * directories as their `index.html` or a generated listing, DAG-JSON/CBOR
 * blocks as they are.
 */
export async function serveDeserialized(context: ServeContext): Promise<void> {
  const { blocks, request, exchange } = context
  const resolved = await resolvePath(blocks, request.cid, request.segments, exchange.signal)
  const entity = await entityOf(context, resolved.terminal)
  switch (entity.kind) {
    case 'file':
      return serveFile(context, resolved, resolved.terminal, entity.size, request.segments.at(-1))
    case 'directory':
      return serveDirectory(context, resolved)
    case 'block':
      return serveRanged(context, {
        size: entity.bytes.length,
        etag: resolved.terminal.toString(),
        headers: { ...successHeaders(context, resolved, ''), ...disposition(context, undefined) },
        contentType: () => entity.type,
        read: async function* (start, end) {
          yield entity.bytes.subarray(start, end)
        },
      })
    case 'symlink':
      return serveRanged(context, {
        size: entity.target.length,
        etag: resolved.terminal.toString(),
        headers: successHeaders(context, resolved, ''),
        contentType: () => SYMLINK_TYPE,
        read: async function* (start, end) {
          yield entity.target.subarray(start, end)
        },
      })
    case 'unsupported':
      throw new HttpError(
        501,
        `${request.url.pathname} is ${entity.what}, which this gateway does not render: ask for ?format=raw or ?format=car.`,
      )
  }
}
