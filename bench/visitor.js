#!/usr/bin/env node
/**
 * Visitor benchmark (`npm run bench` runs it last), or
 *
 *   node bench/visitor.js [--quick]
 *
 * 1. The paper's page-load comparison: an Apple-like page (66 images of 22 KB, the size of the
 *    paper's test image) published with IPFS links to a `p2pcdn host`, loaded in headless
 *    Chromium from the origin and from the host (`runSpeedtest`, cold cache, median of runs),
 *    reported as the paper's ratio: origin time / P2P time.
 * 2. The paper's open problem, a 134 MB file: fetched in Chromium through the service worker
 *    from one host, then from three hosts in parallel, beside a plain `fetch` of the same file
 *    from a static HTTP server (the reference) in the same run.
 * Everything on 127.0.0.1; hosts are `p2pcdn host` child processes. Writes bench/results/visitor.json.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { loopbackHostArgs, postFile, startServerChild } from './lib/host-clients.js'
import { REPO } from './lib/runners.js'

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
await import(path.join(REPO, 'dist/src/utils/promise-with-resolvers.js'))
const { publish } = await import(path.join(REPO, 'dist/src/index.js'))
const { createToken } = await import(path.join(REPO, 'dist/src/host/index.js'))
const { DEFAULT_CHROMIUM, launchChromium, runSpeedtest, startSpeedtestServer } = await import(
  path.join(REPO, 'dist/src/speedtest/index.js')
)

const IMAGES = 66
const IMAGE_SIZE = 22_000
const BIG = flags.quick ? 20_000_000 : 134_000_000
const PAGE_RUNS = flags.quick ? 3 : 9
const BIG_RUNS = flags.quick ? 1 : 3
const CHROMIUM = DEFAULT_CHROMIUM
const work = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-bench-visitor-'))
const children = []
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const log = (line) => process.stderr.write(`[visitor] ${line}\n`)

async function startHosts(n) {
  const hosts = []
  for (let i = 0; i < n; i++) {
    const repo = path.join(work, `host-${i}`)
    const { token } = await createToken(repo, 'bench')
    const child = await startServerChild(loopbackHostArgs(repo), { cwd: REPO })
    children.push(child)
    hosts.push({ url: child.info.http, token })
  }
  return hosts
}

const upload = (host, car) =>
  postFile(`${host.url}/p2pcdn/v1/car`, car, {
    Authorization: `Bearer ${host.token}`,
    'Content-Type': 'application/vnd.ipld.car',
  })

try {
  const hosts = await startHosts(3)

  // 1. The Apple-like page: origin vs P2P, the paper's ratio.
  const site = path.join(work, 'apple-like')
  await fs.mkdir(path.join(site, 'img'), { recursive: true })
  const png = await fs.readFile(path.join(REPO, 'fixtures/site/img/hero.png'))
  const imgs = []
  for (let i = 0; i < IMAGES; i++) {
    // A valid PNG padded after its end to the paper's size: every image a distinct block.
    await fs.writeFile(
      path.join(site, 'img', `p${i}.png`),
      Buffer.concat([png, randomBytes(IMAGE_SIZE - png.length)]),
    )
    imgs.push(`<img src="img/p${i}.png" width="40" height="30" alt="">`)
  }
  await fs.writeFile(
    path.join(site, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>Apple-like</title></head><body><h1>Products</h1>${imgs.join('\n')}</body></html>\n`,
  )
  const pageOut = `${site}-p2p`
  const page = await publish({ dir: site, out: pageOut, cacheDir: false, gateway: hosts[0].url, car: true })
  for (const host of hosts)
    if ((await upload(host, page.car)).status !== 201) throw new Error('upload failed')
  log(`page: ${IMAGES} images of ${IMAGE_SIZE} bytes; speedtest, ${PAGE_RUNS} runs per variant`)
  const speed = await runSpeedtest({ p2pDir: pageOut, originDir: site, runs: PAGE_RUNS, chromium: CHROMIUM })

  // 2. The 134 MB file through the service worker: one host, then three.
  const bigSite = path.join(work, 'video')
  await fs.mkdir(bigSite, { recursive: true })
  const bigFile = path.join(bigSite, 'video.bin')
  await fs.writeFile(bigFile, randomBytes(BIG))
  await fs.writeFile(
    path.join(bigSite, 'index.html'),
    '<!doctype html><title>video</title><video src="video.bin" preload="none"></video>\n',
  )
  const bigOut = `${bigSite}-p2p`
  const sources = hosts.map((h) => h.url)
  const big = await publish({
    dir: bigSite,
    out: bigOut,
    cacheDir: false,
    gateway: hosts[0].url,
    serviceWorker: { sources, timeout: 10_000 },
    car: true,
  })
  for (const host of hosts) if ((await upload(host, big.car)).status !== 201) throw new Error('upload failed')
  const manifest = JSON.parse(await fs.readFile(path.join(bigOut, 'p2pcdn-manifest.json'), 'utf8'))
  const cid = manifest.assets.find((a) => a.path === 'video.bin').cid
  // The site's origin: both variants, with the right content types (the speedtest's server).
  const origin = await startSpeedtestServer({ p2pDir: bigOut, originDir: bigSite })
  children.push({ stop: () => origin.close() })
  const plain = await startServerChild([path.join(REPO, 'bench/lib/static-server.js'), '--dir', bigSite], {
    cwd: REPO,
  })
  children.push(plain)
  const configFile = path.join(bigOut, 'p2pcdn-sw.json')
  const config = JSON.parse(await fs.readFile(configFile, 'utf8'))
  const browser = await launchChromium(CHROMIUM)
  /** ms to fetch `url` whole in a page of the site, under the worker when `controlled`. */
  const timeFetch = async (url, controlled) => {
    const context = await browser.newContext()
    try {
      const tab = await context.newPage()
      await tab.goto(`${origin.url}/p2p/index.html`)
      if (controlled) {
        await tab.evaluate(() =>
          navigator.serviceWorker.register('p2pcdn-sw.js').then(() => navigator.serviceWorker.ready),
        )
        await tab.reload()
        await tab.waitForFunction(() => navigator.serviceWorker.controller !== null)
      }
      return await tab.evaluate(async (url) => {
        const started = performance.now()
        const response = await fetch(url, { cache: 'no-store' })
        let bytes = 0
        const reader = response.body.getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          bytes += value.length
        }
        return { ms: performance.now() - started, bytes }
      }, url)
    } finally {
      await context.close()
    }
  }
  const link = `${hosts[0].url}/ipfs/${cid}?filename=video.bin`
  const runsOf = async (label, url, controlled, sourceList) => {
    if (sourceList) {
      await fs.writeFile(
        configFile,
        `${JSON.stringify({ ...config, version: `${config.version}-${sourceList.length}`, sources: sourceList })}\n`,
      )
    }
    const times = []
    for (let r = 0; r < BIG_RUNS; r++) {
      const { ms, bytes } = await timeFetch(url, controlled)
      if (bytes !== BIG) throw new Error(`${label}: got ${bytes} of ${BIG} bytes`)
      times.push(ms)
    }
    log(`${label}: ${times.map((t) => Math.round(t)).join(', ')} ms`)
    return { medianMs: median(times), runsMs: times, mbps: BIG / 1e6 / (median(times) / 1000) }
  }
  const plainRun = await runsOf('plain HTTP', `${plain.info.url}/video.bin`, false)
  const oneHost = await runsOf('service worker, 1 host', link, true, [hosts[0].url])
  const threeHosts = await runsOf('service worker, 3 hosts', link, true, sources)
  await browser.close()

  const record = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model },
    page: {
      images: IMAGES,
      imageBytes: IMAGE_SIZE,
      runs: PAGE_RUNS,
      originMedianMs: speed.origin.loadMs.median,
      p2pMedianMs: speed.p2p.loadMs.median,
      ratio: speed.ratio,
      p2pResources: speed.resources.p2p.bySource,
      fallbacks: speed.resources.p2p.fallbacks.length,
    },
    bigFile: {
      bytes: BIG,
      runs: BIG_RUNS,
      plainHttp: plainRun,
      oneHost,
      threeHosts,
      threeOverOne: oneHost.medianMs / threeHosts.medianMs,
    },
  }
  const lines = [
    `visitor bench (127.0.0.1, 3 hosts as child processes, headless Chromium)`,
    `  Apple-like page, ${IMAGES} × 22 KB: origin ${speed.origin.loadMs.median.toFixed(0)} ms, P2P ${speed.p2p.loadMs.median.toFixed(0)} ms → paper's ratio origin/P2P = ${speed.ratio.toFixed(2)} (${speed.resources.p2p.fallbacks.length} fallbacks)`,
    `  ${(BIG / 1e6).toFixed(0)} MB file: plain HTTP ${plainRun.medianMs.toFixed(0)} ms (${plainRun.mbps.toFixed(0)} MB/s, reference)`,
    `    service worker, 1 host  ${oneHost.medianMs.toFixed(0)} ms (${oneHost.mbps.toFixed(0)} MB/s) = ${(oneHost.medianMs / plainRun.medianMs).toFixed(2)}× plain`,
    `    service worker, 3 hosts ${threeHosts.medianMs.toFixed(0)} ms (${threeHosts.mbps.toFixed(0)} MB/s) = ${(threeHosts.medianMs / plainRun.medianMs).toFixed(2)}× plain; ${record.bigFile.threeOverOne.toFixed(2)}× faster than 1 host`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  const name = flags.quick ? 'visitor.quick.json' : 'visitor.json'
  await fs.writeFile(path.join(REPO, 'bench/results', name), `${JSON.stringify(record, null, 2)}\n`)
  process.stdout.write(`  → bench/results/${name}\n`)
} finally {
  for (const child of children) await child.stop().catch(() => {})
  await fs.rm(work, { recursive: true, force: true })
}
