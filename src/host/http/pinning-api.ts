import type { IncomingMessage, ServerResponse } from 'node:http'
import { CID } from 'multiformats/cid'
import {
  type ListFilter,
  type PinRequestStatus,
  type PinRequests,
  PinValidationError,
  validatePin,
} from '../pin-requests.js'
import { readJson, sendFailure, sendJson } from './respond.js'

const STATUSES: readonly PinRequestStatus[] = ['queued', 'pinning', 'pinned', 'failed']
const MATCHES = ['exact', 'iexact', 'partial', 'ipartial'] as const

/** Reads a spec list parameter: `?cid=a,b` (v1.0.0, explode: false) or `?cid=a&cid=b` (earlier drafts). */
function listParam(query: URLSearchParams, name: string): string[] | undefined {
  const values = query.getAll(name).flatMap((value) => value.split(','))
  const kept = values.map((value) => value.trim()).filter((value) => value !== '')
  return kept.length > 0 ? kept : undefined
}

function parseDate(query: URLSearchParams, name: string): Date | undefined {
  const value = query.get(name)
  if (value === null) return undefined
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new PinValidationError(
      `\`${name}\` must be an RFC 3339 timestamp such as 2020-07-27T17:32:28Z, got: ${JSON.stringify(value)}.`,
    )
  }
  return date
}

/** Turns `GET /pins` query parameters into a filter; bad values are a 400 naming the parameter. */
export function parseListQuery(query: URLSearchParams): ListFilter {
  const filter: ListFilter = {}
  const cids = listParam(query, 'cid')
  if (cids) {
    if (cids.length > 10) throw new PinValidationError('`cid` takes at most 10 CIDs.')
    for (const cid of cids) {
      try {
        CID.parse(cid)
      } catch {
        throw new PinValidationError(`\`cid\` has an invalid CID: ${JSON.stringify(cid)}.`)
      }
    }
    filter.cid = cids
  }
  const name = query.get('name')
  if (name !== null) {
    if (name.length > 255) throw new PinValidationError('`name` must be at most 255 characters.')
    filter.name = name
  }
  const match = query.get('match')
  if (match !== null) {
    if (!(MATCHES as readonly string[]).includes(match)) {
      throw new PinValidationError(
        `\`match\` must be one of ${MATCHES.join(', ')}, got: ${JSON.stringify(match)}.`,
      )
    }
    filter.match = match as ListFilter['match']
  }
  const statuses = listParam(query, 'status')
  if (statuses) {
    for (const status of statuses) {
      if (!(STATUSES as readonly string[]).includes(status)) {
        throw new PinValidationError(
          `\`status\` must be among ${STATUSES.join(', ')}, got: ${JSON.stringify(status)}.`,
        )
      }
    }
    filter.status = statuses as PinRequestStatus[]
  }
  filter.before = parseDate(query, 'before')
  filter.after = parseDate(query, 'after')
  const limit = query.get('limit')
  if (limit !== null) {
    const n = Number(limit)
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new PinValidationError(
        `\`limit\` must be an integer from 1 to 1000, got: ${JSON.stringify(limit)}.`,
      )
    }
    filter.limit = n
  }
  const meta = query.get('meta')
  if (meta !== null) {
    let parsed: unknown
    try {
      parsed = JSON.parse(meta)
    } catch {
      throw new PinValidationError('`meta` must be a JSON object of strings, e.g. {"app_id":"…"}.')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new PinValidationError('`meta` must be a JSON object of strings, e.g. {"app_id":"…"}.')
    }
    filter.meta = parsed as Record<string, string>
  }
  return filter
}

/**
 * The IPFS Pinning Service API v1.0.0 routes (`/pins`, `/pins/{requestid}`) for one authenticated
 * token. Returns false when the path is not one of them.
 */
export async function handlePinningApi(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  owner: string,
  pins: PinRequests,
  beforeAdd?: () => string | undefined,
): Promise<boolean> {
  const match = /^\/pins(?:\/([^/]+))?\/?$/.exec(url.pathname)
  if (!match) return false
  const requestid = match[1] ? decodeURIComponent(match[1]) : undefined
  try {
    if (requestid === undefined) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        sendJson(res, 200, pins.list(owner, parseListQuery(url.searchParams)))
        return true
      }
      if (req.method === 'POST') {
        const pin = validatePin(await readJson(req))
        const full = beforeAdd?.()
        if (full) {
          sendFailure(res, 409, 'INSUFFICIENT_FUNDS', full)
          return true
        }
        sendJson(res, 202, await pins.add(owner, pin))
        return true
      }
      sendFailure(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on /pins; use GET or POST.`, {
        Allow: 'GET, HEAD, POST',
      })
      return true
    }
    const notFound = () =>
      sendFailure(res, 404, 'NOT_FOUND', `No pin request ${JSON.stringify(requestid)} for this access token.`)
    switch (req.method) {
      case 'GET':
      case 'HEAD': {
        const status = pins.get(owner, requestid)
        if (status) sendJson(res, 200, status)
        else notFound()
        return true
      }
      case 'POST': {
        const pin = validatePin(await readJson(req))
        if (!pins.get(owner, requestid)) {
          notFound()
          return true
        }
        const full = beforeAdd?.()
        if (full) {
          sendFailure(res, 409, 'INSUFFICIENT_FUNDS', full)
          return true
        }
        const status = await pins.replace(owner, requestid, pin)
        if (status) sendJson(res, 202, status)
        else notFound()
        return true
      }
      case 'DELETE': {
        if (await pins.remove(owner, requestid)) {
          res.writeHead(202, { 'Content-Length': 0 })
          res.end()
        } else notFound()
        return true
      }
      default:
        sendFailure(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on /pins/{requestid}.`, {
          Allow: 'GET, HEAD, POST, DELETE',
        })
        return true
    }
  } catch (err) {
    if (err instanceof PinValidationError) sendFailure(res, 400, 'BAD_REQUEST', err.message)
    else if (err instanceof SyntaxError)
      sendFailure(res, 400, 'BAD_REQUEST', `The request body is not JSON: ${err.message}.`)
    else throw err
    return true
  }
}
