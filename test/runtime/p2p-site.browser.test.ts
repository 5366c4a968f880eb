/**
 * The whole visitor path in a real Chromium, everything on 127.0.0.1: `publish --service-worker`
 * of a small site, its CAR uploaded to three real `p2pcdn host` nodes (one behind a proxy that
 * tampers with what it serves), the published output on an origin server. The fallback runtime
 * registers the service worker; assets then come from the hosts, verified, or from the origin.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CAR_UPLOAD_PATH, type RunningHost } from '../../src/host/index.js'
import { type Manifest, publish } from '../../src/index.js'
import { launchChromium } from '../../src/speedtest/browser.js'
import { chromium } from '../helpers/chromium.js'
import { startFaultProxy } from '../helpers/fault-proxy.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'
import { solidPng } from './media-files.js'
import { startOrigin, type TestServer } from './servers.js'
import { openControlled, sha256Of, stats, widths } from './sw-page.js'

const temp = tempDirs()
const closers: Array<() => Promise<void>> = []
let browser: Browser
let hosts: Array<{ host: RunningHost; token: string }>
let origin: TestServer
let tamperer: Awaited<ReturnType<typeof startFaultProxy>>
let site: string
let out: string
let big: Buffer

async function writeSite(color: [number, number, number]) {
  await fs.mkdir(path.join(site, 'img'), { recursive: true })
  await fs.writeFile(path.join(site, 'img', 'a.png'), solidPng(40, 30, color))
  await fs.writeFile(path.join(site, 'img', 'b.png'), solidPng(20, 50, [color[2], color[1], color[0]]))
  await fs.writeFile(path.join(site, 'big.bin'), big)
  await fs.writeFile(
    path.join(site, 'index.html'),
    '<!doctype html><html><head><title>p2p</title></head><body><img id="a" src="img/a.png"><img id="b" src="img/b.png"></body></html>',
  )
}

/** Publishes the site (service worker on, sources: the three hosts) and uploads its CAR to the two honest hosts. */
async function publishAndUpload(): Promise<Manifest> {
  const sources = [hosts[0]?.host.url as string, tamperer.url, hosts[2]?.host.url as string]
  const result = await publish({
    dir: site,
    out,
    cacheDir: false,
    gateway: sources[0],
    origin: origin.url,
    // A fixed source list (no routers): the tamperer must stay the only way to host 1. With
    // discovery, host 1's own routing answer would name its direct address (sw-discovery.browser.test.ts).
    serviceWorker: { sources, timeout: 3000, routers: [] },
    car: true,
  })
  const car = new Uint8Array(await fs.readFile(result.car as string))
  for (const { host, token } of hosts) {
    const res = await fetch(`${host.url}${CAR_UPLOAD_PATH}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: car,
    })
    expect(res.status).toBe(201)
  }
  return JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-manifest.json'), 'utf8')) as Manifest
}

const bytesServed = async (host: RunningHost) => {
  const metrics = await (await fetch(`${host.url}/metrics`)).text()
  return [
    ...metrics.matchAll(/^p2pcdn_gateway_bytes_served_total\{format="(?:raw|car|deserialized)"\} (\d+)$/gm),
  ].reduce((sum, m) => sum + Number(m[1]), 0)
}

const linkOf = (manifest: Manifest, file: string) => {
  const asset = manifest.assets.find((a) => a.path === file)
  return `${hosts[0]?.host.url}/ipfs/${asset?.cid}?filename=${file}`
}

const sha256Hex = async (file: string) => {
  const { createHash } = await import('node:crypto')
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex')
}

const SUITE = chromium.title('a published site with the service worker, in Chromium')

describe.skipIf(chromium.skip)(SUITE, () => {
  beforeAll(async () => {
    const base = await temp.make('p2p-site')
    site = path.join(base, 'site')
    out = path.join(base, 'out')
    // Random, so that its 1 MiB leaves are distinct blocks.
    big = randomBytes(3 * 1024 * 1024 + 123)
    hosts = []
    for (const label of ['h0', 'h1', 'h2']) {
      const started = await startTestHost(await temp.make(label))
      hosts.push(started)
      closers.push(() => started.host.stop())
    }
    tamperer = await startFaultProxy(hosts[1]?.host.url as string, { tamper: true })
    closers.push(tamperer.close)
    await fs.mkdir(out, { recursive: true })
    origin = await startOrigin(out, () => ({}))
    closers.push(origin.close)
    await writeSite([30, 90, 200])
    browser = await launchChromium(chromium.path)
  })
  afterAll(async () => {
    await browser?.close()
    for (const close of closers.reverse()) await close().catch(() => {})
    await temp.cleanup()
  })

  it('loads assets from the hosts, verified (never the tampered bytes), and updates cleanly on re-publish', async () => {
    const manifest = await publishAndUpload()
    const context = await browser.newContext()
    try {
      const before = await Promise.all(hosts.map(({ host }) => bytesServed(host)))
      origin.requests.length = 0
      const page = await openControlled(context, `${origin.url}/index.html`)
      expect(await widths(page)).toEqual([40, 20])
      // The big file, through its IPFS link: the right bytes, from the hosts.
      expect(await sha256Of(page, linkOf(manifest, 'big.bin'))).toBe(
        await sha256Hex(path.join(site, 'big.bin')),
      )
      const after = await Promise.all(hosts.map(({ host }) => bytesServed(host)))
      expect((after[0] ?? 0) + (after[2] ?? 0) - (before[0] ?? 0) - (before[2] ?? 0)).toBeGreaterThan(
        big.length / 2,
      )
      // An asset by its origin URL, as a script would load it (`import photo from './b.png'`):
      // the worker fetches it from the hosts too, verified.
      expect(await sha256Of(page, `${origin.url}/img/b.png`)).toBe(
        await sha256Hex(path.join(site, 'img', 'b.png')),
      )
      const image = await page.evaluate(async (src) => {
        const img = document.createElement('img')
        img.src = src
        await img.decode().catch(() => undefined)
        return img.naturalWidth
      }, `${origin.url}/img/a.png`)
      expect(image).toBe(40)
      // The origin served the page and the runtime, never an asset.
      expect(origin.requests.map((r) => r.path).filter((p) => /\.(png|bin)$/.test(p))).toEqual([])
      const seen = await stats(page)
      expect(seen.originFallbacks).toBe(0)
      if (tamperer.state.injected > 0) expect(seen.sources[tamperer.url]?.mismatches ?? 0).toBeGreaterThan(0)
      expect(seen.verified).toBeGreaterThanOrEqual(3)

      // Re-publish with a changed image: the worker takes the new version, the page shows the new bytes.
      await writeSite([200, 40, 40])
      const next = await publishAndUpload()
      expect(linkOf(next, 'img/a.png')).not.toBe(linkOf(manifest, 'img/a.png'))
      await page.reload()
      await page.waitForFunction(() => [...document.images].every((img) => img.complete))
      await page.reload()
      await page.waitForFunction(() => [...document.images].every((img) => img.complete))
      expect(await sha256Of(page, linkOf(next, 'img/a.png'))).toBe(
        await sha256Hex(path.join(site, 'img', 'a.png')),
      )
      // The new worker takes over (on a later navigation at the latest) and drops the old version's cache.
      const version = JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-sw.json'), 'utf8'))
        .version as string
      await expect
        .poll(
          async () => {
            await page.reload()
            const names: string[] = await page.evaluate(() => caches.keys())
            const seen = {
              version: (await stats(page)).version,
              caches: names.filter((n) => n.startsWith('p2pcdn-') && n !== `p2pcdn-${version}`),
            }
            return JSON.stringify(seen)
          },
          { timeout: 30_000, interval: 1_000 },
        )
        .toBe(JSON.stringify({ version, caches: [] }))
    } finally {
      await context.close()
    }
  })

  it('a tampering host alone: its bytes are never used, the mismatch is counted, the page is right', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-manifest.json'), 'utf8')) as Manifest
    await hosts[0]?.host.stop()
    await hosts[2]?.host.stop()
    const context = await browser.newContext()
    try {
      tamperer.state.injected = 0
      const page = await openControlled(context, `${origin.url}/index.html`)
      expect(await widths(page)).toEqual([40, 20])
      expect(await sha256Of(page, linkOf(manifest, 'img/b.png'))).toBe(
        await sha256Hex(path.join(site, 'img', 'b.png')),
      )
      expect(tamperer.state.injected).toBeGreaterThan(0)
      const seen = await stats(page)
      expect(seen.sources[tamperer.url]?.mismatches).toBeGreaterThan(0)
      expect(seen.originFallbacks).toBeGreaterThan(0)
    } finally {
      await context.close()
    }
  })

  it('all hosts down: every asset comes from the origin and the page is complete', async () => {
    await tamperer.close()
    const context = await browser.newContext()
    try {
      origin.requests.length = 0
      const page = await openControlled(context, `${origin.url}/index.html`)
      expect(await widths(page)).toEqual([40, 20])
      const paths = origin.requests.map((r) => r.path)
      expect(paths).toContain('/img/a.png')
      expect(paths).toContain('/img/b.png')
    } finally {
      await context.close()
    }
  })
})
