/**
 * The fallback runtime in a real Chromium (Debian's `chromium`, driven by
 * playwright-core): the fixture site, rewritten by the real rewriter into
 * links on a local gateway, served from a local origin, with the gateway up,
 * refusing connections, or hanging; and with JavaScript off.
 */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../../src/speedtest/index.js'
import { chromium } from '../helpers/chromium.js'
import { tempDirs } from '../helpers/fs.js'
import { type BuiltSite, buildSite, FONT_FAMILY, RUNTIME_FILE } from './build-site.js'
import { loaded, type PageReport, rendered, waitFor } from './page-report.js'
import { startGateway, startOrigin, type TestGateway, type TestServer } from './servers.js'

/** The fallback timeout written into p2pcdn-fallback.json, short to keep the suite fast. */
const TIMEOUT = 1500
/** The bound: everything rendered, and the load event over, by the timeout plus 1 s. */
const DEADLINE = TIMEOUT + 1000

/** What each page must show, by site path: every asset the browser fetches for it. */
const PAGES: Record<string, string[]> = {
  'index.html': [
    'css/site.css',
    'css/fonts.css', // @import-ed by css/site.css
    'fonts/widget.woff2',
    'favicon.png',
    'img/hero.png', // .banner background, from a url( ) with newlines in css/site.css
    'img/hero@2x.png', // the srcset candidate at device pixel ratio 2
    'img/café été.png',
    'img/icon.png', // the style="" background
  ],
  'blog/2020/first post.html': ['css/site.css', 'css/fonts.css', 'fonts/widget.woff2', 'img/icon.png'],
  'media.html': [
    'css/media.css', // declares the font itself: no @import
    'fonts/widget.woff2',
    'img/hero.png',
    'img/wide.png', // picture > source, and the <style> block's background
    'img/poster.png',
    'media/tone.wav', // video > source, audio src
    'img/icon.png', // svg image, input type=image
  ],
}
/**
 * Why the hanging-gateway tests check rendering and not the window's `load`
 * event: a request that CSS started on the gateway before the timeout (a
 * `style=""` or `<style>` background, an `@import`, a font) stays open after
 * the runtime has replaced its URL, until Chromium garbage-collects the old
 * CSS value (which cancels it) or the gateway answers, and until then it holds
 * the `load` event. Element requests (img, link, media) are cancelled when
 * their attribute changes. Everything renders from the origin in time either way.
 */
export const HELD_LOAD_EVENT = 'CSS-initiated gateway requests outlive their replacement until GC'

const temp = tempDirs()
let browser: Browser
let gateway: TestGateway
let origin: TestServer
let site: BuiltSite

beforeAll(async () => {
  if (chromium.skip) return
  if (!existsSync(RUNTIME_FILE)) throw new Error(`${RUNTIME_FILE} is missing: run \`npm run build\` first.`)
  gateway = await startGateway()
  const dir = await temp.make('runtime')
  // A strict CSP: scripts only from the origin and the gateway, no inline script.
  origin = await startOrigin(dir, () => ({ 'Content-Security-Policy': `script-src 'self' ${gateway.url}` }))
  site = await buildSite(dir, { gateway: gateway.url, origin: origin.url, timeout: TIMEOUT })
  for (const [sitePath, asset] of site.assets)
    gateway.files.set(asset.cid, { bytes: await fs.readFile(path.join(dir, sitePath)), name: sitePath })
  browser = await launchChromium(chromium.path, [
    '--disable-gpu',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--autoplay-policy=no-user-gesture-required',
  ])
})

afterAll(async () => {
  await browser?.close()
  await gateway?.close()
  await origin?.close()
  await temp.cleanup()
})

async function withContext<T>(javaScriptEnabled: boolean, run: (context: BrowserContext) => Promise<T>) {
  const context = await browser.newContext({ deviceScaleFactor: 2, javaScriptEnabled })
  try {
    return await run(context)
  } finally {
    await context.close()
  }
}

/** Opens a page with the gateway in `mode`, waits until `done` (or the deadline); what it showed and fetched. */
async function visit(
  page: string,
  mode: TestGateway['mode'],
  {
    javaScriptEnabled = true,
    done = loaded,
  }: { javaScriptEnabled?: boolean; done?: (r: PageReport) => boolean } = {},
) {
  await gateway.setMode(mode)
  gateway.requests.length = 0
  origin.requests.length = 0
  return withContext(javaScriptEnabled, async (context) => {
    const tab = await context.newPage()
    const url = `${origin.url}/${page.split('/').map(encodeURIComponent).join('/')}`
    await tab.goto(url, { waitUntil: 'commit' })
    const report = await waitFor(tab, FONT_FAMILY, DEADLINE, done)
    return {
      report,
      gatewayGets: gateway.requests.filter((r) => r.method === 'GET').map((r) => r.path),
      originGets: origin.requests.filter((r) => r.method === 'GET').map((r) => r.path),
    }
  })
}

const cidPath = (sitePath: string) => `/ipfs/${site.assets.get(sitePath)?.cid}`
const onGateway = (url: string) => url.startsWith(`${gateway.url}/ipfs/`)
const onOrigin = (url: string) => url.startsWith(`${origin.url}/`)
/** Resource Timing's decoded size of the copy of `sitePath` fetched from the origin. */
const fromOrigin = (report: PageReport, sitePath: string) =>
  Object.entries(report.resources).find(
    ([url]) => onOrigin(url) && decodeURIComponent(new URL(url).pathname) === `/${sitePath}`,
  )?.[1] ?? 0
const fromGateway = (report: PageReport, sitePath: string) =>
  Object.entries(report.resources).find(([url]) => onGateway(url) && url.includes(cidPath(sitePath)))?.[1] ??
  0

/** Everything rendered in time, from the origin, and the origin served every asset. */
function expectFromOrigin(report: PageReport, originGets: string[], expected: string[]) {
  expect(report.rendered.filter((r) => !r.ok)).toEqual([])
  expect(report.fontWidth).toBe(80)
  expect(report.now).toBeLessThanOrEqual(DEADLINE)
  for (const r of report.rendered) expect(onOrigin(r.url), `${r.what}: ${r.url}`).toBe(true)
  for (const href of report.links) expect(onOrigin(href), href).toBe(true)
  // Chromium fetches the icon after the load event, which a hanging gateway may hold (HELD_LOAD_EVENT).
  for (const sitePath of expected.filter((p) => p !== 'favicon.png' || report.loadEventEnd > 0)) {
    expect(originGets, sitePath).toContain(`/${sitePath}`)
    expect(fromOrigin(report, sitePath), sitePath).toBeGreaterThan(0)
  }
}

describe.skipIf(chromium.skip)(chromium.title('fallback runtime in Chromium'), () => {
  it('is one small external script: < 3 KB minified', async () => {
    const bytes = await fs.readFile(RUNTIME_FILE)
    expect(bytes.length).toBeLessThan(3 * 1024)
    expect(gzipSync(bytes).length).toBeLessThan(1536)
    // Every page names it first in <head>, or right after its <base href> (relative to the base).
    const index = await fs.readFile(path.join(site.dir, 'index.html'), 'utf8')
    expect(index).toContain('<head><script src="p2pcdn-fallback.js"></script>')
    const html = await fs.readFile(path.join(site.dir, 'blog/2020/first post.html'), 'utf8')
    expect(html).toContain('<base href="/blog/"><script src="../p2pcdn-fallback.js"></script>')
    for (const [page, expected] of Object.entries(PAGES))
      expect(site.references.get(page), page).toEqual(expect.arrayContaining(expected))
  })

  describe.each(Object.keys(PAGES))('%s', (page) => {
    const expected = PAGES[page] as string[]

    it('gateway up: every asset is fetched from the gateway and renders', async () => {
      const { report, gatewayGets, originGets } = await visit(page, 'up')
      expect(report.rendered.filter((r) => !r.ok)).toEqual([])
      expect(loaded(report)).toBe(true)
      for (const r of report.rendered) expect(onGateway(r.url), `${r.what}: ${r.url}`).toBe(true)
      for (const sitePath of expected) {
        expect(gatewayGets, sitePath).toContain(cidPath(sitePath))
        expect(originGets, sitePath).not.toContain(`/${sitePath}`)
        // Chromium keeps out of Resource Timing what a no-cors (imported) stylesheet fetches;
        // the font's width shows it rendered, and only the gateway served it.
        if (sitePath !== 'fonts/widget.woff2')
          expect(fromGateway(report, sitePath), sitePath).toBeGreaterThan(0)
      }
    })

    it('gateway refusing: everything renders from the origin, and the page loads, within the timeout + 1 s', async () => {
      const { report, originGets } = await visit(page, 'refusing')
      expectFromOrigin(report, originGets, expected)
      expect(report.readyState).toBe('complete')
      expect(report.loadEventEnd).toBeGreaterThan(0)
      expect(report.loadEventEnd).toBeLessThanOrEqual(DEADLINE)
    })

    it('gateway hanging: everything renders from the origin within the timeout + 1 s', async () => {
      // Not the window's load event: see HELD_LOAD_EVENT.
      const { report, originGets } = await visit(page, 'hanging', { done: rendered })
      expectFromOrigin(report, originGets, expected)
    })
  })

  it('an element added after load, with the gateway down, goes to the origin at once', async () => {
    await gateway.setMode('refusing')
    await withContext(true, async (context) => {
      const tab = await context.newPage()
      await tab.goto(`${origin.url}/media.html`, { waitUntil: 'load' })
      const link = `${gateway.url}${cidPath('img/wide.png')}?filename=wide.png`
      const src = await tab.evaluate(async (link) => {
        const img = document.createElement('img')
        img.setAttribute('src', link)
        img.setAttribute('data-p2pcdn-src', 'img/wide.png')
        document.body.append(img)
        await img.decode().catch(() => undefined)
        await new Promise((resolve) => setTimeout(resolve, 100))
        return img.complete && img.naturalWidth > 0 ? img.currentSrc : 'broken'
      }, link)
      expect(src).toBe(`${origin.url}/img/wide.png`)
    })
  })

  describe('a deferred script with integrity (script.html)', () => {
    const ranApp = (r: PageReport) => r.appRuns > 0 && r.loadEventEnd > 0

    it('gateway up: runs once, from the gateway', async () => {
      const { report, gatewayGets, originGets } = await visit('script.html', 'up', { done: ranApp })
      expect(report.appRuns).toBe(1)
      expect(gatewayGets).toContain(cidPath('js/app.js'))
      expect(originGets).not.toContain('/js/app.js')
    })

    it('gateway refusing: runs once, from the origin, within the timeout + 1 s', async () => {
      const { report, originGets } = await visit('script.html', 'refusing', { done: ranApp })
      expect(report.appRuns).toBe(1)
      expect(fromOrigin(report, 'js/app.js')).toBeGreaterThan(0)
      expect(originGets).toContain('/js/app.js')
      expect(report.loadEventEnd).toBeGreaterThan(0)
      expect(report.loadEventEnd).toBeLessThanOrEqual(DEADLINE)
    })

    it('gateway hanging: waits for the gateway (a second copy could run twice), holding DOMContentLoaded', async () => {
      const { report, originGets } = await visit('script.html', 'hanging', { done: ranApp })
      expect(report.now).toBeGreaterThan(DEADLINE)
      expect(report.appRuns).toBe(0)
      expect(report.readyState).toBe('interactive')
      expect(originGets).not.toContain('/js/app.js')
    })
  })

  describe('JavaScript disabled: no fallback runs', () => {
    it.each(Object.keys(PAGES))('gateway up: %s renders from the gateway all the same', async (page) => {
      const { report, gatewayGets, originGets } = await visit(page, 'up', { javaScriptEnabled: false })
      expect(report.rendered.filter((r) => !r.ok)).toEqual([])
      expect(report.fontWidth).toBe(80)
      for (const r of report.rendered) expect(onGateway(r.url), `${r.what}: ${r.url}`).toBe(true)
      for (const sitePath of PAGES[page] as string[])
        expect(gatewayGets, sitePath).toContain(cidPath(sitePath))
      expect(originGets).not.toContain('/p2pcdn-fallback.json')
    })

    it.each(Object.keys(PAGES))(
      'gateway refusing: %s has no images, backgrounds, poster or font',
      async (page) => {
        const { report, originGets } = await visit(page, 'refusing', {
          javaScriptEnabled: false,
          done: (r) => r.loadEventEnd > 0,
        })
        expect(report.rendered.length).toBeGreaterThan(0)
        for (const r of report.rendered) {
          expect(r.ok, `${r.what}: ${r.url}`).toBe(false)
          expect(onGateway(r.url), `${r.what}: ${r.url}`).toBe(true)
        }
        expect(report.fontWidth).not.toBe(80)
        // The page and its text arrive; no asset comes from the origin.
        const pagePath = `/${page}`
        expect(
          originGets.filter((p) => p !== pagePath && p !== '/p2pcdn-fallback.js' && p !== '/favicon.ico'),
        ).toEqual([])
      },
    )
  })
})
