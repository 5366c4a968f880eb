/**
 * One GET on a new connection, timed the way curl's `-w` variables are: seconds from the start of
 * the transfer to the end of each phase (DNS lookup, TCP connect, TLS handshake, request sent,
 * first response byte, last body byte). node:http and node:https with `agent: false`, so no
 * connection is reused, and no `Accept-Encoding`, so the body is the file's own bytes, as curl
 * fetches them by default.
 *
 * @see https://curl.se/docs/manpage.html#-w
 */
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import type { CurlTimings } from '../report/results-format.js'

/** A response other than 200, or a redirect (not followed, like curl without `-L`). */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError'
  constructor(
    readonly url: string,
    readonly status: number,
    location: string | undefined,
  ) {
    super(`${url}: HTTP ${status}${location ? ` (redirect to ${location}; use the final URL)` : ''}`)
  }
}

/** A finished GET: the phases, and what `consume` made of the body. */
export interface TimedResponse<T> {
  timings: CurlTimings
  value: T
}

/** A GET that failed part way; `timings` holds the phases reached (the others are 0) and `total`. */
export class TimedGetError extends Error {
  override readonly name = 'TimedGetError'
  constructor(
    readonly timings: CurlTimings,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause })
  }
}

/**
 * GETs `url` on a new connection, hands the 200 response's body to `consume` and times it; the
 * total ends when `consume` resolves (so a verifying consumer is timed with the transfer). Rejects
 * with {@link TimedGetError} (its `cause`: {@link HttpStatusError}, a network error, the abort
 * reason, or what `consume` threw).
 */
export async function timedGet<T>(
  url: string,
  options: { headers?: Record<string, string>; signal: AbortSignal },
  consume: (body: IncomingMessage) => Promise<T>,
): Promise<TimedResponse<T>> {
  const start = performance.now()
  const at = () => (performance.now() - start) / 1000
  const seen = { socket: 0, lookup: 0, connect: 0, tls: 0, sent: 0, firstByte: 0 }
  const target = new URL(url)
  const secure = target.protocol === 'https:'
  const timings = (): CurlTimings => {
    const connect = seen.connect
    const appconnect = secure ? seen.tls : 0
    return {
      time_namelookup: seen.lookup || (connect ? seen.socket : 0),
      time_connect: connect,
      time_appconnect: appconnect,
      time_pretransfer: connect ? Math.max(connect, appconnect, seen.sent) : 0,
      time_redirect: 0,
      time_starttransfer: seen.firstByte,
      total: at(),
    }
  }
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = (secure ? https : http).request(target, {
        agent: false,
        headers: { 'User-Agent': 'p2pcdn-bench', Accept: '*/*', ...options.headers },
        signal: options.signal,
      })
      request.once('socket', (socket: Socket) => {
        seen.socket = at()
        socket.once('lookup', () => {
          seen.lookup = at()
        })
        socket.once('connect', () => {
          seen.connect = at()
        })
        socket.once('secureConnect', () => {
          seen.tls = at()
        })
      })
      request.once('finish', () => {
        seen.sent = at()
      })
      request.once('response', (res) => {
        seen.firstByte = at()
        resolve(res)
      })
      request.once('error', reject)
      request.end()
    })
    if (response.statusCode !== 200) {
      response.resume()
      throw new HttpStatusError(url, response.statusCode ?? 0, response.headers.location)
    }
    try {
      const value = await consume(response)
      return { timings: timings(), value }
    } finally {
      response.destroy()
    }
  } catch (cause) {
    throw new TimedGetError(timings(), options.signal.aborted ? options.signal.reason : cause)
  }
}
