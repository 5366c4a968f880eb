/**
 * Visitors find hosts, in a real Chromium with real `p2pcdn host`s, everything on 127.0.0.1:
 * host A (LAN DHT, session discovery) gets the site at publish, and `p2pcdn-sw.json` names only A
 * (and two bogus routers). Host B joins after the publish and pins the root through the Pinning
 * Service API (fetching it from A: no re-publish). The worker asks A's `/routing/v1/providers/
 * <root>`, finds B, and loads assets from it, verified; the bogus routers' providers (an
 * unreachable address, a gateway sending wrong bytes, garbage) change nothing the page sees; with
 * A stopped, and the worker stopped too, the next navigation still gets every asset from B.
 */
import '../../src/utils/promise-with-resolvers.js'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CAR_UPLOAD_PATH, type RunningHost } from '../../src/host/index.js'
import { type Manifest, publish } from '../../src/index.js'
import { launchChromium } from '../../src/speedtest/browser.js'
import { chromium } from '../helpers/chromium.js'
import { tempDirs } from '../helpers/fs.js'
import { eventually, startTestHost } from '../helpers/host.js'
import { solidPng } from './media-files.js'
import { startOrigin, type TestServer } from './servers.js'
import { openControlled, sha256Of, stats, widths } from './sw-page.js'

const temp = tempDirs()
const closers: Array<() => Promise<void>> = []
const session = { name: 'sw-discovery-test', periodMs: 2_000 }
let browser: Browser
let context: BrowserContext
let page: Page
let a: RunningHost
let b: RunningHost
let origin: TestServer
let out: string
let manifest: Manifest
let big: Buffer
let liar: BogusServer
let liarRouter: BogusServer
let garbageRouter: BogusServer
/** A port nothing listens on. */
let closedPort: number
/** The worker's stats once it preferred B (before any reset). */
let firstSeen: Awaited<ReturnType<typeof stats>>
/** The worker's stats right before the first reset. */
let beforeReset: Awaited<ReturnType<typeof stats>>

interface BogusServer {
  url: string
  /** Paths requested. */
  requests: string[]
}

/** A server on 127.0.0.1 answering every request with `answer`, with open CORS. */
async function startBogus(answer: (path: string) => { status: number; body: Uint8Array | string }) {
  const requests: string[] = []
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '')
    const { status, body } = answer(req.url ?? '')
    res.writeHead(status, { 'Access-Control-Allow-Origin': '*', 'Content-Length': Buffer.byteLength(body) })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

const httpAddr = (url: string) => `/ip4/127.0.0.1/tcp/${new URL(url).port}/http`
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Bytes a host's gateway served, from its metrics. */
async function bytesServed(host: RunningHost): Promise<number> {
  const metrics = await (await fetch(`${host.url}/metrics`)).text()
  return [
    ...metrics.matchAll(/^p2pcdn_gateway_bytes_served_total\{format="(?:raw|car|deserialized)"\} (\d+)$/gm),
  ].reduce((sum, m) => sum + Number(m[1]), 0)
}

const linkOf = (file: string) => {
  const asset = manifest.assets.find((x) => x.path === file)
  return `${a.url}/ipfs/${asset?.cid}?filename=${file}`
}

/** Empties the version's cache (verified files) so that the next loads go to the hosts again. */
const dropFileCache = (tab: Page) =>
  tab.evaluate(async () => {
    for (const name of await caches.keys()) if (/^p2pcdn-[0-9a-f]+$/.test(name)) await caches.delete(name)
  })

const resetStats = (tab: Page) =>
  tab.evaluate(
    () =>
      new Promise((resolve) => {
        const channel = new MessageChannel()
        channel.port1.onmessage = resolve
        navigator.serviceWorker.controller?.postMessage({ type: 'p2pcdn:reset-stats' }, [channel.port2])
      }),
  )

async function publishToA(siteDir: string): Promise<Manifest> {
  const result = await publish({
    dir: siteDir,
    out,
    cacheDir: false,
    ipns: false,
    gateway: a.url,
    origin: origin.url,
    serviceWorker: { sources: [a.url], routers: [a.url, liarRouter.url, garbageRouter.url], timeout: 3000 },
    car: path.join(path.dirname(out), 'site.car'),
  })
  const res = await fetch(`${a.url}${CAR_UPLOAD_PATH}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tokenA}`, 'Content-Type': 'application/vnd.ipld.car' },
    body: new Uint8Array(await fs.readFile(result.car as string)),
  })
  expect(res.status, await res.clone().text()).toBe(201)
  return JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-manifest.json'), 'utf8')) as Manifest
}
let tokenA: string

const SUITE = chromium.title('visitors find hosts: the service worker and real hosts, in Chromium')

describe.skipIf(chromium.skip)(SUITE, () => {
  beforeAll(async () => {
    const base = await temp.make('sw-discovery')
    const siteDir = path.join(base, 'site')
    out = path.join(base, 'out')
    big = randomBytes(3 * 1024 * 1024 + 321)
    await fs.mkdir(path.join(siteDir, 'img'), { recursive: true })
    await fs.writeFile(path.join(siteDir, 'img', 'a.png'), solidPng(40, 30, [10, 120, 60]))
    await fs.writeFile(path.join(siteDir, 'big.bin'), big)
    await fs.writeFile(
      path.join(siteDir, 'index.html'),
      '<!doctype html><html><head><title>swarm</title></head><body><img id="a" src="img/a.png"></body></html>',
    )
    const startedA = await startTestHost(await temp.make('host-a'), { dht: 'lan', session })
    a = startedA.host
    tokenA = startedA.token
    closers.push(() => a.stop())
    // A gateway that answers the probe as it should, and every block with random bytes.
    liar = await startBogus((p) =>
      p.startsWith('/ipfs/bafkqaaa') ? { status: 200, body: '' } : { status: 200, body: randomBytes(4096) },
    )
    const closed = await startBogus(() => ({ status: 200, body: '' }))
    closedPort = Number(new URL(closed.url).port)
    await (closers.pop() as () => Promise<void>)()
    liarRouter = await startBogus(() => ({
      status: 200,
      body: JSON.stringify({
        Providers: [
          {
            Schema: 'peer',
            ID: 'liar',
            Addrs: [httpAddr(liar.url)],
            Protocols: ['transport-ipfs-gateway-http'],
          },
          {
            Schema: 'peer',
            ID: 'gone',
            Addrs: [`/ip4/127.0.0.1/tcp/${closedPort}/http`, '/ip4/999.0.0.1/tcp/80/http'],
            Protocols: ['transport-ipfs-gateway-http'],
          },
          { Schema: 'peer', ID: 'odd', Addrs: 'nope', Protocols: 7 },
          { Schema: 'unknown', Addrs: [httpAddr(liar.url)] },
        ],
      }),
    }))
    garbageRouter = await startBogus(() => ({
      status: 200,
      body: '{"Providers": [{"Schema": "peer", "Addrs": ["/ip4/',
    }))
    await fs.mkdir(out, { recursive: true })
    origin = await startOrigin(out, () => ({}))
    closers.push(origin.close)
    manifest = await publishToA(siteDir)

    // B joins after the publish: it pins the root through the Pinning Service API, from A.
    const startedB = await startTestHost(await temp.make('host-b'), {
      dht: 'lan',
      session,
      bootstrap: [a.multiaddrs().find((m) => !m.includes('/ws')) as string],
    })
    b = startedB.host
    closers.push(() => b.stop())
    const pin = await fetch(`${b.url}/pins`, {
      method: 'POST',
      headers: { ...startedB.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ cid: manifest.root, origins: a.multiaddrs() }),
    })
    expect(pin.status).toBe(202)
    await eventually(
      async () => ((await b.pins.list(undefined, { status: ['pinned'] })).count > 0 ? true : undefined),
      60_000,
      'host B to pin the site',
    )
    browser = await launchChromium(chromium.path)
    context = await browser.newContext()
  }, 120_000)

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    for (const close of closers.reverse()) await close().catch(() => {})
    await temp.cleanup()
  })

  it("p2pcdn-sw.json names the root and A only; A's routing lists B with its gateway address", async () => {
    const config = JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-sw.json'), 'utf8'))
    expect(config).toMatchObject({ root: manifest.root, sources: [a.url] })
    expect(config.routers).toEqual([a.url, liarRouter.url, garbageRouter.url])
    // What the worker will see: A lists B (found through the DHT), which A's answers cache for 30 s.
    const listed = await eventually(
      async () => {
        const res = await fetch(`${a.url}/routing/v1/providers/${manifest.root}`)
        const { Providers } = (await res.json()) as { Providers: { ID: string; Addrs: string[] }[] }
        return Providers.find((p) => p.ID === b.peerId && p.Addrs.includes(httpAddr(b.url)))
      },
      90_000,
      "A's /routing/v1/providers to list B",
    )
    expect(listed.Addrs).toContain(httpAddr(b.url))
  }, 120_000)

  it('the page loads its assets from B, found through A, verified', async () => {
    page = await openControlled(context, `${origin.url}/index.html`)
    expect(await widths(page)).toEqual([40])
    const found = await eventually(
      async () => {
        const seen = await stats(page)
        return seen.sources[b.url]?.state === 'preferred' ? seen : undefined
      },
      30_000,
      'the worker to prefer B',
    )
    firstSeen = found
    expect(found.discovery).toMatchObject({ root: manifest.root })
    expect(found.discovery.refreshes).toBeGreaterThanOrEqual(1)
    expect(found.sources[b.url]).toMatchObject({ origin: 'routing' })
    expect(found.sources[b.url]?.rttMs).toBeGreaterThan(0)
    expect(found.sources[a.url]).toMatchObject({ origin: 'config' })

    await dropFileCache(page)
    // The liar may already have been asked (and caught) while the page loaded: keep its counts.
    beforeReset = await stats(page)
    await resetStats(page)
    const before = await bytesServed(b)
    origin.requests.length = 0
    expect(await sha256Of(page, linkOf('big.bin'))).toBe(sha256(big))
    expect(await sha256Of(page, `${origin.url}/img/a.png`)).toBe(
      sha256(await fs.readFile(path.join(out, 'img', 'a.png'))),
    )
    const seen = await stats(page)
    expect(seen.sources[b.url]?.bytes).toBeGreaterThan(0)
    expect(seen.sources[b.url]?.blocks).toBeGreaterThan(0)
    expect(seen.originFallbacks).toBe(0)
    expect(await bytesServed(b)).toBeGreaterThan(before)
    expect(origin.requests.map((r) => r.path).filter((p) => /\.(png|bin)$/.test(p))).toEqual([])
  }, 90_000)

  it("bogus routers' providers change nothing the page sees: wrong bytes never used, the liar and the unreachable dropped", async () => {
    const seen = await stats(page)
    // Both bogus routers were asked; the liar's hosts were named, probed and dropped or benched.
    expect(liarRouter.requests.some((p) => p.startsWith(`/routing/v1/providers/${manifest.root}`))).toBe(true)
    expect(garbageRouter.requests.length).toBeGreaterThan(0)
    // A, B, the liar and the unreachable one (the invalid address is no candidate).
    expect(firstSeen.discovery.candidatesSeen).toBeGreaterThanOrEqual(4)
    const gone = `http://127.0.0.1:${closedPort}`
    expect(seen.sources[gone]?.state).toBe('dropped')
    // The liar answered the probe, so it was among the nearest three: it was asked for a block
    // (the big file's leaves go to each preferred host in turn), sent wrong bytes, and is dropped.
    expect(liar.requests[0]).toBe('/ipfs/bafkqaaa?format=raw')
    expect(liar.requests.filter((p) => !p.startsWith('/ipfs/bafkqaaa')).length).toBeGreaterThan(0)
    expect(seen.sources[liar.url]).toMatchObject({ bytes: 0, blocks: 0, state: 'dropped' })
    const mismatches =
      (beforeReset.sources[liar.url]?.mismatches ?? 0) + (seen.sources[liar.url]?.mismatches ?? 0)
    expect(
      mismatches,
      JSON.stringify({ beforeReset: beforeReset.sources, seen: seen.sources }),
    ).toBeGreaterThan(0)
    expect(beforeReset.sources[liar.url]?.bytes ?? 0).toBe(0)
    // The page is right all the same.
    await dropFileCache(page)
    expect(await sha256Of(page, linkOf('big.bin'))).toBe(sha256(big))
    const after = await stats(page)
    expect(after.sources[liar.url]?.bytes ?? 0).toBe(0)
    expect(after.originFallbacks).toBe(0)
  }, 60_000)

  it('with A stopped (and the worker restarted), the next navigation still gets every asset from B', async () => {
    await a.stop()
    // The browser may stop an idle worker at any time: the restarted one must still know B.
    const cdp = await context.newCDPSession(page)
    await cdp.send('ServiceWorker.enable')
    await cdp.send('ServiceWorker.stopAllWorkers')
    await dropFileCache(page)
    origin.requests.length = 0
    const before = await bytesServed(b)
    await page.reload()
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
    await page.waitForFunction(() => [...document.images].every((img) => img.complete))
    expect(await widths(page)).toEqual([40])
    expect(await sha256Of(page, linkOf('big.bin'))).toBe(sha256(big))
    const seen = await stats(page)
    expect(seen.sources[b.url]?.bytes).toBeGreaterThanOrEqual(big.length)
    expect(seen.originFallbacks).toBe(0)
    expect(await bytesServed(b)).toBeGreaterThanOrEqual(before + big.length)
    expect(origin.requests.map((r) => r.path).filter((p) => /\.(png|bin)$/.test(p))).toEqual([])
  }, 90_000)
})
