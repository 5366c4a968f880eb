/**
 * The gallery app (images referenced only from JavaScript, a lazy chunk) built
 * by real Vite and webpack production builds with the p2pcdn plugin, served
 * from a local origin, its IPFS links on a local gateway, in a real Chromium:
 * with the gateway up the images come from the gateway; refusing or hanging,
 * the fallback runtime puts them back on the origin; either way the entry
 * script (kept on the origin) loads its lazy chunk.
 */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MANIFEST_FILE, type Manifest } from '../../src/index.js'
import { launchChromium } from '../../src/speedtest/index.js'
import { chromium } from '../helpers/chromium.js'
import { tempDirs } from '../helpers/fs.js'
import { RUNTIME_FILE } from '../runtime/build-site.js'
import {
  type GatewayMode,
  startGateway,
  startOrigin,
  type TestGateway,
  type TestServer,
} from '../runtime/servers.js'
import { type Bundler, buildGallery } from './gallery-builds.js'

/** The fallback timeout of the builds, short to keep the suite fast. */
const TIMEOUT = 1000
const temps = tempDirs()
let browser: Browser
let gateway: TestGateway
const sites = new Map<Bundler, { origin: TestServer; manifest: Manifest }>()

beforeAll(async () => {
  if (chromium.skip) return
  if (!existsSync(RUNTIME_FILE)) throw new Error(`${RUNTIME_FILE} is missing: run \`npm run build\` first.`)
  gateway = await startGateway()
  for (const bundler of ['vite', 'webpack'] as const) {
    const app = await temps.make(`gallery-${bundler}`)
    const outDir = path.join(app, 'dist')
    // The origin serves the build output; its URL goes into the build, so start it first.
    const origin = await startOrigin(outDir, () => ({}))
    await buildGallery(bundler, app, {
      gateway: gateway.url,
      origin: origin.url,
      fallbackTimeout: TIMEOUT,
      cacheDir: false,
    })
    const manifest = JSON.parse(await fs.readFile(path.join(outDir, MANIFEST_FILE), 'utf8')) as Manifest
    for (const asset of manifest.assets)
      gateway.files.set(asset.cid, {
        bytes: await fs.readFile(path.join(outDir, asset.path)),
        name: asset.path,
      })
    sites.set(bundler, { origin, manifest })
  }
  browser = await launchChromium(chromium.path)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await gateway?.close()
  for (const { origin } of sites.values()) await origin.close()
  await temps.cleanup()
})

/** The two images as the page shows them: the URL each came from, and whether it decoded. */
async function images(page: Page) {
  return page.evaluate(() =>
    ['photo', 'badge'].map((id) => {
      const img = document.getElementById(id) as HTMLImageElement | null
      return { id, src: img?.currentSrc ?? '', width: img?.complete ? img.naturalWidth : 0 }
    }),
  )
}

async function visit(bundler: Bundler, mode: GatewayMode) {
  const site = sites.get(bundler)
  if (site === undefined) throw new Error(`no ${bundler} build`)
  await gateway.setMode(mode)
  gateway.requests.length = 0
  site.origin.requests.length = 0
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${site.origin.url}/`, { waitUntil: 'commit' })
    // Both images decoded (the photo is 64 px wide, the badge 40 px), or the deadline.
    await page
      .waitForFunction(
        () =>
          ['photo', 'badge'].every((id) => {
            const img = document.getElementById(id) as HTMLImageElement | null
            return img?.complete && img.naturalWidth > 0
          }),
        undefined,
        { timeout: TIMEOUT + 3000 },
      )
      .catch(() => {})
    const shown = await images(page)
    // The entry script's lazy chunk, imported by a relative URL, loads.
    await page.click('#more')
    await page.waitForFunction(
      () => document.getElementById('gallery')?.dataset.more === 'loaded',
      undefined,
      {
        timeout: 5000,
      },
    )
    return {
      shown,
      errors,
      cid: (name: string) =>
        site.manifest.assets.find((a) => new RegExp(`${name}-[^/]+\\.png$`).test(a.path))?.cid,
      sitePath: (name: string) =>
        site.manifest.assets.find((a) => new RegExp(`${name}-[^/]+\\.png$`).test(a.path))?.path,
      gatewayGets: gateway.requests.filter((r) => r.method === 'GET').map((r) => r.path),
      originGets: site.origin.requests.filter((r) => r.method === 'GET').map((r) => r.path),
      origin: site.origin.url,
    }
  } finally {
    await context.close()
  }
}

const SUITE = chromium.title('%s build in Chromium')

describe.skipIf(chromium.skip).each(['vite', 'webpack'] as const)(SUITE, (bundler) => {
  it('gateway up: the images a script names come from the gateway', async () => {
    const r = await visit(bundler, 'up')
    expect(r.errors).toEqual([])
    expect(r.shown.map((s) => s.width)).toEqual([64, 40])
    for (const name of ['photo', 'badge']) {
      expect(r.gatewayGets).toContain(`/ipfs/${r.cid(name)}`)
      expect(r.originGets).not.toContain(`/${r.sitePath(name)}`)
      expect(r.shown.find((s) => s.id === name)?.src).toContain(`${gateway.url}/ipfs/${r.cid(name)}`)
    }
  })

  it.each(['refusing', 'hanging'] as const)(
    'gateway %s: the fallback runtime puts them back on the origin',
    async (mode) => {
      const r = await visit(bundler, mode)
      expect(r.errors).toEqual([])
      expect(r.shown.map((s) => s.width)).toEqual([64, 40])
      for (const name of ['photo', 'badge']) {
        expect(r.originGets).toContain(`/${r.sitePath(name)}`)
        expect(r.shown.find((s) => s.id === name)?.src).toBe(`${r.origin}/${r.sitePath(name)}`)
      }
    },
  )
})
