/**
 * A recording HTTP proxy on 127.0.0.1 in front of a real server (a Kubo RPC API, a host): every
 * request is recorded (method, path, query, `Authorization` header, body bytes, status answered)
 * and passed through unchanged, except those answered by an injected fault. A fault answers the
 * next request to a path itself, after reading (and counting) its body, for the failures a
 * healthy local server cannot be made to produce (a 500 in the middle of a push, a DHT query
 * error); tests that inject one say so.
 */
import { createServer, type IncomingMessage, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  /** e.g. `/api/v0/dag/import` */
  path: string
  query: URLSearchParams
  /** The `Authorization` header as received. */
  authorization: string | undefined
  /** Bytes of the request body. */
  bytes: number
  /** The status answered (0 while the answer is pending, or when the connection failed). */
  status: number
  /** Answered by an injected fault, not by the server. */
  injected: boolean
}

/** An answer the proxy gives instead of the server. */
export interface InjectedAnswer {
  status: number
  body: string
  /** @default { 'Content-Type': 'application/json' } */
  headers?: Record<string, string>
}

export interface RecordingProxy {
  /** The proxy's base URL, to use in place of the server's. */
  url: string
  /** Every request, in arrival order. */
  requests: RecordedRequest[]
  /** The requests to one path (`/api/v0/dag/import`). */
  calls(path: string): RecordedRequest[]
  /** Answers the next requests to `path` with these, one each, in order; later ones go through. */
  inject(path: string, ...answers: InjectedAnswer[]): void
  /** Body bytes of every request so far. */
  totalBytes(): number
  close(): Promise<void>
}

/** Starts a recording proxy in front of `target` (an http:// base URL). */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target)
  const requests: RecordedRequest[] = []
  const faults = new Map<string, InjectedAnswer[]>()

  const record = (req: IncomingMessage): RecordedRequest => {
    const url = new URL(req.url ?? '/', 'http://proxy.invalid')
    const entry: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      bytes: 0,
      status: 0,
      injected: false,
    }
    requests.push(entry)
    req.on('data', (chunk: Buffer) => {
      entry.bytes += chunk.byteLength
    })
    return entry
  }

  const server: Server = createServer(async (req, res) => {
    const entry = record(req)
    const fault = faults.get(entry.path)?.shift()
    if (fault) {
      entry.injected = true
      for await (const _ of req) {
        // read (and count) the whole body before answering, as the server would
      }
      entry.status = fault.status
      res.writeHead(fault.status, fault.headers ?? { 'Content-Type': 'application/json' })
      res.end(fault.body)
      return
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        entry.status = up.statusCode ?? 502
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    calls: (path) => requests.filter((r) => r.path === path),
    inject: (path, ...answers) => {
      faults.set(path, [...(faults.get(path) ?? []), ...answers])
    },
    totalBytes: () => requests.reduce((sum, r) => sum + r.bytes, 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
