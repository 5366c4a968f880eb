/**
 * Pages with `<base href>` pointing away from their own folder, published by the real `publish()`
 * with a dead gateway (nothing listens on its port), served from an origin on 127.0.0.1 and
 * opened in Chromium: the fallback runtime's script must load (the browser resolves its URL
 * against the base when it follows the `<base>`), and put the page's image and stylesheet back on
 * the origin. Also `fixtures/site`'s `blog/2020/first post.html` (`<base href="/blog/">`).
 * Assertions are soft, so that a failing page reports everything it got wrong.
 */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publish } from '../../src/index.js'
import { launchChromium } from '../../src/speedtest/index.js'
import { chromium } from '../helpers/chromium.js'
import { copyTree, FIXTURE_SITE, tempDirs } from '../helpers/fs.js'
import { RUNTIME_FILE } from './build-site.js'
import { solidPng } from './media-files.js'
import { startOrigin, type TestServer } from './servers.js'

/** The fallback timeout written into p2pcdn-fallback.json. */
const TIMEOUT = 1500
/** A refused gateway fails at once: everything must be back on the origin well within this. */
const DEADLINE = TIMEOUT + 3000

/**
 * Pages in nested folders with a base elsewhere: their image and stylesheet URLs, written against
 * that base (`{origin}` and `{dead}` stand for the origin's and the dead gateway's URLs), and the
 * runtime's script as published: right after a base on the site, before one on another origin.
 */
const PAGES = {
  'a/b/page.html': {
    base: '/other/',
    img: '../img/dot.png',
    css: '../css/page.css',
    script: '<base href="/other/"><script src="../p2pcdn-fallback.js"></script>',
  },
  'a/b/rel.html': {
    base: '../../x/',
    img: '../img/dot.png',
    css: '/css/page.css',
    script: '<base href="../../x/"><script src="../p2pcdn-fallback.js"></script>',
  },
  'a/b/c/index.html': {
    base: '../../../other/',
    img: '/img/dot.png',
    css: '../css/page.css',
    script: '<base href="../../../other/"><script src="../p2pcdn-fallback.js"></script>',
  },
  'a/b/far.html': {
    base: '{dead}/elsewhere/',
    img: '{origin}/img/dot.png',
    css: '{origin}/css/page.css',
    script: '<head><script src="../../p2pcdn-fallback.js"></script>',
  },
} as const

const temp = tempDirs()
let browser: Browser
let origin: TestServer
let gateway: string
let out: string

/** A URL nothing listens on: a port that was free a moment ago. */
async function deadGateway(): Promise<string> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

const page = (base: string, img: string, css: string) =>
  `<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <title>base</title>\n  <base href="${base}">\n  <link rel="stylesheet" href="${css}">\n</head>\n<body>\n  <img id="dot" src="${img}" alt="dot">\n</body>\n</html>\n`

beforeAll(async () => {
  if (chromium.skip) return
  if (!existsSync(RUNTIME_FILE)) throw new Error(`${RUNTIME_FILE} is missing: run \`npm run build\` first.`)
  const dir = await temp.make('base-href')
  const site = path.join(dir, 'site')
  out = path.join(dir, 'out')
  await copyTree(FIXTURE_SITE, site)
  await fs.mkdir(path.join(site, 'a/b/c'), { recursive: true })
  await fs.writeFile(path.join(site, 'img/dot.png'), solidPng(24, 12, [10, 120, 200]))
  await fs.writeFile(path.join(site, 'css/page.css'), 'body { color: rgb(1, 2, 3); margin: 0 }\n')
  gateway = await deadGateway()
  origin = await startOrigin(out, () => ({}))
  const fill = (url: string) => url.replace('{origin}', origin.url).replace('{dead}', gateway)
  for (const [file, { base, img, css }] of Object.entries(PAGES))
    await fs.writeFile(path.join(site, file), page(fill(base), fill(img), fill(css)))
  await publish({ dir: site, out, cacheDir: false, gateway, origin: origin.url, fallbackTimeout: TIMEOUT })
  browser = await launchChromium(chromium.path)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await origin?.close()
  await temp.cleanup()
})

interface Shown {
  images: Array<{ src: string; width: number }>
  stylesheets: Array<{ href: string; rules: number }>
  color: string
  marginTop: string
}

/** What the page shows, read in the page (a string, so nothing of the test's code is serialised). */
const SHOWN = `({
  images: [...document.images].map((img) => ({ src: img.currentSrc, width: img.naturalWidth })),
  stylesheets: [...document.querySelectorAll('link[rel=stylesheet]')].map((link) => {
    let rules = -1
    try {
      rules = link.sheet ? link.sheet.cssRules.length : -1
    } catch {}
    return { href: link.href, rules }
  }),
  color: getComputedStyle(document.body).color,
  marginTop: getComputedStyle(document.body).marginTop,
})`

/**
 * Opens `sitePath` with the gateway dead; what the page shows once `done` holds (read in the same
 * turn: the runtime's CSSOM fixes can briefly unapply a stylesheet later) or at the deadline, and
 * what the origin was asked for by the load event.
 */
async function visit(sitePath: string, done: string) {
  origin.requests.length = 0
  const context = await browser.newContext()
  try {
    const tab = await context.newPage()
    await tab.goto(`${origin.url}/${sitePath.split('/').map(encodeURIComponent).join('/')}`, {
      waitUntil: 'commit',
    })
    const settled = await tab
      .waitForFunction(`(${done}) && ${SHOWN}`, undefined, { timeout: DEADLINE })
      .catch(() => undefined)
    const shown = (settled ? await settled.jsonValue() : await tab.evaluate(SHOWN)) as Shown
    await tab.waitForLoadState('load', { timeout: DEADLINE }).catch(() => {})
    return { shown, originGets: origin.requests.filter((r) => r.method === 'GET').map((r) => r.path) }
  } finally {
    await context.close()
  }
}

/** The runtime loaded from the site root (and read its data), and the origin answered every request (soft: a failure reports all). */
function expectRuntimeLoaded(originGets: string[]) {
  expect.soft(originGets.filter((p) => p.endsWith('p2pcdn-fallback.js'))).toEqual(['/p2pcdn-fallback.js'])
  expect.soft(originGets).toContain('/p2pcdn-fallback.json')
  const missing = originGets.filter((p) => p !== '/favicon.ico' && !existsSync(path.join(out, p)))
  expect.soft(missing, 'requests the origin answered 404').toEqual([])
}

function expectOnOrigin(shown: Shown) {
  for (const img of shown.images) {
    expect.soft(img.src.startsWith(`${origin.url}/`), img.src).toBe(true)
    expect.soft(img.width, img.src).toBeGreaterThan(0)
  }
  for (const sheet of shown.stylesheets) {
    expect.soft(sheet.href.startsWith(`${origin.url}/`), sheet.href).toBe(true)
    expect.soft(sheet.rules, sheet.href).toBeGreaterThan(0)
  }
}

describe.skipIf(chromium.skip)(chromium.title('<base href> elsewhere, gateway dead, in Chromium'), () => {
  it.each(Object.entries(PAGES).map(([sitePath, { base, script }]) => ({ sitePath, base, script })))(
    '$sitePath, base $base: the runtime loads, image and stylesheet come from the origin',
    async ({ sitePath, script }) => {
      const done = `document.images[0]?.complete && document.images[0].naturalWidth > 0 && getComputedStyle(document.body).color === 'rgb(1, 2, 3)'`
      const { shown, originGets } = await visit(sitePath, done)
      expectRuntimeLoaded(originGets)
      expectOnOrigin(shown)
      expect.soft(shown.images).toEqual([{ src: `${origin.url}/img/dot.png`, width: 24 }])
      expect.soft(shown.stylesheets.map((s) => s.href)).toEqual([`${origin.url}/css/page.css`])
      expect.soft(shown.color).toBe('rgb(1, 2, 3)')
      expect.soft(originGets).toContain('/img/dot.png')
      // Published as IPFS links on the dead gateway, the runtime's script placed as the base needs.
      const html = await fs.readFile(path.join(out, sitePath), 'utf8')
      expect.soft(html).toContain(`src="${gateway}/ipfs/`)
      expect.soft(html).toContain(script)
    },
  )

  it('fixtures/site\'s blog/2020/first post.html (<base href="/blog/">)', async () => {
    const sitePath = 'blog/2020/first post.html'
    const done = `document.images[0]?.complete && document.images[0].naturalWidth > 0 && getComputedStyle(document.body).marginTop === '0px'`
    const { shown, originGets } = await visit(sitePath, done)
    expectRuntimeLoaded(originGets)
    expectOnOrigin(shown)
    expect.soft(shown.images).toEqual([{ src: `${origin.url}/img/icon.png`, width: expect.any(Number) }])
    expect.soft(shown.stylesheets.map((s) => s.href)).toEqual([`${origin.url}/css/site.css`])
    // site.css's `body { margin: 0 }` applies.
    expect.soft(shown.marginTop).toBe('0px')
    const html = await fs.readFile(path.join(out, sitePath), 'utf8')
    expect.soft(html).toContain('<base href="/blog/"><script src="../p2pcdn-fallback.js"></script>')
  })
})
