import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Faults {
  /** Answer this many requests with 500 before passing requests through. */
  fail500?: number
  /** Answer this many requests with 429 and `Retry-After: <retryAfter>` first. */
  fail429?: number
  retryAfter?: string
  /** Delay every request by this long. */
  delayMs?: number
  /**
   * Flip a byte in the body of every successful `/ipfs/` answer (a host serving tampered content):
   * the first byte (`true`), or one near the end (`'inside'`: inside a block's data, so a CAR
   * still parses but its last block no longer matches its CID).
   */
  tamper?: boolean | 'inside'
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a real host, injecting faults: a host that answers 500
 * (or 429) for a while and then recovers, or a slow one. Everything else passes through unchanged.
 */
export async function startFaultProxy(target: string, faults: Faults) {
  const upstream = new URL(target)
  const state = { fail500: faults.fail500 ?? 0, fail429: faults.fail429 ?? 0, requests: 0, injected: 0 }
  const server: Server = createServer(async (req, res) => {
    state.requests++
    if (faults.delayMs) await new Promise((resolve) => setTimeout(resolve, faults.delayMs))
    if (state.fail429 > 0) {
      state.fail429--
      state.injected++
      req.resume()
      res.writeHead(429, { 'Retry-After': faults.retryAfter ?? '0', 'Content-Type': 'application/json' })
      res.end('{"error":{"reason":"RATE_LIMITED","details":"slow down"}}')
      return
    }
    if (state.fail500 > 0) {
      state.fail500--
      state.injected++
      req.resume()
      res.writeHead(500, { 'Content-Type': 'application/json' })
      res.end('{"error":{"reason":"INTERNAL_SERVER_ERROR","details":"injected fault"}}')
      return
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      async (up) => {
        const tampering = faults.tamper && up.statusCode === 200 && req.url?.startsWith('/ipfs/')
        if (tampering && faults.tamper === 'inside') {
          const chunks: Buffer[] = []
          for await (const chunk of up) chunks.push(chunk as Buffer)
          const body = Buffer.concat(chunks)
          if (body.length > 0) {
            const at = Math.max(0, body.length - 7)
            body[at] = (body[at] ?? 0) ^ 0xff
            state.injected++
          }
          const headers = { ...up.headers, 'content-length': String(body.length) }
          delete headers['transfer-encoding']
          res.writeHead(up.statusCode ?? 502, headers)
          res.end(body)
          return
        }
        res.writeHead(up.statusCode ?? 502, up.headers)
        if (!tampering) {
          up.pipe(res)
          return
        }
        let first = true
        up.on('data', (chunk: Buffer) => {
          if (first && chunk.length > 0) {
            chunk[0] = (chunk[0] ?? 0) ^ 0xff
            first = false
            state.injected++
          }
          res.write(chunk)
        })
        up.on('end', () => res.end())
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A URL on 127.0.0.1 where nothing listens (a host that is down). */
export async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}
