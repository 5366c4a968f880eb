/**
 * The speedtest's HTTP server on 127.0.0.1: the origin variant under
 * `/origin/`, the P2P variant under `/p2p/`, and at `/` a page that shows
 * both side by side and times them (see `page/`).
 */
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import path from 'node:path'
import mime from 'mime-types'
import { P2pcdnError } from '../errors.js'
import { encodeSitePath } from './encode.js'
import { DEFAULT_PAGE, resolveSpeedtestInputs } from './inputs.js'
import { indexPage, SPEEDTEST_SCRIPT } from './page/index-page.js'

/** The two variants' URL prefixes on the speedtest server. */
export const VARIANTS = ['origin', 'p2p'] as const
export type Variant = (typeof VARIANTS)[number]

/** Runs each variant this often on the interactive page unless told otherwise. */
export const DEFAULT_RUNS = 5

export interface SpeedtestServerOptions {
  /**
   * The site folder: the origin variant, with its original references.
   * @default `p2pDir` without its `-p2p` suffix; required when it has none
   */
  originDir?: string
  /** The folder `p2pcdn publish` wrote: the P2P variant. */
  p2pDir: string
  /**
   * The port on 127.0.0.1; 0 picks a free one.
   * @default 0
   */
  port?: number
  /**
   * The page the interactive page (`/`) loads in both frames.
   * @default 'index.html'
   */
  page?: string
  /**
   * Loads per variant the interactive page's "Run" button starts with.
   * @default 5
   */
  runs?: number
}

export interface SpeedtestServer {
  /** The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string
  /** The URL of `page` in a variant, e.g. `http://127.0.0.1:41234/p2p/index.html`. */
  pageUrl(variant: Variant, page: string): string
  /** Stops listening and ends open connections. */
  close(): Promise<void>
}

function contentType(file: string): string {
  return mime.contentType(path.extname(file)) || 'application/octet-stream'
}

/** The file under `root` that a URL path names, or `undefined` when it leaves `root`. */
function fileIn(root: string, urlPath: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return undefined
  }
  if (decoded.includes('\0')) return undefined
  const file = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`)
  return file === root || file.startsWith(`${root}${path.sep}`) ? file : undefined
}

const HEADERS = {
  // Both variants revalidate alike; the headless runs use a fresh profile (cold cache) each time.
  'Cache-Control': 'no-cache',
  'Timing-Allow-Origin': '*',
  'X-Content-Type-Options': 'nosniff',
}

async function serveFile(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  root: string,
  prefix: string,
  urlPath: string,
): Promise<void> {
  let file = fileIn(root, urlPath)
  let stat = file === undefined ? undefined : await fs.stat(file).catch(() => undefined)
  if (file !== undefined && stat?.isDirectory()) {
    if (!urlPath.endsWith('/')) {
      // Relative references resolve against the folder only with the slash.
      res.writeHead(301, { Location: `${prefix}${urlPath}/` }).end()
      return
    }
    file = path.join(file, DEFAULT_PAGE)
    stat = await fs.stat(file).catch(() => undefined)
  }
  if (file === undefined || !stat?.isFile()) {
    res
      .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
      .end(`not found: ${prefix}${urlPath}\n`)
    return
  }
  res.writeHead(200, { ...HEADERS, 'Content-Type': contentType(file), 'Content-Length': stat.size })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  const stream = createReadStream(file)
  stream.on('error', () => res.destroy())
  stream.pipe(res)
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/**
 * Serves both variants of a site on 127.0.0.1 over plain HTTP: `/origin/…`
 * from `originDir`, `/p2p/…` from `p2pDir`, and `/` the side-by-side page.
 *
 * @throws P2pcdnError `ERR_INPUT_MISSING` when a folder, the manifest or the page is missing;
 *   `ERR_CONFIG_INVALID` when the port is taken or invalid
 *
 * @example
 * ```ts
 * const server = await startSpeedtestServer({ originDir: 'dist', p2pDir: 'dist-p2p' })
 * console.log(server.url) // http://127.0.0.1:41234
 * await server.close()
 * ```
 */
export async function startSpeedtestServer(options: SpeedtestServerOptions): Promise<SpeedtestServer> {
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `The \`port\` option must be a port number from 0 to 65535 (0: any free port), got: ${JSON.stringify(options.port)}.`,
    )
  const runs = options.runs ?? DEFAULT_RUNS
  const inputs = await resolveSpeedtestInputs(options)
  const roots: Record<Variant, string> = { origin: inputs.originDir, p2p: inputs.p2pDir }
  const page = indexPage({ page: inputs.page, runs })

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end()
      return
    }
    const pathname = url.pathname
    if (pathname === '/' || pathname === '/index.html') {
      res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8' })
      res.end(req.method === 'HEAD' ? undefined : page)
      return
    }
    if (pathname === '/speedtest.js') {
      res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/javascript; charset=utf-8' })
      res.end(req.method === 'HEAD' ? undefined : SPEEDTEST_SCRIPT)
      return
    }
    const variant = VARIANTS.find((v) => pathname === `/${v}` || pathname.startsWith(`/${v}/`))
    if (variant === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n')
      return
    }
    serveFile(req, res, roots[variant], `/${variant}`, pathname.slice(variant.length + 1)).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    })
  })
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  let bound: number
  try {
    bound = await listen(server, port)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `Cannot listen on 127.0.0.1:${port}: ${code ?? String(cause)}. Pass another --port (option \`port\`), or 0 for any free port.`,
      { cause },
    )
  }
  const base = `http://127.0.0.1:${bound}`
  return {
    url: base,
    pageUrl: (variant, sitePath) => `${base}/${variant}/${encodeSitePath(sitePath)}`,
    close: async () => {
      if (!server.listening) return
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}
