import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import { CID } from 'multiformats/cid'
import { CAR_UPLOAD_PATH, MISSING_BLOCKS_PATH, STATUS_PATH } from '../../constants.js'
import { CarUploadError, type IngestCarResult } from '../car-upload.js'
import type { DagIndex } from '../dag-index.js'
import type { PinRequests } from '../pin-requests.js'
import type { TokenVerifier } from '../tokens.js'
import type { HostMetrics } from './metrics.js'
import { handlePinningApi } from './pinning-api.js'
import { readJson, sendFailure, sendJson } from './respond.js'
import { handleRouting, isRoutingPath, type RoutingDeps } from './routing.js'

export { CAR_UPLOAD_PATH, MISSING_BLOCKS_PATH, STATUS_PATH }

export interface RouterDeps {
  tokens: TokenVerifier
  pins: PinRequests
  metrics: HostMetrics
  gateway: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  /** Stores and checks an uploaded CAR (not pinned yet); `previous` is the CID of the pin it replaces. */
  ingestCar: (body: Readable, previous?: CID) => Promise<IngestCarResult>
  /** Of these CIDs, those whose blocks are not in the store. */
  missingBlocks: (cids: CID[]) => Promise<CID[]>
  status: () => Promise<unknown>
  /** A message when the repo is full (new pins are refused with 409), else undefined. */
  quotaFull: () => string | undefined
  /** `/routing/v1/` and `/ipns/`: IPNS records, providers (src/host/http/routing.ts). */
  routing: Omit<RoutingDeps, 'gateway'>
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Range, User-Agent, X-Requested-With',
  'Access-Control-Expose-Headers':
    'Content-Range, Content-Length, X-Ipfs-Path, X-Ipfs-Roots, X-Chunked-Output, X-Stream-Output',
  'Access-Control-Max-Age': '86400',
}

function routeOf(pathname: string): string {
  if (pathname.startsWith('/ipfs/')) return 'gateway'
  if (isRoutingPath(pathname)) return pathname.startsWith('/ipns/') ? 'ipns' : 'routing'
  if (pathname === '/pins' || pathname.startsWith('/pins/')) return 'pins'
  if (pathname === CAR_UPLOAD_PATH) return 'car'
  if (pathname === MISSING_BLOCKS_PATH) return 'missing'
  if (pathname === '/metrics' || pathname === '/healthz' || pathname === STATUS_PATH) return pathname.slice(1)
  return 'other'
}

/** The one HTTP handler of a host: gateway, Pinning Service API, CAR upload, status, health, metrics. */
export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://host.invalid')
    } catch {
      res.writeHead(400).end()
      return
    }
    const route = routeOf(url.pathname)
    res.on('finish', () => deps.metrics.requests.inc({ route, status: String(res.statusCode) }))
    handle(deps, req, res, url, route).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      sendFailure(
        res,
        500,
        'INTERNAL_SERVER_ERROR',
        `The host failed on this request: ${(err as Error).message}`,
      )
    })
  }
}

async function handle(deps: RouterDeps, req: IncomingMessage, res: ServerResponse, url: URL, route: string) {
  if (route === 'gateway') return deps.gateway(req, res)
  if (route === 'ipns' || route === 'routing') {
    return handleRouting({ ...deps.routing, gateway: deps.gateway }, req, res, url)
  }
  for (const [name, value] of Object.entries(CORS)) res.setHeader(name, value)
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end()
    return
  }
  if (route === 'healthz') return sendJson(res, 200, { status: 'ok' })
  if (route === 'metrics') {
    const text = await deps.metrics.registry.metrics()
    res.writeHead(200, { 'Content-Type': deps.metrics.registry.contentType, 'Cache-Control': 'no-store' })
    res.end(text)
    return
  }
  if (route === STATUS_PATH.slice(1)) return sendJson(res, 200, await deps.status())
  if (route === 'pins' || route === 'car' || route === 'missing') {
    const token = await deps.tokens.verify(req.headers.authorization)
    if (!token) {
      req.resume()
      return sendFailure(
        res,
        401,
        'UNAUTHORIZED',
        'Access token is missing or invalid. Send `Authorization: Bearer <token>` with a token from `p2pcdn host token create`.',
        { 'WWW-Authenticate': 'Bearer' },
      )
    }
    if (route === 'pins') {
      await handlePinningApi(req, res, url, token.id, deps.pins, deps.quotaFull)
      return
    }
    if (route === 'missing') return missingBlocks(deps, req, res)
    return uploadCar(deps, req, res, url, token.id)
  }
  sendFailure(
    res,
    404,
    'NOT_FOUND',
    `Nothing at ${url.pathname}. This host serves /ipfs/<cid>, /ipns/<name>, /routing/v1, /pins, ${CAR_UPLOAD_PATH}, /healthz and /metrics.`,
  )
}

/** A pin's `meta` from its JSON text; `null` when it is not an object of at most 1000 strings. */
function parseMeta(text: string): Record<string, string> | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const entries = Object.entries(value)
  if (entries.length > 1000 || entries.some(([, v]) => typeof v !== 'string')) return null
  return Object.fromEntries(entries) as Record<string, string>
}

async function uploadCar(
  deps: RouterDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  owner: string,
) {
  if (req.method !== 'POST' && req.method !== 'PUT') {
    req.resume()
    return sendFailure(res, 405, 'METHOD_NOT_ALLOWED', `Use POST with a CAR body on ${CAR_UPLOAD_PATH}.`, {
      Allow: 'POST, PUT',
    })
  }
  const name = url.searchParams.get('name') ?? undefined
  const replace = url.searchParams.get('replace') ?? undefined
  // `meta`: the pins' meta, a JSON object of strings (as `GET /pins` takes it in the Pinning Service API).
  const metaParam = url.searchParams.get('meta')
  const meta = metaParam === null ? undefined : parseMeta(metaParam)
  if (meta === null) {
    req.resume()
    return sendFailure(
      res,
      400,
      'BAD_REQUEST',
      'The `meta` parameter must be a JSON object of at most 1000 string values, e.g. {"app_id":"p2pcdn"}.',
    )
  }
  const previous = replace === undefined ? undefined : deps.pins.get(owner, replace)
  if (replace !== undefined && !previous) {
    req.resume()
    return sendFailure(
      res,
      404,
      'NOT_FOUND',
      `No pin request ${JSON.stringify(replace)} to replace for this access token.`,
    )
  }
  let result: IngestCarResult
  try {
    result = await deps.ingestCar(req, previous ? CID.parse(previous.pin.cid) : undefined)
  } catch (err) {
    if (err instanceof CarUploadError) {
      req.resume()
      return sendFailure(res, err.status, err.reason, err.message, { Connection: 'close' })
    }
    throw err
  }
  // The new pins, their requests and the replaced request (and its pin) go in one batch.
  const pins = await deps.pins.addPinned(
    owner,
    result.roots.map((root, i) => ({
      pin: { cid: root.toString(), ...(name !== undefined ? { name } : {}), ...(meta ? { meta } : {}) },
      dag: result.dags[i] as DagIndex,
    })),
    { status_details: 'pinned from a CAR upload', dag_blocks: String(result.blocks) },
    replace,
  )
  sendJson(res, 201, {
    roots: result.roots.map(String),
    blocks: result.blocks,
    newBlocks: result.newBlocks,
    bytes: result.bytes,
    pins,
  })
}

/** At most this many CIDs per missing-blocks question (a 5,000-file site has about 5,000 blocks). */
const MAX_MISSING_QUERY = 200_000

async function missingBlocks(deps: RouterDeps, req: IncomingMessage, res: ServerResponse) {
  if (req.method !== 'POST') {
    req.resume()
    return sendFailure(
      res,
      405,
      'METHOD_NOT_ALLOWED',
      `Use POST with {"cids": [...]} on ${MISSING_BLOCKS_PATH}.`,
      {
        Allow: 'POST',
      },
    )
  }
  let body: unknown
  try {
    body = await readJson(req, 32 << 20)
  } catch (err) {
    return sendFailure(res, 400, 'BAD_REQUEST', `The request body is not JSON: ${(err as Error).message}.`)
  }
  const list = (body as { cids?: unknown })?.cids
  if (!Array.isArray(list) || list.length > MAX_MISSING_QUERY || list.some((c) => typeof c !== 'string')) {
    return sendFailure(
      res,
      400,
      'BAD_REQUEST',
      `Send {"cids": [...]} with at most ${MAX_MISSING_QUERY} CID strings.`,
    )
  }
  const cids: CID[] = []
  for (const text of list as string[]) {
    try {
      cids.push(CID.parse(text))
    } catch {
      return sendFailure(res, 400, 'BAD_REQUEST', `Not a CID: ${JSON.stringify(text)}.`)
    }
  }
  sendJson(res, 200, { missing: (await deps.missingBlocks(cids)).map(String) })
}
