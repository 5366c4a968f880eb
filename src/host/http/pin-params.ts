import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { CODEC_DAG_PB, CODEC_RAW } from '../../constants.js'
import type { ListFilter, Pin, PinRequestStatus } from '../pin-requests.js'

/**
 * Validation of the Pinning Service API's inputs (spec v1.0.0, ipfs-pinning-service.yaml): the
 * `Pin` body of `POST /pins` and the query parameters of `GET /pins`. A bad value is a
 * {@link PinValidationError}, answered with 400 and a message naming the field.
 */

/** Thrown for a bad `Pin` object: the API answers 400 with this message. */
export class PinValidationError extends Error {
  override readonly name = 'PinValidationError'
}

/** Checks a `Pin` object against the spec's schema and returns it normalised. */
export function validatePin(body: unknown): Pin {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PinValidationError('The request body must be a JSON Pin object: {"cid": "…"}.')
  }
  const { cid, name, origins, meta } = body as Record<string, unknown>
  if (typeof cid !== 'string') throw new PinValidationError('Pin.cid is required and must be a string.')
  let parsed: CID
  try {
    parsed = CID.parse(cid)
  } catch {
    throw new PinValidationError(`Pin.cid is not a valid CID: ${JSON.stringify(cid)}.`)
  }
  if (parsed.code !== CODEC_DAG_PB && parsed.code !== CODEC_RAW) {
    throw new PinValidationError(
      `Pin.cid ${cid} uses codec 0x${parsed.code.toString(16)}; this host pins UnixFS content (dag-pb or raw CIDs).`,
    )
  }
  const pin: Pin = { cid }
  if (name !== undefined) {
    if (typeof name !== 'string' || name.length > 255) {
      throw new PinValidationError('Pin.name must be a string of at most 255 characters.')
    }
    pin.name = name
  }
  if (origins !== undefined) {
    if (!Array.isArray(origins) || origins.length > 20 || origins.some((o) => typeof o !== 'string')) {
      throw new PinValidationError('Pin.origins must be an array of at most 20 multiaddr strings.')
    }
    for (const origin of origins as string[]) {
      try {
        multiaddr(origin)
      } catch {
        throw new PinValidationError(`Pin.origins has an invalid multiaddr: ${JSON.stringify(origin)}.`)
      }
    }
    pin.origins = [...new Set(origins as string[])]
  }
  if (meta !== undefined) {
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      throw new PinValidationError('Pin.meta must be an object of string values.')
    }
    const entries = Object.entries(meta)
    if (entries.length > 1000 || entries.some(([, v]) => typeof v !== 'string')) {
      throw new PinValidationError('Pin.meta must be an object of at most 1000 string values.')
    }
    pin.meta = Object.fromEntries(entries) as Record<string, string>
  }
  return pin
}

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
