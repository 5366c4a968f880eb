import type { IncomingMessage, ServerResponse } from 'node:http'
import type { PinRequests } from '../pin-requests.js'
import { PinValidationError, parseListQuery, validatePin } from './pin-params.js'
import { readJson, sendFailure, sendJson } from './respond.js'

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
