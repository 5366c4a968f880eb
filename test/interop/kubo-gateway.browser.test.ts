/**
 * Visitors on Kubo's gateway: the service worker in a real Chromium with a real Kubo daemon's
 * gateway among its sources, everything on loopback. The site (two PNGs and a 3 MiB file of
 * random bytes, so that its blocks are many and get spread) is published with the worker on, its
 * CAR loaded into Kubo with `ipfs dag import`, the output served by an origin server on
 * 127.0.0.1 port 0. The other sources: a proxy in front of the same Kubo gateway that flips a
 * byte of everything it serves (test/helpers/fault-proxy.ts `tamper`), and in the first case a
 * `p2pcdn host` holding the same CAR.
 *
 * What the real Kubo 0.43 shows: it answers `GET /ipfs/<cid>?format=raw` with the block
 * (`application/vnd.ipld.raw`) and sends `Access-Control-Allow-Origin: *` by default (boxo's
 * `Headers.ApplyCors`), so an operator sets nothing for CORS. Reached by the name `localhost`,
 * Kubo is a subdomain gateway and answers every path request with a 301 to
 * `<cidv1>.ipfs.localhost`; the worker follows it, CIDv0 links included.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProfileName } from '../../src/constants.js'
import { CAR_UPLOAD_PATH } from '../../src/host/index.js'
import { type Manifest, publish } from '../../src/index.js'
import { launchChromium } from '../../src/speedtest/browser.js'
import { chromium } from '../helpers/chromium.js'
import { startFaultProxy } from '../helpers/fault-proxy.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'
import { type KuboDaemon, startKubo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'
import { solidPng } from '../runtime/media-files.js'
import { startOrigin, type TestServer } from '../runtime/servers.js'
import { openControlled, sha256Of, stats, widths } from '../runtime/sw-page.js'

const temp = tempDirs()
const closers: Array<() => Promise<void>> = []
let browser: Browser
let daemon: KuboDaemon

/** Kubo's own count of raw blocks its gateway served (RPC port, `/debug/metrics/prometheus`). */
async function kuboRawBlocks(): Promise<number> {
  const text = await (await fetch(`${daemon.api}/debug/metrics/prometheus`)).text()
  return Number(
    /^ipfs_http_gw_raw_block_get_duration_seconds_count\{gateway="ipfs"\} (\d+)$/m.exec(text)?.[1] ?? 0,
  )
}

/** Kubo's answer to a block request with `Host: <host>` (on 127.0.0.1 whatever the name): status and Location. */
function askWithHost(host: string, cid: string): Promise<{ status: number; location: string | undefined }> {
  const { port } = new URL(daemon.gateway)
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: `/ipfs/${cid}?format=raw`, headers: { Host: `${host}:${port}` } },
      (res) => {
        res.resume()
        resolve({ status: res.statusCode ?? 0, location: res.headers.location })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

interface PublishedSite {
  manifest: Manifest
  site: string
  origin: TestServer
  big: Buffer
  car: string
}

/**
 * Writes the site, publishes it with the service worker on (`sources` in that order, IPFS links
 * pointing at Kubo's gateway), imports its CAR into Kubo and serves the output on a new origin.
 */
async function publishToKubo(profile: ProfileName, sources: string[]): Promise<PublishedSite> {
  const base = await temp.make(`kubo-gw-${profile}`)
  const site = path.join(base, 'site')
  const out = path.join(base, 'out')
  // Random, so that its leaves are distinct blocks: 4 under unixfs-v1-2025 (1 MiB), 13 under v0 (256 KiB).
  const big = randomBytes(3 * 1024 * 1024 + 123)
  await fs.mkdir(path.join(site, 'img'), { recursive: true })
  await fs.writeFile(path.join(site, 'img', 'a.png'), solidPng(40, 30, [30, 90, 200]))
  await fs.writeFile(path.join(site, 'img', 'b.png'), solidPng(20, 50, [200, 90, 30]))
  await fs.writeFile(path.join(site, 'big.bin'), big)
  await fs.writeFile(
    path.join(site, 'index.html'),
    '<!doctype html><html><head><title>kubo</title></head><body><img id="a" src="img/a.png"><img id="b" src="img/b.png"></body></html>',
  )
  await fs.mkdir(out, { recursive: true })
  const origin = await startOrigin(out, () => ({}))
  closers.push(origin.close)
  const result = await publish({
    dir: site,
    out,
    profile,
    cacheDir: false,
    gateway: daemon.gateway,
    origin: origin.url,
    serviceWorker: { sources, timeout: 3000 },
    car: true,
  })
  const car = result.car as string
  const imported = JSON.parse(
    (await daemon.repo.ipfs(['dag', 'import', '--pin-roots', '--stats', '--enc=json', car]))
      .trim()
      .split('\n')[0] as string,
  ) as { Root: { Cid: { '/': string }; PinErrorMsg: string } }
  expect(imported.Root.Cid['/']).toBe(result.root)
  expect(imported.Root.PinErrorMsg).toBe('')
  const manifest = JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-manifest.json'), 'utf8')) as Manifest
  return { manifest, site, origin, big, car }
}

const sha256Hex = async (bytes: Buffer) => {
  const { createHash } = await import('node:crypto')
  return createHash('sha256').update(bytes).digest('hex')
}

/** The page's IPFS link to a published file (on Kubo's gateway, as publish wrote it). */
const linkOf = (manifest: Manifest, file: string) =>
  `${daemon.gateway}/ipfs/${manifest.assets.find((a) => a.path === file)?.cid}?filename=${file}`

/**
 * Loads the page with sources [a tamperer in front of Kubo's gateway, Kubo's gateway as
 * `kuboSource` names it, and with `withHost` a `p2pcdn host`], checks that the assets are right
 * and where they came from, and returns the worker's stats.
 */
async function visit(profile: ProfileName, kuboSource: string, withHost: boolean) {
  const tamperer = await startFaultProxy(daemon.gateway, { tamper: true })
  closers.push(tamperer.close)
  // The host's URL is known only once it runs, and the sources go into the site: the host is
  // started first, and the CAR uploaded to it after publish.
  const started = withHost ? await startTestHost(await temp.make('kubo-gw-host')) : undefined
  const host = started?.host
  if (host) closers.push(() => host.stop())
  // The tamperer first: the first block request goes to it, so its bytes are offered for sure.
  const sources = [tamperer.url, kuboSource, ...(host ? [host.url] : [])]
  const { manifest, site, origin, big, car } = await publishToKubo(profile, sources)
  if (started && host) {
    const res = await fetch(`${host.url}${CAR_UPLOAD_PATH}`, {
      method: 'POST',
      headers: started.auth,
      body: new Uint8Array(await fs.readFile(car)),
    })
    expect(res.status).toBe(201)
  }
  const context = await browser.newContext()
  try {
    const before = await kuboRawBlocks()
    origin.requests.length = 0
    const page = await openControlled(context, `${origin.url}/index.html`)
    expect(await widths(page)).toEqual([40, 20])
    expect(await sha256Of(page, linkOf(manifest, 'big.bin'))).toBe(await sha256Hex(big))
    expect(await sha256Of(page, linkOf(manifest, 'img/b.png'))).toBe(
      await sha256Hex(await fs.readFile(path.join(site, 'img', 'b.png'))),
    )
    // The origin served the page, the runtime and the worker, never an asset.
    expect(origin.requests.map((r) => r.path).filter((p) => /\.(png|bin)$/.test(p))).toEqual([])
    const seen = await stats(page)
    const after = await kuboRawBlocks()
    // Kubo's gateway sent verified blocks, and Kubo counted at least as many raw block answers.
    const fromKubo = seen.sources[kuboSource]
    const fromHost = host ? seen.sources[host.url] : undefined
    expect(fromKubo?.blocks).toBeGreaterThan(0)
    expect(fromKubo?.failures).toBe(0)
    expect(after - before).toBeGreaterThanOrEqual(fromKubo?.blocks ?? 0)
    // All of the big file's bytes came verified from the honest sources.
    expect((fromKubo?.bytes ?? 0) + (fromHost?.bytes ?? 0)).toBeGreaterThanOrEqual(big.length)
    // The tamperer's bytes were offered, counted as mismatches, and never used.
    expect(tamperer.state.injected).toBeGreaterThan(0)
    expect(seen.sources[tamperer.url]?.mismatches).toBeGreaterThan(0)
    expect(seen.sources[tamperer.url]?.blocks).toBe(0)
    expect(seen.originFallbacks).toBe(0)
    expect(seen.verified).toBeGreaterThanOrEqual(3)
    return { seen, manifest, big, fromKubo, fromHost }
  } finally {
    await context.close()
    await tamperer.close()
  }
}

const SUITE = kubo.title(chromium.title('the service worker with Kubo’s gateway as a source, in Chromium'))

describe.skipIf(kubo.skip || chromium.skip)(SUITE, () => {
  beforeAll(async () => {
    daemon = await startKubo()
    closers.push(daemon.stop, daemon.repo.remove)
    browser = await launchChromium(chromium.path)
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    for (const close of closers.reverse()) await close().catch(() => {})
    await temp.cleanup()
  })

  it('Kubo sends the CORS headers the worker needs, by default', async () => {
    const res = await fetch(`${daemon.gateway}/ipfs/bafkqaaa?format=raw`, {
      headers: { Accept: 'application/vnd.ipld.raw', Origin: 'http://127.0.0.1:1' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('content-type')).toBe('application/vnd.ipld.raw')
  })

  it('path gateway (127.0.0.1) beside a p2pcdn host: blocks verified and spread over both, the tampering source never used, nothing from the origin', async () => {
    const { fromKubo, fromHost } = await visit('unixfs-v1-2025', daemon.gateway, true)
    // The big file's 4 leaves went to both honest sources.
    expect(fromHost?.blocks).toBeGreaterThan(0)
    expect(fromHost?.failures).toBe(0)
    expect((fromKubo?.blocks ?? 0) + (fromHost?.blocks ?? 0)).toBeGreaterThan(4)
  }, 120_000)

  it('subdomain gateway (localhost), CIDv0 site: the worker follows Kubo’s redirects to <cid>.ipfs.localhost', async () => {
    const localhost = daemon.gateway.replace('127.0.0.1', 'localhost')
    const { fromKubo, manifest, big: bytes } = await visit('unixfs-v0-2015', localhost, false)
    // Kubo was the only honest source: every block (13 leaves, the root, the images) came from it.
    expect(fromKubo?.bytes).toBeGreaterThanOrEqual(bytes.length)
    expect(fromKubo?.blocks).toBeGreaterThan(13)
    const big = manifest.assets.find((a) => a.path === 'big.bin')?.cid as string
    expect(big).toMatch(/^Qm/)
    // Every block request to that source is redirected (Kubo's metrics do not count 301s), so
    // the worker's verified blocks from it came from the subdomain URLs.
    const answer = await askWithHost('localhost', big)
    expect(answer.status).toBe(301)
    expect(answer.location).toMatch(/^http:\/\/bafy[a-z2-7]+\.ipfs\.localhost:\d+\/\?format=raw$/)
  }, 120_000)
})
