/**
 * The host node's HTTP gateway for `/ipfs/` paths: a trustless gateway (raw
 * blocks, CAR streams with IPIP-402 `dag-scope`/`entity-bytes` and IPIP-412
 * `order`/`dups`) plus the path gateway's deserialised responses, served
 * from the local block store only, and only for content pinned here.
 *
 * @see https://specs.ipfs.tech/http-gateways/trustless-gateway/
 * @see https://specs.ipfs.tech/http-gateways/path-gateway/
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import {
  type BlockSource,
  blockSource,
  DamagedBlockError,
  isIdentity,
  MissingBlockError,
  memoized,
} from './gateway/blocks.js'
import { serveCar } from './gateway/car.js'
import { serveDeserialized } from './gateway/deserialized.js'
import { type Exchange, HttpError, send, sendError, startExchange } from './gateway/exchange.js'
import { serveRaw } from './gateway/raw.js'
import { negotiateFormat, parseCarScope, parseContentRequest } from './gateway/request.js'
import { PathNotFoundError, PathUnsupportedError } from './gateway/resolve.js'
import { InvalidDagError } from './gateway/walk.js'

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /**
   * Local, offline block store. Only `get` and `has` are used; the gateway
   * never fetches from the network. Blocks hashed with SHA-256 or SHA-512 are
   * checked against their CID before they are sent.
   */
  blockstore: Pick<Blockstore, 'get' | 'has'>
  /**
   * True when `cid` is pinned here or is a block inside a pinned DAG. Asked
   * about the CID of the URL only (a path below it is part of its DAG). The
   * gateway is not an open proxy: anything else is a 404. Identity CIDs, whose
   * content is the CID itself, are always served.
   */
  isServable(cid: CID): Promise<boolean>
  /**
   * Hash every block read against its CID before sending it. A host whose blocks were all
   * verified when they were stored (CAR uploads are, bitswap is) can turn this off: clients of
   * the trustless formats verify what they get anyway.
   * @default true
   */
  verifyBlocks?: boolean
  /**
   * Called once per response, when it ends or the client leaves, with its
   * status, the body bytes written and its format (`error` for status ≥ 400;
   * `deserialized` also covers preflights and redirects), for
   * Prometheus-style metrics. Errors it throws are ignored.
   */
  onResponse?(info: { status: number; bytes: number; format: 'raw' | 'car' | 'deserialized' | 'error' }): void
}

/**
 * Creates the request handler for `/ipfs/…` paths, to mount on a node:http
 * or node:https server. It answers every request itself (never rejects) and
 * stops streaming when the client leaves.
 *
 * - `?format=raw` / `Accept: application/vnd.ipld.raw`: the block's bytes.
 * - `?format=car` / `Accept: application/vnd.ipld.car`: a CARv1 stream in DFS
 *   order, with `dag-scope` (`all`, `entity`, `block`), `entity-bytes`, and
 *   `dups=y|n`.
 * - otherwise: the file (with `Range`), a directory's `index.html` or listing.
 *
 * @example
 * ```ts
 * const gateway = createGateway({ blockstore, isServable: (cid) => pins.covers(cid) })
 * http.createServer((req, res) => {
 *   if (req.url?.startsWith('/ipfs/')) void gateway(req, res)
 *   else { res.statusCode = 404; res.end() }
 * })
 * ```
 */
export function createGateway(
  options: GatewayOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const blocks = blockSource(options.blockstore, options.verifyBlocks ?? true)
  return async (req, res) => {
    const exchange = startExchange(req, res, options.onResponse)
    try {
      await handle(exchange, memoized(blocks), options)
    } catch (error) {
      try {
        if (!res.headersSent) sendError(exchange, toHttpError(error))
        else res.destroy()
      } catch {
        res.destroy()
      }
    }
  }
}

const onlyIfCached = (req: IncomingMessage) =>
  /(^|,)\s*only-if-cached\s*(,|$)/i.test(req.headers['cache-control'] ?? '')

async function handle(exchange: Exchange, blocks: BlockSource, options: GatewayOptions): Promise<void> {
  const { req } = exchange
  if (req.method === 'OPTIONS') {
    send(exchange, 204, { 'Access-Control-Max-Age': '86400' })
    return
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpError(405, `${req.method} is not allowed here: this gateway only serves GET and HEAD.`, {
      Allow: 'GET, HEAD, OPTIONS',
    })
  }
  const request = parseContentRequest(req)
  const format = negotiateFormat(request.url, req.headers.accept)
  const scope = format.kind === 'car' ? parseCarScope(request.url.searchParams) : undefined
  exchange.format = format.kind
  if (req.headers['service-worker'] === 'script' && request.segments.length === 0 && !request.trailingSlash) {
    throw new HttpError(
      400,
      `A service worker cannot be registered for all of /ipfs/${request.cidText}: add a "/".`,
    )
  }
  const { cid, cidText } = request
  // `Cache-Control: only-if-cached` asks whether this node has it: 412 when it does not.
  if (
    onlyIfCached(req) &&
    !isIdentity(cid) &&
    !((await options.isServable(cid)) && (await blocks.has(cid)))
  ) {
    throw new HttpError(412, '')
  }
  if (!isIdentity(cid) && !(await options.isServable(cid))) {
    throw new HttpError(
      404,
      `${cidText} is not pinned on this node. This node only serves content pinned on it.`,
    )
  }
  if (!(await blocks.has(cid))) {
    if (onlyIfCached(req)) throw new HttpError(412, '')
    throw new HttpError(404, `${cidText} is pinned on this node but its blocks are not in its store (yet).`)
  }
  const context = { exchange, blocks, request }
  if (format.kind === 'raw') await serveRaw(context, format.fromAccept)
  else if (format.kind === 'car') await serveCar(context, scope ?? { scope: 'all' }, format)
  else await serveDeserialized(context)
}

/** Maps what went wrong to a status: 404 for content this node does not have (a non-recursive gateway). */
function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error
  if (error instanceof PathNotFoundError) return new HttpError(404, `${error.message}.`)
  if (error instanceof MissingBlockError) {
    return new HttpError(404, `The content is pinned here but incomplete: ${error.message}.`)
  }
  if (error instanceof PathUnsupportedError) return new HttpError(501, `${error.message}.`)
  if (error instanceof DamagedBlockError || error instanceof InvalidDagError) {
    return new HttpError(500, `${error.message}.`)
  }
  return new HttpError(500, `Internal error: ${(error as Error)?.message ?? String(error)}.`)
}
