/**
 * A host's naming and routing endpoints:
 * - `GET|PUT /routing/v1/ipns/{name}` (Delegated Routing V1, IPIP-379): a site's IPNS record;
 * - `GET /routing/v1/providers/{cid}` (IPIP-337, JSON or NDJSON): who holds a CID, with HTTP
 *   gateway addresses (IPIP-484);
 * - `GET /ipns/{name}?format=ipns-record` (IPIP-351) and `/ipns/{name}[/path]`, answered as
 *   `/ipfs/{root}[/path]` by the gateway, with the record's TTL as the cache lifetime.
 * CORS is open on all of them: browsers (the visitor's service worker) call them from any origin.
 *
 * @see https://specs.ipfs.tech/routing/http-routing-v1/
 * @see https://specs.ipfs.tech/http-gateways/trustless-gateway/
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { CID } from 'multiformats/cid'
import { IpnsRecordError, parseIpnsName, type SiteRecord } from '../../ipns/site-record.js'
import type { IpnsStore } from '../ipns-store.js'
import type { ProviderFinder } from '../providers.js'
import type { TokenVerifier } from '../tokens.js'
import { contentDisposition } from './gateway/content-type.js'
import { IMMUTABLE } from './gateway/exchange.js'
import { sendFailure, sendJson } from './respond.js'

/** The IPNS record media type (IPIP-351). */
export const IPNS_RECORD_TYPE = 'application/vnd.ipfs.ipns-record'
const NDJSON = 'application/x-ndjson'
/** Largest record accepted (Kubo's and boxo's `MaxRecordSize`). */
const MAX_RECORD_SIZE = 10 << 10
/** `max-age` of a record with no TTL, and of an empty providers answer (the routing spec, boxo). */
const DEFAULT_MAX_AGE = 60
const EMPTY_MAX_AGE = 15

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, PUT, OPTIONS',
  'Access-Control-Allow-Headers': 'Accept, Authorization, Content-Type, Range, User-Agent, X-Requested-With',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Type, ETag, X-Ipfs-Path, X-Ipfs-Roots',
  'Access-Control-Max-Age': '86400',
}

export interface RoutingDeps {
  ipns: IpnsStore
  tokens: Pick<TokenVerifier, 'verify'>
  providers: Pick<ProviderFinder, 'find'>
  /** The `/ipfs/` gateway that `/ipns/` paths are handed to. */
  gateway: (req: IncomingMessage, res: ServerResponse) => Promise<void>
}

/** True for the paths {@link handleRouting} answers. */
export function isRoutingPath(pathname: string): boolean {
  return pathname.startsWith('/routing/v1/') || pathname.startsWith('/ipns/')
}

/** Answers a `/routing/v1/…` or `/ipns/…` request. */
export async function handleRouting(
  deps: RoutingDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  for (const [name, value] of Object.entries(CORS)) res.setHeader(name, value)
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end()
    return
  }
  if (url.pathname.startsWith('/ipns/'))
    return ipnsPath(deps, req, res, url, url.pathname.split('/')[2] ?? '')
  const [kind, key, ...rest] = url.pathname.slice('/routing/v1/'.length).split('/')
  if (kind === 'ipns' && key && rest.length === 0) {
    if (req.method === 'PUT') return putRecord(deps, req, res, decode(key))
    if (req.method === 'GET' || req.method === 'HEAD') return getRecord(deps, req, res, decode(key))
  }
  if (kind === 'providers' && key && rest.length === 0 && (req.method === 'GET' || req.method === 'HEAD')) {
    return providers(deps, req, res, decode(key))
  }
  req.resume()
  const known = kind === 'ipns' || kind === 'providers' || kind === 'peers'
  // The routing spec: 501 for a method or path it defines but this server does not support, 400 for others.
  sendFailure(
    res,
    known ? 501 : 400,
    known ? 'NOT_IMPLEMENTED' : 'BAD_REQUEST',
    `${req.method} ${url.pathname} is not served here. This host answers GET/PUT /routing/v1/ipns/<name>, GET /routing/v1/providers/<cid> and GET /ipns/<name>[/path].`,
  )
}

const decode = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The record's name in canonical form, or a 400 sent. */
function nameOr400(res: ServerResponse, text: string): string | undefined {
  try {
    return parseIpnsName(text).name
  } catch (err) {
    sendFailure(res, 400, 'BAD_REQUEST', (err as Error).message)
    return undefined
  }
}

/** `Cache-Control` of a record: its TTL (60 s when it has none), never past its validity. */
function recordMaxAge(record: SiteRecord): number {
  const ttl = record.ttlMs > 0 ? Math.floor(record.ttlMs / 1000) : DEFAULT_MAX_AGE
  return Math.max(0, Math.min(ttl, Math.floor((record.validity.getTime() - Date.now()) / 1000)))
}

function sendRecord(req: IncomingMessage, res: ServerResponse, record: SiteRecord, filename?: string): void {
  const headers: OutgoingHttpHeaders = {
    'Content-Type': IPNS_RECORD_TYPE,
    'Content-Length': record.bytes.byteLength,
    'Cache-Control': `public, max-age=${recordMaxAge(record)}`,
    ETag: `"${record.name}.${record.sequence}"`,
    Expires: record.validity.toUTCString(),
    'Content-Disposition': contentDisposition('attachment', filename ?? `${record.name}.ipns-record`),
    'X-Ipfs-Path': `/ipns/${record.name}`,
    Vary: 'Accept',
  }
  res.writeHead(200, headers)
  res.end(req.method === 'HEAD' ? undefined : record.bytes)
}

async function getRecord(deps: RoutingDeps, req: IncomingMessage, res: ServerResponse, text: string) {
  const accept = req.headers.accept ?? ''
  if (accept !== '' && !/\*\/\*|application\/vnd\.ipfs\.ipns-record/.test(accept)) {
    return sendFailure(res, 406, 'NOT_ACCEPTABLE', `Ask with Accept: ${IPNS_RECORD_TYPE}.`)
  }
  const name = nameOr400(res, text)
  if (name === undefined) return
  const record = await deps.ipns.get(name)
  if (!record) return notFound(res, name)
  sendRecord(req, res, record)
}

function notFound(res: ServerResponse, name: string): void {
  sendFailure(res, 404, 'NOT_FOUND', `This host holds no valid IPNS record for ${name}.`, {
    'Cache-Control': `public, max-age=${EMPTY_MAX_AGE}`,
  })
}

async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > limit) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

async function putRecord(deps: RoutingDeps, req: IncomingMessage, res: ServerResponse, text: string) {
  const name = nameOr400(res, text)
  if (name === undefined) {
    req.resume()
    return
  }
  // Records are self-authenticating, but only names this host already has (or follows) are open
  // to anyone: a new name needs a token, so that strangers cannot fill the host with names.
  if (!(await deps.ipns.knows(name)) && !(await deps.tokens.verify(req.headers.authorization))) {
    req.resume()
    return sendFailure(
      res,
      401,
      'UNAUTHORIZED',
      `This host holds no record for ${name} yet: the first one needs \`Authorization: Bearer <token>\` with a token from \`p2pcdn host token create\`.`,
      { 'WWW-Authenticate': 'Bearer' },
    )
  }
  const body = await readBody(req, MAX_RECORD_SIZE)
  if (!body) {
    return sendFailure(res, 400, 'BAD_REQUEST', `The record is over ${MAX_RECORD_SIZE} bytes.`, {
      Connection: 'close',
    })
  }
  try {
    const { outcome, record } = await deps.ipns.put(name, body)
    if (outcome === 'older' || outcome === 'conflict-kept') {
      return sendFailure(
        res,
        409,
        'CONFLICT',
        outcome === 'older'
          ? `This host holds a newer record for ${name} (sequence ${record.sequence}): a record never goes back. Publish with a higher sequence.`
          : `This host holds another record for ${name} with the same sequence ${record.sequence}, valid as long or longer. Publish with a higher sequence.`,
      )
    }
    sendJson(res, 200, { name, outcome, value: `/ipfs/${record.root}`, sequence: String(record.sequence) })
  } catch (err) {
    if (!(err instanceof IpnsRecordError)) throw err
    sendFailure(res, 400, `INVALID_RECORD_${err.reason.toUpperCase()}`, err.message)
  }
}

/** True when `/ipns/` is asked for the record itself (IPIP-351) rather than the content. */
function wantsRecord(req: IncomingMessage, url: URL): boolean {
  const format = url.searchParams.get('format')
  if (format !== null) return format === 'ipns-record'
  return (req.headers.accept ?? '').includes(IPNS_RECORD_TYPE)
}

async function ipnsPath(deps: RoutingDeps, req: IncomingMessage, res: ServerResponse, url: URL, raw: string) {
  req.resume()
  const text = decode(raw)
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendFailure(res, 405, 'METHOD_NOT_ALLOWED', `Use GET on /ipns/ paths.`, {
      Allow: 'GET, HEAD, OPTIONS',
    })
  }
  const name = nameOr400(res, text)
  if (name === undefined) return
  const record = await deps.ipns.get(name)
  const below = url.pathname.slice(`/ipns/${raw}`.length)
  if (wantsRecord(req, url)) {
    if (!record) return notFound(res, name)
    return sendRecord(req, res, record, url.searchParams.get('filename') ?? undefined)
  }
  if (!record) return notFound(res, name)
  asIpns(res, record, `/ipfs/${record.root}`, `/ipns/${raw}`)
  req.url = `/ipfs/${record.root}${below}${url.search}`
  await deps.gateway(req, res)
}

/**
 * Makes the gateway's `/ipfs/` answer an `/ipns/` one: the record's TTL instead of `immutable`,
 * the `/ipns/` path in `X-Ipfs-Path` and in redirects.
 */
function asIpns(res: ServerResponse, record: SiteRecord, ipfsPrefix: string, ipnsPrefix: string): void {
  const writeHead = res.writeHead.bind(res) as (
    status: number,
    headers?: OutgoingHttpHeaders,
  ) => ServerResponse
  const swap = (value: unknown) =>
    typeof value === 'string' && value.startsWith(ipfsPrefix)
      ? ipnsPrefix + value.slice(ipfsPrefix.length)
      : value
  res.writeHead = ((status: number, headers: OutgoingHttpHeaders = {}) => {
    const out: OutgoingHttpHeaders = { ...headers }
    if (out['Cache-Control'] === IMMUTABLE) out['Cache-Control'] = `public, max-age=${recordMaxAge(record)}`
    if (out['X-Ipfs-Path'] !== undefined) out['X-Ipfs-Path'] = swap(out['X-Ipfs-Path']) as string
    if (out.Location !== undefined) out.Location = swap(out.Location) as string
    return writeHead(status, out)
  }) as ServerResponse['writeHead']
}

function wantsNdjson(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').split(',').some((part) => part.trim().split(';')[0] === NDJSON)
}

async function providers(deps: RoutingDeps, req: IncomingMessage, res: ServerResponse, text: string) {
  let cid: CID
  try {
    cid = CID.parse(text)
  } catch (err) {
    return sendFailure(res, 400, 'BAD_REQUEST', `"${text}" is not a CID: ${(err as Error).message}.`)
  }
  const abort = new AbortController()
  res.once('close', () => abort.abort())
  const records = await deps.providers.find(cid, abort.signal)
  // Always 200, an empty list when nobody is known to hold it (IPIP-513, as boxo's server).
  const maxAge = records.length > 0 ? 60 : EMPTY_MAX_AGE
  const common = { 'Cache-Control': `public, max-age=${maxAge}`, Vary: 'Accept' }
  if (wantsNdjson(req)) {
    const body = records.map((r) => `${JSON.stringify(r)}\n`).join('')
    res.writeHead(200, { ...common, 'Content-Type': NDJSON, 'Content-Length': Buffer.byteLength(body) })
    res.end(req.method === 'HEAD' ? undefined : body)
    return
  }
  sendJson(res, 200, { Providers: records }, common)
}
