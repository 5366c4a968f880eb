/**
 * The two HTTP servers of the browser tests, on 127.0.0.1 port 0: the site's
 * origin (static files) and an IPFS path gateway that can be up, refusing
 * connections, or hanging (accepting and never answering). Both log requests.
 */
import fs from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import path from 'node:path'
import mime from 'mime-types'

export interface LoggedRequest {
  method: string
  /** Decoded path, without the query. */
  path: string
  /** Whether the request is over: answered, or given up by the browser. */
  closed: boolean
}

export interface TestServer {
  url: string
  requests: LoggedRequest[]
  close(): Promise<void>
}

function contentType(name: string): string {
  return mime.contentType(path.extname(name)) || 'application/octet-stream'
}

function log(requests: LoggedRequest[], req: http.IncomingMessage, res: http.ServerResponse): LoggedRequest {
  const url = new URL(req.url ?? '/', 'http://x')
  const entry = { method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), closed: false }
  res.once('close', () => {
    entry.closed = true
  })
  requests.push(entry)
  return entry
}

function listen(server: http.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/** Keeps a server's sockets, so that closing it ends every connection, hanging ones too. */
function trackSockets(server: http.Server): Set<Socket> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  return sockets
}

async function shut(server: http.Server, sockets: Set<Socket>): Promise<void> {
  if (!server.listening) return
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  for (const socket of sockets) socket.destroy()
  await closed
}

/** Serves `root` as the site's origin; HTML pages get `headers` (a CSP) too. */
export async function startOrigin(root: string, headers: () => Record<string, string>): Promise<TestServer> {
  const requests: LoggedRequest[] = []
  const server = http.createServer(async (req, res) => {
    const { path: urlPath } = log(requests, req, res)
    const file = path.join(root, urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath)
    const bytes = file.startsWith(root) ? await fs.readFile(file).catch(() => undefined) : undefined
    if (bytes === undefined) {
      res.writeHead(404).end('not found')
      return
    }
    const type = contentType(file)
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': bytes.length,
      'Cache-Control': 'no-cache',
      ...(type.startsWith('text/html') ? headers() : {}),
    })
    res.end(req.method === 'HEAD' ? undefined : bytes)
  })
  const sockets = trackSockets(server)
  const port = await listen(server)
  return { url: `http://127.0.0.1:${port}`, requests, close: () => shut(server, sockets) }
}

export type GatewayMode = 'up' | 'refusing' | 'hanging'

export interface TestGateway extends TestServer {
  mode: GatewayMode
  setMode(mode: GatewayMode): Promise<void>
  /** What `/ipfs/<cid>` serves: the file's bytes, with the type its name gives. */
  files: Map<string, { bytes: Buffer; name: string }>
}

/**
 * A path gateway (`GET|HEAD /ipfs/<cid>?filename=<name>`) with the headers
 * public gateways send: `Access-Control-Allow-Origin: *`, and here also
 * `Timing-Allow-Origin: *` so that the test can read its Resource Timing.
 */
export async function startGateway(): Promise<TestGateway> {
  const requests: LoggedRequest[] = []
  const files = new Map<string, { bytes: Buffer; name: string }>()
  const server = http.createServer((req, res) => {
    const { path: urlPath } = log(requests, req, res)
    if (gateway.mode === 'hanging') return // accepted, never answered
    const cid = /^\/ipfs\/([^/]+)$/.exec(urlPath)?.[1]
    const file = cid === undefined ? undefined : files.get(cid)
    const cors = { 'Access-Control-Allow-Origin': '*', 'Timing-Allow-Origin': '*' }
    if (file === undefined) {
      res.writeHead(404, cors).end('not found')
      return
    }
    res.writeHead(200, {
      ...cors,
      'Content-Type': contentType(file.name),
      'Content-Length': file.bytes.length,
      'Cache-Control': 'public, max-age=29030400, immutable',
    })
    res.end(req.method === 'HEAD' ? undefined : file.bytes)
  })
  const sockets = trackSockets(server)
  const port = await listen(server)
  const gateway: TestGateway = {
    url: `http://127.0.0.1:${port}`,
    requests,
    files,
    mode: 'up',
    async setMode(mode) {
      // Refusing: nothing listens on the port, so connecting fails at once.
      if (mode === 'refusing') await shut(server, sockets)
      else if (!server.listening) await listen(server, port)
      for (const socket of sockets) socket.destroy()
      gateway.mode = mode
    },
    close: () => shut(server, sockets),
  }
  return gateway
}
