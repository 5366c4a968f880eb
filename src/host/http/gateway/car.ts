import { createHash } from 'node:crypto'
import { CarWriter } from '@ipld/car/writer'
import type { CID } from 'multiformats/cid'
import { type BlockSource, isIdentity } from './blocks.js'
import { contentDisposition } from './content-type.js'
import { send, stream } from './exchange.js'
import { type CarScope, entityRange } from './request.js'
import { type ResolvedPath, resolvePath } from './resolve.js'
import { contentLocation, notModified, type ServeContext, successHeaders } from './respond.js'
import { allLinks, fileRange, hamtShards, readUnixfs, type Visitor, walkBlocks } from './walk.js'

interface Block {
  cid: CID
  bytes: Uint8Array
}

const blockOnly: Visitor<undefined, undefined> = () => ({ children: [], value: undefined })

/**
 * The blocks of a CAR response, in DFS order: those that verify the path
 * from the root, then the terminal entity as `dag-scope` and `entity-bytes`
 * ask (IPIP-402). Identity blocks are left out; duplicates only with `dups`.
 */
export async function* carBlocks(
  blocks: BlockSource,
  resolved: ResolvedPath,
  scope: CarScope,
  dups: boolean,
  signal?: AbortSignal,
): AsyncGenerator<Block> {
  const seen = dups ? undefined : new Set<string>()
  for (const cid of resolved.pathBlocks) {
    const key = cid.toString()
    if (seen?.has(key) === true || isIdentity(cid)) continue
    seen?.add(key)
    yield { cid, bytes: await blocks.read(cid, { signal }) }
  }
  const cid = resolved.terminal
  const options = { signal, seen }
  let walk: AsyncIterable<Block> = walkBlocks(blocks, { cid, context: undefined }, blockOnly, options)
  if (scope.scope === 'all') {
    walk = walkBlocks(blocks, { cid, context: undefined }, allLinks, options)
  } else if (scope.scope === 'entity') {
    const unixfs = readUnixfs(cid, await blocks.read(cid, { signal }))?.unixfs
    if (unixfs?.type === 'file' || unixfs?.type === 'raw') {
      if (scope.entityBytes === undefined) {
        walk = walkBlocks(blocks, { cid, context: undefined }, allLinks, options)
      } else {
        const size = Number(unixfs.fileSize())
        const { start, end } = entityRange(scope.entityBytes, size)
        walk = walkBlocks(blocks, { cid, context: { offset: 0, size } }, fileRange(start, end), options)
      }
    } else if (unixfs?.type === 'hamt-sharded-directory') {
      walk = walkBlocks(blocks, { cid, context: undefined }, hamtShards, options)
    }
  }
  for await (const block of walk) if (!isIdentity(block.cid)) yield { cid: block.cid, bytes: block.bytes }
}

/**
 * A CARv1 stream of `source` with the single root `root`, written by
 * `@ipld/car`. Stops reading `source` when `signal` aborts.
 */
export async function* carStream(
  root: CID,
  source: AsyncIterable<Block>,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const { writer, out } = CarWriter.create([root])
  // The writer waits for its output to be read; a client that left must not keep it waiting forever.
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
  aborted.catch(() => {})
  const producer = (async () => {
    try {
      for await (const block of source) await Promise.race([writer.put(block), aborted])
    } finally {
      if (!signal.aborted) await writer.close()
    }
  })()
  producer.catch(() => {})
  yield* out
  await producer
}

/** A short digest of everything besides the root that shapes the CAR, for its ETag. */
function carVariantDigest(context: ServeContext, scope: CarScope, dups: boolean): string {
  const variant = JSON.stringify([context.request.segments, scope.scope, scope.entityBytes ?? null, dups])
  return createHash('sha256').update(variant).digest('hex').slice(0, 16)
}

/** `application/vnd.ipld.car`: the trustless gateway's CAR response, streamed. */
export async function serveCar(
  context: ServeContext,
  scope: CarScope,
  format: { dups: boolean; fromAccept: boolean },
): Promise<void> {
  const { blocks, request, exchange } = context
  const { signal } = exchange
  const resolved = await resolvePath(blocks, request.cid, request.segments, signal)
  // The terminal block is read before the status line, so a missing one is a 404, not a cut stream.
  await blocks.read(resolved.terminal, { signal })
  const etag = `"${request.cid}.car.${carVariantDigest(context, scope, format.dups)}"`
  const filename = request.url.searchParams.get('filename') ?? `${request.cid}.car`
  const headers = {
    ...successHeaders(context, resolved, etag),
    'Content-Type': `application/vnd.ipld.car; version=1; order=dfs; dups=${format.dups ? 'y' : 'n'}`,
    'Content-Disposition': contentDisposition('attachment', filename),
    'Accept-Ranges': 'none',
    ...(format.fromAccept ? { 'Content-Location': contentLocation(context, 'car') } : {}),
  }
  if (notModified(context, headers)) return
  if (exchange.head) {
    send(exchange, 200, headers)
    return
  }
  const source = carBlocks(blocks, resolved, scope, format.dups, signal)
  await stream(exchange, 200, headers, carStream(request.cid, source, signal))
}
