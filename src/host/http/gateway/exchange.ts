import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** The format label reported to `onResponse`. */
export type MetricFormat = 'raw' | 'car' | 'deserialized' | 'error'

/** An error answered with its status and message. */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  constructor(
    readonly status: number,
    message: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message)
  }
}

/** `Cache-Control` of every successful `/ipfs/` response (path gateway spec). */
export const IMMUTABLE = 'public, max-age=29030400, immutable'

const CORS_HEADERS: OutgoingHttpHeaders = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Range, User-Agent, X-Requested-With',
  'Access-Control-Expose-Headers':
    'Content-Range, Content-Length, X-Ipfs-Path, X-Ipfs-Roots, X-Chunked-Output, X-Stream-Output',
  // Lets pages measure what they got from the gateway (Resource Timing sizes: the speedtest).
  'Timing-Allow-Origin': '*',
}

/** One request and its response, with what the metrics need. */
export interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  head: boolean
  /** Aborted when the client goes away before the response is complete. */
  signal: AbortSignal
  /** Body bytes written so far. */
  bytes: number
  /** The format reported to `onResponse` (`error` is used for any status ≥ 400). */
  format: Exclude<MetricFormat, 'error'>
}

/** Starts an exchange: CORS and common headers, abort on client close, one `onResponse` call at the end. */
export function startExchange(
  req: IncomingMessage,
  res: ServerResponse,
  onResponse?: (info: { status: number; bytes: number; format: MetricFormat }) => void,
): Exchange {
  const controller = new AbortController()
  const exchange: Exchange = {
    req,
    res,
    head: req.method === 'HEAD',
    signal: controller.signal,
    bytes: 0,
    format: 'deserialized',
  }
  // A socket error must never become an uncaught 'error' event.
  res.on('error', () => {})
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('the client closed the connection'))
    const status = res.statusCode
    try {
      onResponse?.({ status, bytes: exchange.bytes, format: status >= 400 ? 'error' : exchange.format })
    } catch {
      // Metrics must not break serving.
    }
  })
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value as string)
  res.setHeader('Vary', 'Accept')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  return exchange
}

/** Sends a complete response; the body is left out for HEAD. */
export function send(
  exchange: Exchange,
  status: number,
  headers: OutgoingHttpHeaders,
  body?: Uint8Array,
): void {
  const { res } = exchange
  if (res.headersSent || res.destroyed) return
  if (body !== undefined && headers['Content-Length'] === undefined) headers['Content-Length'] = body.length
  res.writeHead(status, headers)
  if (body === undefined || exchange.head) {
    res.end()
    return
  }
  exchange.bytes += body.length
  res.end(body)
}

/** Sends an error as plain text (no body when its message is empty). */
export function sendError(exchange: Exchange, error: HttpError): void {
  if (error.message === '') {
    send(exchange, error.status, { ...error.headers, 'Content-Length': 0 })
    return
  }
  const body = Buffer.from(`${error.message}\n`)
  send(exchange, error.status, { 'Content-Type': 'text/plain; charset=utf-8', ...error.headers }, body)
}

const waitForDrain = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })

/**
 * Streams `body` with backpressure. The first chunk is read before the
 * status line is sent, so an error there still gets a proper status; a
 * later error cuts the connection, which tells the client the body is
 * incomplete. A client that goes away stops the stream.
 */
export async function stream(
  exchange: Exchange,
  status: number,
  headers: OutgoingHttpHeaders,
  body: AsyncIterable<Uint8Array>,
): Promise<void> {
  const { res } = exchange
  const iterator = body[Symbol.asyncIterator]()
  let next = await iterator.next()
  if (res.destroyed) {
    await iterator.return?.()
    return
  }
  res.writeHead(status, headers)
  try {
    while (next.done !== true) {
      const chunk = next.value
      exchange.bytes += chunk.length
      if (!res.write(chunk)) await waitForDrain(res)
      if (res.destroyed) return
      next = await iterator.next()
    }
    res.end()
  } catch {
    // Headers are out: the only honest signal left is a cut connection.
    res.destroy()
  } finally {
    if (next.done !== true) await iterator.return?.().catch(() => {})
  }
}
