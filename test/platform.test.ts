/**
 * What p2pcdn relies on that differs between Node majors (issue 17): `Promise.withResolvers`
 * (native from 22, our polyfill on 20), fetch (undici inside Node) and its abort reasons,
 * `AbortSignal.any`/`timeout` and the listeners they leave, WebCrypto's SHA-256 (the service
 * worker's verification), web and Node streams, and `undici` 7 (pinned by `overrides` for
 * `@libp2p/http`, which the host loads). `.ci/run` runs this file, with the whole suite, on the machine's Node and on
 * Node 24.
 */
import '../src/utils/promise-with-resolvers.js'
import { createHash, randomBytes } from 'node:crypto'
import { getEventListeners } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const major = Number(process.versions.node.split('.')[0])
const body = randomBytes(3 * 1024 * 1024 + 7)
let base = ''
const server = createServer((req, res) => {
  if (req.url === '/hang') return // never answers
  res.writeHead(200, { 'Content-Length': body.length })
  res.end(body)
})

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe(`Node ${process.versions.node}`, () => {
  it('has Promise.withResolvers: native from Node 22, the polyfill before', async () => {
    // ES2024: not in this project's TypeScript lib (it targets Node 20).
    const P = Promise as unknown as {
      withResolvers<T>(): { promise: Promise<T>; resolve(value: T): void }
    }
    const native = /\[native code\]/.test(Function.prototype.toString.call(P.withResolvers))
    expect(native).toBe(major >= 22)
    const { promise, resolve } = P.withResolvers<number>()
    resolve(42)
    expect(await promise).toBe(42)
  })

  it('fetch streams a body whole, and a timeout rejects with TimeoutError', async () => {
    const res = await fetch(`${base}/file`)
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(bytes.equals(body)).toBe(true)
    const timedOut = await fetch(`${base}/hang`, { signal: AbortSignal.timeout(200) }).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect((timedOut as Error).name).toBe('TimeoutError')
  })

  it('AbortSignal.any aborts with the first reason and leaves no listener on its sources', async () => {
    const outer = new AbortController()
    for (let i = 0; i < 50; i++) {
      const inner = AbortSignal.any([outer.signal, AbortSignal.timeout(60_000)])
      expect(inner.aborted).toBe(false)
    }
    // AbortSignal.any holds its sources weakly: what is left on the outer signal is not one per call.
    expect(getEventListeners(outer.signal, 'abort').length).toBeLessThan(50)
    const combined = AbortSignal.any([outer.signal])
    outer.abort(new Error('stop'))
    expect(combined.aborted).toBe(true)
    expect((combined.reason as Error).message).toBe('stop')
  })

  it('WebCrypto SHA-256 equals node:crypto’s', async () => {
    const digest = Buffer.from(await crypto.subtle.digest('SHA-256', body))
    expect(digest.equals(createHash('sha256').update(body).digest())).toBe(true)
  })

  it('web streams and Node streams convert both ways, with backpressure through pipeline', async () => {
    const web = Readable.toWeb(Readable.from([body.subarray(0, 10), body.subarray(10)]))
    const back = Readable.fromWeb(web as Parameters<typeof Readable.fromWeb>[0])
    const chunks: Buffer[] = []
    await pipeline(back, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk)
    })
    expect(Buffer.concat(chunks).equals(body)).toBe(true)
  })

  it('loads @libp2p/http with the undici 7 that `overrides` pins', async () => {
    const { http } = await import('@libp2p/http')
    expect(typeof http).toBe('function')
  })
})
