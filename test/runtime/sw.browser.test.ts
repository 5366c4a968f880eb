/**
 * The visitor's service worker (`dist/runtime/p2pcdn-sw.js`) in a real
 * Chromium: a site origin and three hosts running the real trustless
 * gateway, all on 127.0.0.1. Each test has its own browser context, so its
 * own fresh registration and caches.
 */
import { existsSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ServiceWorkerStats } from '../../src/runtime/sw/stats.js'
import { launchChromium } from '../../src/speedtest/index.js'
import { chromium } from '../helpers/chromium.js'
import { tempDirs } from '../helpers/fs.js'
import { startOrigin, type TestServer } from './servers.js'
import { startHost, type TestHost } from './sw-hosts.js'
import { buildSwSite, SW_FILE, type SwAsset, type SwSite, sha256, writeImagePage } from './sw-site.js'

const TIMEOUT = 2000
const temp = tempDirs()
let browser: Browser
let origin: TestServer
let hosts: TestHost[]
let site: SwSite
let context: BrowserContext

beforeAll(async () => {
  if (chromium.skip) return
  if (!existsSync(SW_FILE)) throw new Error(`${SW_FILE} is missing: run \`npm run build:runtime\` first.`)
  site = await buildSwSite(await temp.make('sw'))
  origin = await startOrigin(site.dir, () => ({}))
  hosts = await Promise.all([1, 2, 3].map(() => startHost(site.blockstore)))
  browser = await launchChromium(chromium.path, [
    '--disable-gpu',
    '--disable-component-update',
    '--no-first-run',
    '--autoplay-policy=no-user-gesture-required',
  ])
})

afterAll(async () => {
  await browser?.close()
  await Promise.all((hosts ?? []).map((h) => h.close()))
  await origin?.close()
  await temp.cleanup()
})

beforeEach(async () => {
  if (chromium.skip) return
  for (const host of hosts) {
    await host.setMode('up')
    host.gets.length = 0
    host.missing.clear()
  }
  origin.requests.length = 0
  await site.writeConfig({ version: 'v1', sources: hosts.map((h) => h.url), timeout: TIMEOUT })
  await site.writeWorker()
  context = await browser.newContext()
})

afterEach(async () => {
  await context?.close()
})

/** A gateway link (path form) to an asset on a host. */
const link = (asset: SwAsset, host: TestHost | undefined, query = '?filename=asset') =>
  `${host?.url}/ipfs/${asset.cid}${query}`
/** A subdomain gateway link; Chromium resolves `*.localhost` to the loopback itself. */
const subdomainLink = (asset: SwAsset, host: TestHost | undefined) =>
  `http://${asset.cid.toV1()}.ipfs.localhost:${new URL(host?.url ?? '').port}/`

/** A tab on the site, controlled by the worker. */
async function openSite(page = 'index.html'): Promise<Page> {
  const tab = await context.newPage()
  await tab.goto(`${origin.url}/site/${page}`)
  await tab.evaluate(() => (window as unknown as { swControlled: Promise<boolean> }).swControlled)
  return tab
}

interface Fetched {
  status: number
  contentRange: string | null
  contentType: string | null
  length: number
  sha256: string
}

/** `fetch()` in the page: the status, two headers, and the body's length and SHA-256. */
function pageFetch(tab: Page, url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  return tab.evaluate(
    async ({ url, headers }) => {
      const response = await fetch(url, { headers })
      const body = await response.arrayBuffer()
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body))
      return {
        status: response.status,
        contentRange: response.headers.get('content-range'),
        contentType: response.headers.get('content-type'),
        length: body.byteLength,
        sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
      }
    },
    { url, headers },
  )
}

/** An `<img>` of `src` added to the page: its natural width once decoded (0: broken). */
function pageImage(tab: Page, src: string): Promise<number> {
  return tab.evaluate(async (src) => {
    const img = document.createElement('img')
    img.src = src
    document.body.append(img)
    await img.decode().catch(() => undefined)
    return img.naturalWidth
  }, src)
}

/** The worker's stats message (`reset`: the reset message). */
function swStats(tab: Page, reset = false): Promise<ServiceWorkerStats> {
  return tab.evaluate(
    (type) =>
      new Promise<ServiceWorkerStats>((resolve) => {
        const channel = new MessageChannel()
        channel.port1.onmessage = (event) => resolve(event.data)
        navigator.serviceWorker.controller?.postMessage({ type }, [channel.port2])
      }),
    reset ? 'p2pcdn:reset-stats' : 'p2pcdn:stats',
  )
}

/** The names in Cache Storage, each with its number of entries (`caches.open` would create a deleted one). */
function pageCaches(tab: Page): Promise<Record<string, number>> {
  return tab.evaluate(async () => {
    const out: Record<string, number> = {}
    for (const name of await caches.keys())
      if (await caches.has(name)) out[name] = (await (await caches.open(name)).keys()).length
    return out
  })
}

/** The names in Cache Storage. */
const cacheNames = (tab: Page) => tab.evaluate(() => caches.keys())

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > end) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const expected = (asset: SwAsset, start = 0, end = asset.bytes.length) => ({
  length: end - start,
  sha256: sha256(asset.bytes.subarray(start, end)),
})
const allGets = () => hosts.flatMap((h) => h.gets)
const assetGets = () =>
  origin.requests.filter((r) => Object.values(site.assets).some((a) => r.path === `/site/${a.path}`))

describe.skipIf(chromium.skip)(chromium.title('service worker p2pcdn-sw.js in Chromium'), () => {
  it('hosts up: assets come as verified blocks from the hosts, a large file spread over them', async () => {
    const { image, wav, deep, text } = site.assets
    const tab = await openSite()
    expect(await pageImage(tab, link(image, hosts[0]))).toBe(40)

    const big = await pageFetch(tab, link(wav, hosts[1]))
    expect(big).toMatchObject({ status: 200, contentType: 'audio/wav', ...expected(wav) })
    // The three-level CIDv0 tree, through a subdomain link to its CIDv1; a single dag-pb block.
    expect(await pageFetch(tab, subdomainLink(deep, hosts[2]))).toMatchObject({
      status: 200,
      ...expected(deep),
    })
    expect(await pageFetch(tab, link(text, hosts[0], ''))).toMatchObject({
      status: 200,
      contentType: 'text/plain',
      ...expected(text),
    })

    // Every block came from the hosts, as a raw block; the large file's from at least two.
    for (const asset of [image, wav, deep, text])
      for (const block of asset.blocks) expect(allGets(), `${asset.path} ${block}`).toContain(block)
    const spread = hosts.filter((h) => wav.leaves.some((leaf) => h.gets.includes(leaf)))
    expect(spread.length).toBeGreaterThanOrEqual(2)
    expect(assetGets()).toEqual([])

    const stats = await swStats(tab)
    const sources = Object.values(stats.sources)
    expect(stats.version).toBe('v1')
    expect(Object.keys(stats.sources)).toEqual(hosts.map((h) => h.url))
    expect(sources.reduce((n, s) => n + s.bytes, 0)).toBeGreaterThanOrEqual(
      image.bytes.length + wav.bytes.length + deep.bytes.length,
    )
    expect(sources.reduce((n, s) => n + s.blocks, 0)).toBeGreaterThanOrEqual(
      [image, wav, deep, text].reduce((n, a) => n + a.blocks.length, 0),
    )
    expect(sources.filter((s) => s.blocks > 0).length).toBeGreaterThanOrEqual(2)
    expect(sources.every((s) => s.mismatches === 0)).toBe(true)
    expect(stats).toMatchObject({ originFallbacks: 0, cacheHits: 0, verified: 4 })

    // The trustless formats, and CIDs that are no site asset, go to the network untouched.
    const unknown = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const before = hosts[0]?.gets.length ?? 0
    expect((await pageFetch(tab, link(image, hosts[0], '?format=raw'))).status).toBe(200)
    expect((await pageFetch(tab, `${hosts[0]?.url}/ipfs/${unknown}`)).status).toBe(404)
    expect(hosts[0]?.gets.slice(before)).toEqual([image.cid.toString(), unknown])
    expect(await swStats(tab, true)).toMatchObject({ verified: 0, cacheHits: 0, originFallbacks: 0 })
  })

  it('a host sending wrong bytes: its blocks are refused, counted, and fetched from the others', async () => {
    const { image, wav, deep } = site.assets
    const [bad, ...good] = hosts as [TestHost, ...TestHost[]]
    await bad.setMode('tampering')
    const tab = await openSite()
    // The first source in the config: the first asked for the image.
    expect(await pageImage(tab, link(image, bad))).toBe(40)
    expect(await pageFetch(tab, link(wav, bad))).toMatchObject({ status: 200, ...expected(wav) })
    expect(await pageFetch(tab, link(deep, bad))).toMatchObject({ status: 200, ...expected(deep) })
    expect(bad.gets).toContain(image.cid.toString())

    const stats = await swStats(tab)
    expect(stats.sources[bad.url]?.mismatches).toBeGreaterThanOrEqual(1)
    expect(stats.sources[bad.url]?.blocks).toBe(0)
    for (const host of good) expect(stats.sources[host.url]?.mismatches).toBe(0)
    expect(stats.originFallbacks).toBe(0)
    expect(assetGets()).toEqual([])
  })

  it('a host hanging: the others answer, at once for a first block (raced), after the timeout for the rest', async () => {
    const { image, wav } = site.assets
    const [stuck] = hosts as [TestHost]
    await stuck.setMode('hanging')
    const tab = await openSite()
    const started = Date.now()
    // Asked first, the hanging host holds the image's request; the race asks the next host 300 ms later.
    expect(await pageImage(tab, link(image, stuck))).toBe(40)
    expect(Date.now() - started).toBeLessThan(TIMEOUT)
    expect(await pageFetch(tab, link(wav, stuck))).toMatchObject({ status: 200, ...expected(wav) })
    expect(Date.now() - started).toBeLessThan(3 * TIMEOUT)
    const stats = await swStats(tab)
    expect(stats.sources[stuck.url]).toMatchObject({ blocks: 0, bytes: 0 })
    expect(stats.originFallbacks).toBe(0)
    expect(assetGets()).toEqual([])
  })

  it('a block no host has: the rest of the file comes from the origin, and the file is not cached', async () => {
    const { wav } = site.assets
    const missing = wav.leaves[5] as string
    for (const host of hosts) host.missing.add(missing)
    const tab = await openSite()
    expect(await pageFetch(tab, link(wav, hosts[0]))).toMatchObject({ status: 200, ...expected(wav) })
    const [a, b] = [1_000_000, 2_000_000]
    expect(await pageFetch(tab, link(wav, hosts[0]), { Range: `bytes=${a}-${b}` })).toMatchObject({
      status: 206,
      contentRange: `bytes ${a}-${b}/${wav.bytes.length}`,
      ...expected(wav, a, b + 1),
    })
    // Asked of every host, twice; the origin sent the rest, once per response.
    expect(allGets().filter((cid) => cid === missing)).toHaveLength(2 * hosts.length)
    expect(assetGets().map((r) => r.path)).toEqual(['/site/media/noise.wav', '/site/media/noise.wav'])
    expect(await swStats(tab)).toMatchObject({ originFallbacks: 2, verified: 2 })
    expect((await pageCaches(tab))['p2pcdn-v1'] ?? 0).toBe(0)
  })

  it('every host down: the assets come from the origin', async () => {
    const { image, wav, deep } = site.assets
    for (const host of hosts) await host.setMode('down')
    const tab = await openSite()
    expect(await pageImage(tab, link(image, hosts[0]))).toBe(40)
    expect(await pageFetch(tab, link(wav, hosts[1]))).toMatchObject({ status: 200, ...expected(wav) })
    expect(await pageFetch(tab, subdomainLink(deep, hosts[2]))).toMatchObject({
      status: 200,
      ...expected(deep),
    })
    expect(assetGets().map((r) => r.path)).toEqual(
      expect.arrayContaining(['/site/img/café dot.png', '/site/media/noise.wav', '/site/data/deep.bin']),
    )
    const stats = await swStats(tab)
    expect(stats.originFallbacks).toBe(3)
    expect(stats.verified).toBe(0)
    for (const source of Object.values(stats.sources)) expect(source).toMatchObject({ blocks: 0, bytes: 0 })
    // Nothing unverified was cached.
    expect((await pageCaches(tab))['p2pcdn-v1'] ?? 0).toBe(0)
  })

  it('Range requests: 206 with the exact slice, fetching only the blocks that hold it; an <audio> plays', async () => {
    const { wav, deep } = site.assets
    const tab = await openSite()
    const [a, b] = [1_000_000, 1_300_000]
    expect(await pageFetch(tab, link(wav, hosts[0]), { Range: `bytes=${a}-${b}` })).toMatchObject({
      status: 206,
      contentRange: `bytes ${a}-${b}/${wav.bytes.length}`,
      ...expected(wav, a, b + 1),
    })
    // Leaves 3 and 4 of 256 KiB hold bytes 1,000,000 to 1,300,000; and the root.
    expect(new Set(allGets())).toEqual(new Set([wav.blocks[0], wav.leaves[3], wav.leaves[4]]))
    expect(await pageFetch(tab, link(wav, hosts[1]), { Range: 'bytes=3000000-' })).toMatchObject({
      status: 206,
      contentRange: `bytes 3000000-${wav.bytes.length - 1}/${wav.bytes.length}`,
      ...expected(wav, 3_000_000),
    })
    expect(await pageFetch(tab, link(wav, hosts[1]), { Range: 'bytes=-1000' })).toMatchObject({
      status: 206,
      ...expected(wav, wav.bytes.length - 1000),
    })
    expect(
      await pageFetch(tab, subdomainLink(deep, hosts[2]), { Range: 'bytes=100000-700000' }),
    ).toMatchObject({
      status: 206,
      contentRange: `bytes 100000-700000/${deep.bytes.length}`,
      ...expected(deep, 100_000, 700_001),
    })
    expect((await pageFetch(tab, link(wav, hosts[0]), { Range: `bytes=${wav.bytes.length}-` })).status).toBe(
      416,
    )

    // Whole, then cached: a range of the cached file reads no block.
    expect(await pageFetch(tab, link(wav, hosts[0]))).toMatchObject({ status: 200, ...expected(wav) })
    await until(
      () => pageCaches(tab),
      (c) => (c['p2pcdn-v1'] ?? 0) >= 1,
    )
    for (const host of hosts) host.gets.length = 0
    expect(await pageFetch(tab, link(wav, hosts[2]), { Range: `bytes=${a}-${b}` })).toMatchObject({
      status: 206,
      contentRange: `bytes ${a}-${b}/${wav.bytes.length}`,
      ...expected(wav, a, b + 1),
    })
    expect(allGets()).toEqual([])

    // A media element: its own range requests, a seek near the end, playback (the deep file is not audio).
    const played = await tab.evaluate(
      async (src) => {
        const audio = new Audio()
        audio.preload = 'auto'
        const event = (name: string) =>
          new Promise((resolve, reject) => {
            audio.addEventListener(name, resolve, { once: true })
            audio.addEventListener('error', () => reject(new Error(`media error ${audio.error?.code}`)), {
              once: true,
            })
          })
        const metadata = event('loadedmetadata')
        audio.src = src
        await metadata
        const seeked = event('seeked')
        audio.currentTime = audio.duration - 3
        await seeked
        await audio.play()
        const from = audio.currentTime
        await new Promise((resolve) => setTimeout(resolve, 600))
        return { duration: audio.duration, advanced: audio.currentTime - from }
      },
      link(wav, hosts[1]),
    )
    expect(played.duration).toBeCloseTo((wav.bytes.length - 44) / 8000, 1)
    expect(played.advanced).toBeGreaterThan(0.1)
  })

  it('a second page load is served from the cache: no host request', async () => {
    const { image, wav } = site.assets
    await writeImagePage(site, 'image.html', link(image, hosts[1]))
    const first = await openSite()
    await first.goto(`${origin.url}/site/image.html`)
    await first.waitForFunction(() => (document.getElementById('img') as HTMLImageElement).naturalWidth > 0)
    expect(allGets()).toContain(image.cid.toString())
    expect(await pageFetch(first, link(wav, hosts[0]))).toMatchObject({ status: 200, ...expected(wav) })
    await until(
      () => pageCaches(first),
      (c) => c['p2pcdn-v1'] === 2,
    )
    expect(await pageCaches(first)).toMatchObject({ 'p2pcdn-v1': 2 })

    for (const host of hosts) host.gets.length = 0
    await swStats(first, true)
    // The same page again (Chromium may take its image from its memory cache), then a page linking
    // the same image through another host: the worker's cache, keyed by CID, answers.
    await first.reload()
    await first.waitForFunction(() => (document.getElementById('img') as HTMLImageElement).naturalWidth > 0)
    await writeImagePage(site, 'other.html', subdomainLink(image, hosts[2]))
    await first.goto(`${origin.url}/site/other.html`)
    await first.waitForFunction(() => (document.getElementById('img') as HTMLImageElement).naturalWidth > 0)
    expect(await pageFetch(first, link(wav, hosts[2]))).toMatchObject({ status: 200, ...expected(wav) })
    expect(allGets()).toEqual([])
    expect(assetGets()).toEqual([])
    const stats = await swStats(first)
    expect(stats.cacheHits).toBeGreaterThanOrEqual(2)
    expect(stats).toMatchObject({ verified: 0, originFallbacks: 0 })
  })

  it('a new version activates at the next update and deletes the old cache', async () => {
    const { image } = site.assets
    const tab = await openSite()
    expect(await pageImage(tab, link(image, hosts[0]))).toBe(40)
    await until(
      () => pageCaches(tab),
      (c) => c['p2pcdn-v1'] === 1,
    )

    await site.writeConfig({ version: 'v2', sources: hosts.map((h) => h.url), timeout: TIMEOUT })
    await site.writeWorker('\n// v2\n')
    const changed = tab.evaluate(
      () =>
        new Promise<void>((resolve) =>
          navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }),
        ),
    )
    await tab.evaluate(async () => {
      await (await navigator.serviceWorker.getRegistration())?.update()
    })
    await changed
    expect((await swStats(tab)).version).toBe('v2')
    const names = await until(
      () => cacheNames(tab),
      (names) => !names.includes('p2pcdn-v1'),
    )
    expect(names).toEqual(['p2pcdn:sw-config'])

    // The new version fetches (and caches) anew.
    for (const host of hosts) host.gets.length = 0
    expect(await pageImage(tab, link(image, hosts[0], '?filename=again.png'))).toBe(40)
    expect(allGets()).toContain(image.cid.toString())
    expect(
      await until(
        () => pageCaches(tab),
        (c) => c['p2pcdn-v2'] === 1,
      ),
    ).toMatchObject({ 'p2pcdn-v2': 1 })
  })

  it('a re-published config with the same worker script is picked up at the next navigation', async () => {
    const { image } = site.assets
    const tab = await openSite()
    expect(await pageImage(tab, link(image, hosts[0]))).toBe(40)
    await until(
      () => pageCaches(tab),
      (c) => c['p2pcdn-v1'] === 1,
    )
    // Publish writes p2pcdn-sw.js unchanged: the browser's update check finds nothing new.
    await site.writeConfig({ version: 'v3', sources: hosts.map((h) => h.url), timeout: TIMEOUT })
    await tab.reload()
    expect(
      await until(
        () => swStats(tab),
        (s) => s.version === 'v3',
      ),
    ).toMatchObject({ version: 'v3' })
    expect(
      await until(
        () => cacheNames(tab),
        (names) => !names.includes('p2pcdn-v1'),
      ),
    ).toEqual(['p2pcdn:sw-config'])
    for (const host of hosts) host.gets.length = 0
    expect(await pageImage(tab, link(image, hosts[1], '?filename=v3.png'))).toBe(40)
    expect(allGets()).toEqual([image.cid.toString()])
  })
})
