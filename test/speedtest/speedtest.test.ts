/**
 * `p2pcdn speedtest` end to end: a tiny site (a page, three images, a
 * stylesheet) published by the real `publish()` with links on a real
 * `p2pcdn host` on 127.0.0.1 (its CAR uploaded there), then both variants
 * loaded in a real Chromium (Debian's, through playwright-core). Also the
 * interactive page, the built CLI as a process, a stopped host (every asset
 * falls back to the origin) and the errors for bad input.
 */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CAR_UPLOAD_PATH, type RunningHost } from '../../src/host/index.js'
import { type ManifestAsset, P2pcdnError, publish } from '../../src/index.js'
import {
  canonicalCid,
  classifyResource,
  launchChromium,
  linkedCids,
  runSpeedtest,
  type SpeedtestResult,
  startSpeedtestServer,
  summarise,
} from '../../src/speedtest/index.js'
import { chromium } from '../helpers/chromium.js'
import { CLI, runCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'
import { solidPng } from '../runtime/media-files.js'

const CHROMIUM = chromium.path
const IMAGES = ['img/a.png', 'img/b.png', 'img/c.png']
const ASSETS = [...IMAGES, 'css/site.css']

const temp = tempDirs()
let work: string
let site: string
let p2p: string
let host: RunningHost | undefined
let hostUrl: string
let assets: Map<string, ManifestAsset>

/** A tiny site: one page with three images and a stylesheet. */
async function writeSite(dir: string): Promise<void> {
  await fs.mkdir(path.join(dir, 'img'), { recursive: true })
  await fs.mkdir(path.join(dir, 'css'), { recursive: true })
  await fs.writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Tiny site</title><link rel="stylesheet" href="css/site.css"></head>
<body>
<h1>Tiny site</h1>
<img src="img/a.png" alt="a"> <img src="img/b.png" alt="b"> <img src="img/c.png" alt="c">
</body>
</html>
`,
  )
  await fs.writeFile(
    path.join(dir, 'css/site.css'),
    'body { font: 16px sans-serif; }\nimg { border: 1px solid #888; }\n',
  )
  await fs.writeFile(path.join(dir, 'img/a.png'), solidPng(120, 80, [200, 40, 40]))
  await fs.writeFile(path.join(dir, 'img/b.png'), solidPng(90, 90, [40, 160, 40]))
  await fs.writeFile(path.join(dir, 'img/c.png'), solidPng(60, 140, [40, 40, 200]))
}

const errorOf = async (promise: Promise<unknown>): Promise<P2pcdnError> => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(P2pcdnError)
  return err as P2pcdnError
}

/** The shape the JSON output documents, with sane values. */
function expectShape(result: SpeedtestResult, runs: number): void {
  const json = JSON.parse(JSON.stringify(result)) as SpeedtestResult
  expect(Object.keys(json)).toEqual(
    expect.arrayContaining(['page', 'runs', 'browser', 'origin', 'p2p', 'ratio', 'resources', 'warnings']),
  )
  expect(json.page).toBe('index.html')
  expect(json.runs).toBe(runs)
  for (const variant of [json.origin, json.p2p]) {
    expect(variant.loads).toHaveLength(runs)
    for (const stat of [variant.loadMs, variant.domContentLoadedMs, variant.responseEndMs]) {
      expect(stat.min).toBeGreaterThan(0)
      expect(stat.min).toBeLessThanOrEqual(stat.median)
      expect(stat.median).toBeLessThanOrEqual(stat.max)
    }
    expect(variant.loadMs.median).toBeGreaterThanOrEqual(variant.domContentLoadedMs.median)
  }
  expect(json.ratio).toBeGreaterThan(0)
  expect(Number.isFinite(json.ratio)).toBe(true)
  expect(json.ratio).toBeCloseTo(json.origin.loadMs.median / json.p2p.loadMs.median, 6)
  for (const v of ['origin', 'p2p'] as const)
    expect(Object.keys(json.resources[v].bySource).sort()).toEqual(['ipfs', 'origin', 'other'])
  expect(Array.isArray(json.resources.p2p.fallbacks)).toBe(true)
}

beforeAll(async () => {
  work = await temp.make('speedtest')
  site = path.join(work, 'site')
  p2p = path.join(work, 'site-p2p')
  await writeSite(site)
  // The host first: publish writes its gateway URL into the links.
  const started = await startTestHost(await temp.make('speedtest-repo'))
  host = started.host
  hostUrl = host.url
  const result = await publish({
    dir: site,
    out: p2p,
    gateway: hostUrl,
    cacheDir: false,
    push: false,
    car: true,
  })
  assets = new Map(result.assets.map((a) => [a.path, a]))
  const res = await fetch(`${hostUrl}${CAR_UPLOAD_PATH}`, {
    method: 'POST',
    headers: { ...started.auth, 'Content-Type': 'application/vnd.ipld.car' },
    body: new Uint8Array(await fs.readFile(result.car as string)),
  })
  expect(res.status).toBe(201)
})

afterAll(async () => {
  await host?.stop()
  await temp.cleanup()
})

describe('classification and statistics', () => {
  const cid = 'bafkreidbbq6glzobhlxfkgkq7vv7fryfggquxqysnzvrh67vwchfjcbmvq'
  const v0 = 'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n'
  const root = 'http://127.0.0.1:9000/p2p/'

  it('tells IPFS (path, subdomain, native), the page origin and the rest apart', () => {
    expect(classifyResource(`http://127.0.0.1:4080/ipfs/${cid}?filename=a.png`, root)).toEqual({
      source: 'ipfs',
      cid,
    })
    expect(classifyResource(`https://${cid}.ipfs.dweb.link/?filename=a.png`, root)).toEqual({
      source: 'ipfs',
      cid,
    })
    expect(classifyResource(`ipfs://${cid}`, root).source).toBe('ipfs')
    // A CIDv0 is reported as its CIDv1, as subdomain links write it.
    expect(classifyResource(`https://ipfs.io/ipfs/${v0}`, root).cid).toBe(canonicalCid(v0))
    expect(classifyResource('http://127.0.0.1:9000/p2p/img/caf%C3%A9.png', root)).toEqual({
      source: 'origin',
      path: 'img/café.png',
    })
    expect(classifyResource('http://127.0.0.1:9000/favicon.ico', root)).toEqual({ source: 'origin' })
    expect(classifyResource('http://127.0.0.1:9001/ipfs/not-a-cid', root)).toEqual({ source: 'other' })
    expect(classifyResource('https://www.example.com/img/a.png', root, ['https://www.example.com'])).toEqual({
      source: 'other',
      path: 'img/a.png',
    })
  })

  it('finds the CIDs of IPFS links in HTML and CSS', () => {
    const html = `<img src="http://127.0.0.1:1/ipfs/${cid}?filename=a.png&amp;x=1"><div style="background: url(ipfs://${v0})">`
    expect([...linkedCids(html)]).toEqual([cid, canonicalCid(v0)])
    expect(linkedCids('<img src="img/a.png">').size).toBe(0)
  })

  it('median, min and max', () => {
    expect(summarise([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 })
    expect(summarise([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 })
  })
})

describe('bad input', () => {
  it('a missing P2P folder names it and what to pass', async () => {
    const missing = path.join(work, 'nope-p2p')
    const err = await errorOf(runSpeedtest({ p2pDir: missing }))
    expect(err.code).toBe('ERR_INPUT_MISSING')
    expect(err.message).toContain(missing)
    expect(err.message).toContain('p2pcdn publish')
  })

  it('a folder without a manifest is not publish output', async () => {
    const err = await errorOf(runSpeedtest({ p2pDir: site, originDir: site }))
    expect(err.code).toBe('ERR_INPUT_MISSING')
    expect(err.message).toContain(site)
    expect(err.message).toContain('p2pcdn-manifest.json')
  })

  it('without -p2p in the name, the origin folder must be given', async () => {
    const renamed = path.join(work, 'published')
    await fs.cp(p2p, renamed, { recursive: true })
    const err = await errorOf(runSpeedtest({ p2pDir: renamed }))
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.message).toContain('--origin-dir')
    expect(err.message).toContain(renamed)
  })

  it('a missing origin folder, a missing page', async () => {
    const gone = path.join(work, 'gone')
    const noOrigin = await errorOf(runSpeedtest({ p2pDir: p2p, originDir: gone }))
    expect(noOrigin.code).toBe('ERR_INPUT_MISSING')
    expect(noOrigin.message).toContain(gone)
    expect(noOrigin.message).toContain('--origin-dir')
    const noPage = await errorOf(runSpeedtest({ p2pDir: p2p, page: 'about.html' }))
    expect(noPage.code).toBe('ERR_INPUT_MISSING')
    expect(noPage.message).toContain(path.join(p2p, 'about.html'))
    expect(noPage.message).toContain('--page')
    const outside = await errorOf(runSpeedtest({ p2pDir: p2p, page: '../secret.html' }))
    expect(outside.code).toBe('ERR_CONFIG_INVALID')
  })

  it('no Chromium at --chromium, and bad numbers', async () => {
    const chromium = path.join(work, 'no-chromium')
    const err = await errorOf(runSpeedtest({ p2pDir: p2p, chromium }))
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.message).toContain(chromium)
    expect(err.message).toContain('--chromium')
    expect((await errorOf(runSpeedtest({ p2pDir: p2p, runs: 0 }))).code).toBe('ERR_CONFIG_INVALID')
    expect((await errorOf(startSpeedtestServer({ p2pDir: p2p, port: 70000 }))).code).toBe(
      'ERR_CONFIG_INVALID',
    )
  })

  it('the CLI prints the message without a stack and exits 3', async () => {
    const missing = path.join(work, 'nope-p2p')
    const run = await runCli(['speedtest', missing, '--json'])
    expect(run.code).toBe(3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(`p2pcdn: The P2P folder ${missing} does not exist.`)
    expect(run.stderr).not.toContain('    at ')
  })
})

describe('the server', () => {
  it('serves both variants with their content types, and nothing outside them', async () => {
    const server = await startSpeedtestServer({ p2pDir: p2p })
    try {
      const index = await fetch(`${server.url}/`)
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(await index.text()).toContain('src="/p2p/index.html"')
      const png = await fetch(`${server.url}/origin/img/a.png`)
      expect(png.headers.get('content-type')).toBe('image/png')
      expect(
        Buffer.from(await png.arrayBuffer()).equals(await fs.readFile(path.join(site, 'img/a.png'))),
      ).toBe(true)
      const css = await fetch(`${server.url}/p2p/css/site.css`)
      expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
      const page = await (await fetch(`${server.url}/p2p/`)).text()
      expect(page).toContain(`${hostUrl}/ipfs/`)
      expect(page).toContain('data-p2pcdn-src="img/a.png"')
      const redirect = await fetch(`${server.url}/p2p`, { redirect: 'manual' })
      expect(redirect.status).toBe(301)
      expect(redirect.headers.get('location')).toBe('/p2p/')
      expect((await fetch(`${server.url}/p2p/missing.png`)).status).toBe(404)
      expect((await fetch(`${server.url}/elsewhere`)).status).toBe(404)
      // A raw request, so that no client collapses the dots.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        http
          .get(`${server.url}/origin/%2e%2e/site-p2p/p2pcdn-manifest.json`, (res) => {
            res.resume()
            resolve(res.statusCode)
          })
          .on('error', reject)
      })
      expect(status).toBe(404)
    } finally {
      await server.close()
    }
  })
})

describe.skipIf(chromium.skip)(chromium.title('in Chromium'), () => {
  it('host up: both variants load, the P2P assets come over IPFS from the host', async () => {
    const events: string[] = []
    const result = await runSpeedtest({
      p2pDir: p2p,
      runs: 2,
      onProgress: (event) => events.push(event.type),
    })
    expectShape(result, 2)
    expect(result.originDir).toBe(site) // the default: the P2P folder's name without -p2p
    expect(events).toEqual(['p2pcdn:speedtest:start', ...Array(4).fill('p2pcdn:speedtest:load')])

    for (const load of result.origin.loads) {
      expect(load.resources.filter((r) => r.source !== 'origin')).toEqual([])
      const paths = load.resources.map((r) => r.path)
      for (const p of ASSETS) expect(paths, p).toContain(p)
    }
    for (const load of result.p2p.loads) {
      const ipfs = load.resources.filter((r) => r.source === 'ipfs')
      for (const p of ASSETS) {
        const entry = ipfs.find((r) => r.path === p)
        expect(entry, p).toBeDefined()
        expect(entry?.name.startsWith(`${hostUrl}/ipfs/`)).toBe(true)
        expect(entry?.cid).toBe(canonicalCid(assets.get(p)?.cid as string))
        expect(entry?.failed).toBe(false)
        expect(entry?.bytes).toBe(assets.get(p)?.size)
      }
      // Nothing of the site's assets from the origin: only the runtime and its data.
      const fromOrigin = load.resources.filter((r) => r.source === 'origin' && r.path !== undefined)
      expect(fromOrigin.map((r) => r.path).sort()).toEqual(['p2pcdn-fallback.js', 'p2pcdn-fallback.json'])
    }
    const bySource = result.resources.p2p.bySource
    expect(bySource.ipfs.count).toBeGreaterThanOrEqual(ASSETS.length)
    const assetBytes = ASSETS.reduce((sum, p) => sum + (assets.get(p)?.size ?? 0), 0)
    expect(bySource.ipfs.bytes).toBeGreaterThanOrEqual(assetBytes)
    expect(bySource.ipfs.failed).toBe(0)
    expect(result.resources.origin.bySource.ipfs.count).toBe(0)
    expect(result.resources.origin.bySource.origin.bytes).toBeGreaterThanOrEqual(assetBytes)
    expect(result.resources.p2p.fallbacks).toEqual([])
    expect(result.warnings.map((w) => w.code)).not.toContain('W_SPEEDTEST_ALL_FELL_BACK')
  })

  it('the interactive page: both frames load, and Run fills in the times and the ratio', async () => {
    const server = await startSpeedtestServer({ p2pDir: p2p, runs: 1 })
    const browser = await launchChromium(CHROMIUM)
    try {
      const tab = await browser.newPage()
      await tab.goto(`${server.url}/`, { waitUntil: 'load' })
      for (const frame of ['origin', 'p2p'])
        expect(await tab.frameLocator(`#frame-${frame}`).locator('h1').textContent()).toBe('Tiny site')
      await tab.click('#run')
      await tab.waitForSelector('body[data-done="1"]', { timeout: 30_000 })
      expect(await tab.textContent('#status')).toBe('done: 1 loads each')
      expect(Number(await tab.textContent('#ratio'))).toBeGreaterThan(0)
      for (const row of ['origin', 'p2p'])
        expect(Number(await tab.textContent(`#row-${row} td:nth-child(2)`))).toBeGreaterThan(0)
    } finally {
      await browser.close()
      await server.close()
    }
  })

  it('the built CLI: --json --runs 1 exits 0 with one JSON object on stdout, the table on stderr', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first.`)
    const run = await runCli(['speedtest', p2p, '--json', '--runs', '1', '--origin-dir', site])
    expect(run.stderr).toContain('ratio')
    expect(run.code).toBe(0)
    const result = JSON.parse(run.stdout) as SpeedtestResult
    expectShape(result, 1)
    expect(result.resources.p2p.bySource.ipfs.count).toBeGreaterThanOrEqual(ASSETS.length)
    expect(run.stderr).toContain('fell back to the origin: none')
  })

  it('host stopped: every P2P asset falls back to the origin, and is reported so', async () => {
    await host?.stop()
    host = undefined
    const result = await runSpeedtest({ p2pDir: p2p, originDir: site, runs: 2 })
    expectShape(result, 2)
    expect(result.resources.p2p.fallbacks.map((f) => [f.path, f.loads])).toEqual(
      [...ASSETS].sort().map((p) => [p, 2]),
    )
    for (const f of result.resources.p2p.fallbacks) {
      expect(f.url).toBe(`${result.p2p.url.replace(/index\.html$/, '')}${f.path}`)
      expect(f.cid).toBe(canonicalCid(assets.get(f.path)?.cid as string))
    }
    for (const load of result.p2p.loads) {
      const ipfs = load.resources.filter((r) => r.source === 'ipfs')
      expect(ipfs.length).toBeGreaterThan(0)
      for (const r of ipfs) expect(r.failed, r.name).toBe(true)
    }
    const bySource = result.resources.p2p.bySource
    expect(bySource.ipfs.bytes).toBe(0)
    expect(bySource.ipfs.failed).toBeGreaterThanOrEqual(ASSETS.length)
    expect(bySource.origin.bytes).toBeGreaterThan(0)
    expect(result.warnings.map((w) => w.code)).toContain('W_SPEEDTEST_ALL_FELL_BACK')
  })
})
