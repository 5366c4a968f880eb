#!/usr/bin/env node
/**
 * Organic swarm formation on emulated networks (issue 16):
 *
 *   node bench/swarm.js [--quick]
 *
 * Three `p2pcdn host`s at 5, 30 and 80 ms RTT from a visitor (network namespaces, `p2pcdn/netem`),
 * an origin, and the visitor's headless Chromium in its own namespace. The site is published once,
 * pushed to the far host only, with a `p2pcdn-sw.json` that names only the far host; the near and
 * middle hosts join afterwards with `p2pcdn host --follow <name> --follow-from <far host>` (never
 * pushed to). Measured in the same run:
 * - publish → follower: from the end of a second publish (a new version pushed to the far host)
 *   to each follower's gateway serving its root;
 * - the share of the asset bytes the visitor's worker took from the nearest host, with discovery
 *   (providers asked of the far host, candidates probed) — the reference is the fixed list of
 *   publish time (the far host alone), where that share is 0 by construction;
 * - page-load time (cold browser context, worker installed, then the timed reload), median of runs,
 *   with discovery beside the fixed source list (the same site with discovery turned off).
 * Needs root (namespaces); without it, says why and writes `{ skipped }`. Writes bench/results/swarm.json;
 * SWARM_DEBUG=1 also prints each load's worker stats and the far host's providers answer.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import zlib from 'node:zlib'
import { firstJsonLine, stopChild } from './lib/children.js'
import { REPO } from './lib/runners.js'

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
await import(path.join(REPO, 'dist/src/utils/promise-with-resolvers.js'))
const { checkNetem, createNetwork } = await import(path.join(REPO, 'dist/src/netem/index.js'))
const { launchChromium, DEFAULT_CHROMIUM } = await import(path.join(REPO, 'dist/src/speedtest/index.js'))

const CLI = path.join(REPO, 'dist/cli/bin.js')
const STATIC_SERVER = path.join(REPO, 'bench/lib/static-server.js')
const RESULTS = path.join(REPO, 'bench/results', flags.quick ? 'swarm.quick.json' : 'swarm.json')
const PORT = { http: 4080, libp2p: 4011, origin: 8080 }
/** One-way delay of each host's link; the visitor's link adds none, so RTT = 2 × delay. */
const HOSTS = { near: 2.5, mid: 15, far: 40 }
const IMAGES = flags.quick ? 12 : 30
const IMAGE_SIZE = 100_000
const RUNS = flags.quick ? 3 : 7
const FOLLOW_INTERVAL_S = 10
/** The run's temporary folder, emulated network and child processes (set by {@link main}). */
let work
let network
const children = []
/** The run's IPNS key (base64 protobuf, as `$P2PCDN_IPNS_KEY` takes it), made on first use. */
let key
const log = (line) => process.stderr.write(`[swarm] ${line}\n`)
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function writeResults(value) {
  await fs.mkdir(path.dirname(RESULTS), { recursive: true })
  await fs.writeFile(`${RESULTS}.tmp`, `${JSON.stringify(value, null, 2)}\n`)
  await fs.rename(`${RESULTS}.tmp`, RESULTS)
}

/** The far host (the publisher's) first; the followers start later with {@link startHost}. */
async function startHosts() {
  return { far: await startHost('far', {}) }
}

/** A `p2pcdn host` inside node `name`'s namespace, its gateway announced at the node's address. */
async function startHost(name, { follow, from }) {
  const node = network.node(name)
  const repo = path.join(work, `host-${name}`)
  const token = (await runCli(['host', 'token', 'create', '--repo', repo, '--label', 'bench'])).trim()
  const url = `http://${node.address}:${PORT.http}`
  const args = [
    CLI,
    'host',
    '--repo',
    repo,
    '--http',
    `0.0.0.0:${PORT.http}`,
    '--announce-http',
    url,
    '--listen',
    `/ip4/0.0.0.0/tcp/${PORT.libp2p}`,
    '--announce',
    `/ip4/${node.address}/tcp/${PORT.libp2p}`,
    '--dht',
    'lan',
    '--json',
  ]
  if (from) args.push('--bootstrap', from.multiaddr)
  if (follow)
    args.push('--follow', follow, '--follow-from', from.url, '--follow-interval', String(FOLLOW_INTERVAL_S))
  const child = node.spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  const info = await firstJsonLine(child, 60_000, `the host on ${name}`)
  log(`${name}: p2pcdn host ${info.peerId} at ${url} (RTT ${network.rttMs('client', name)} ms)`)
  return {
    name,
    url,
    token,
    peerId: info.peerId,
    multiaddr: `/ip4/${node.address}/tcp/${PORT.libp2p}/p2p/${info.peerId}`,
  }
}

/** A flat site (the static server serves one folder): a page with `IMAGES` images; `version` changes one. */
async function writeSite(dir, version) {
  await fs.mkdir(dir, { recursive: true })
  const images = []
  for (let i = 0; i < IMAGES; i++) {
    const file = `image-${i}.png`
    if (version === 1 || i === 0) await fs.writeFile(path.join(dir, file), randomPng(IMAGE_SIZE))
    images.push(`<img src="${file}" width="10" height="10">`)
  }
  await fs.writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>swarm v${version}</title></head><body>${images.join('')}</body></html>\n`,
  )
  return dir
}

/** A valid PNG of random RGB pixels, about `bytes` long (noise does not compress), so that the page can tell a loaded image. */
function randomPng(bytes) {
  const width = 200
  const height = Math.ceil(bytes / (width * 3 + 1))
  const rows = Buffer.alloc(height * (width * 3 + 1))
  for (let y = 0; y < height; y++) randomBytes(width * 3).copy(rows, y * (width * 3 + 1) + 1)
  const chunk = (type, data) => {
    const head = Buffer.alloc(8)
    head.writeUInt32BE(data.length)
    head.write(type, 4, 'latin1')
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])))
    return Buffer.concat([head, data, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** `p2pcdn publish` with the far host registered and as the worker's only source. */
async function publishSite(site, out, far) {
  const config = path.join(work, 'p2pcdn.config.json')
  await fs.writeFile(
    config,
    JSON.stringify({
      origin: 'http://origin.invalid',
      gateway: far.url,
      serviceWorker: { sources: [far.url] },
      hosts: [{ name: 'far', url: far.url, type: 'p2pcdn', tokenEnv: 'SWARM_FAR_TOKEN' }],
    }),
  )
  // The publisher sits at the origin: its push crosses the emulated network to the far host.
  const stdout = await runCli(['publish', site, '--out', out, '--config', config, '--json'], {
    env: { SWARM_FAR_TOKEN: far.token, P2PCDN_IPNS_KEY: await benchKey() },
    node: network.node('origin'),
  })
  const result = JSON.parse(stdout)
  return { root: result.root, ipns: result.ipns }
}

/** One Ed25519 key for the run, as the CI variable gives it. */
async function benchKey() {
  if (!key) {
    const { generateKeyPair, privateKeyToProtobuf } = await import('@libp2p/crypto/keys')
    key = Buffer.from(privateKeyToProtobuf(await generateKeyPair('Ed25519'))).toString('base64')
  }
  return key
}

/** Polls a gateway until it serves a block, from inside a namespace; prints the Date.now() it did. */
const POLL = `
const [url, deadline] = process.argv.slice(1)
const poll = async () => {
  for (;;) {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(() => undefined)
    await res?.arrayBuffer()
    if (res?.status === 200) return console.log(Date.now())
    if (Date.now() > Number(deadline)) process.exit(1)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
poll()
`

/** ms from \`since\` (or now) until \`host\`'s gateway serves \`root\`, polled from the visitor's node. */
async function servedAfter(host, root, since) {
  const begin = since || Date.now()
  const url = `${host.url}/ipfs/${root}?format=raw`
  const result = await network
    .node('client')
    .exec(process.execPath, ['-e', POLL, url, String(Date.now() + 5 * 60_000)], { timeoutMs: 6 * 60_000 })
  if (result.code !== 0) throw new Error(`${host.name} did not serve ${root} within 5 minutes`)
  return Number(result.stdout.trim()) - begin
}

/** A copy of the output whose worker config names no root: the worker keeps its publish-time sources. */
async function fixedSourceCopy(out) {
  const copy = path.join(work, 'out-fixed')
  await fs.cp(out, copy, { recursive: true })
  const file = path.join(copy, 'p2pcdn-sw.json')
  const config = JSON.parse(await fs.readFile(file, 'utf8'))
  delete config.root
  config.routers = []
  config.version = `${config.version}-fixed`
  await fs.writeFile(file, `${JSON.stringify(config, null, 2)}\n`)
  return copy
}

/** One static server per variant on the origin node. */
async function startOrigin(dirs) {
  const node = network.node('origin')
  const urls = {}
  let port = PORT.origin
  for (const [name, dir] of Object.entries(dirs)) {
    const child = node.spawn(process.execPath, [STATIC_SERVER, '--dir', dir, '--listen', `0.0.0.0:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    await firstJsonLine(child, 30_000, `the origin server (${name})`)
    urls[name] = `http://${node.address}:${port}`
    port++
  }
  return urls
}

/** Chromium in the visitor's namespace (through `ip netns exec`), the origins treated as secure. */
async function visitorBrowser(origins) {
  const wrapper = path.join(work, 'chromium-in-client.sh')
  const [file, args] = network.node('client').command(DEFAULT_CHROMIUM)
  await fs.writeFile(wrapper, `#!/bin/sh\nexec ${[file, ...args].join(' ')} "$@"\n`, { mode: 0o755 })
  return launchChromium(wrapper, [
    `--unsafely-treat-insecure-origin-as-secure=${Object.values(origins).join(',')}`,
  ])
}

/** Page loads with discovery and with the fixed list, alternating, each in a cold context. */
async function visitorRuns(origins, hosts) {
  const browser = await visitorBrowser(origins)
  const loads = { discovery: [], fixed: [] }
  const bytes = { discovery: {}, fixed: {} }
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const variant of ['discovery', 'fixed']) {
        const { ms, stats } = await timedLoad(browser, `${origins[variant]}/index.html`)
        loads[variant].push(ms)
        for (const [url, s] of Object.entries(stats.sources)) {
          const name = Object.values(hosts).find((h) => h.url === url)?.name ?? url
          bytes[variant][name] = (bytes[variant][name] ?? 0) + s.bytes
        }
      }
    }
  } finally {
    await browser.close()
  }
  const share = (variant, name) => {
    const total = Object.values(bytes[variant]).reduce((a, b) => a + b, 0)
    return total ? (bytes[variant][name] ?? 0) / total : 0
  }
  return {
    pageLoadMs: { discovery: median(loads.discovery), fixed: median(loads.fixed), runs: loads },
    bytesByHost: bytes,
    nearestShare: { discovery: share('discovery', 'near'), fixed: share('fixed', 'near') },
  }
}

/**
 * Installs the worker (a first visit whose images are held back, so that no image sits in the
 * renderer's memory cache), then times the next navigation, under the worker's control, until
 * every image has loaded.
 */
async function timedLoad(browser, pageUrl) {
  const context = await browser.newContext()
  const images = /[?&]filename=image-/
  try {
    await context.route(images, (route) => route.abort())
    const page = await context.newPage()
    await page.goto(pageUrl)
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
    await context.unroute(images)
    await resetStats(page)
    const begin = Date.now()
    await page.goto(pageUrl)
    await page.waitForFunction(
      () => [...document.images].every((img) => img.complete && img.naturalWidth > 0),
      null,
      { timeout: 60_000 },
    )
    const ms = Date.now() - begin
    const stats = await swStats(page)
    if (process.env.SWARM_DEBUG) log(`${pageUrl}: ${JSON.stringify(stats)}`)
    if (stats.verified === 0)
      throw new Error(`${pageUrl}: the service worker served no image: ${JSON.stringify(stats)}`)
    return { ms, stats }
  } finally {
    await context.close()
  }
}

/** Posts `{ type }` to the active worker (controlling the page or not) and resolves with its answer. */
const swMessage = (page, type) =>
  page.evaluate(
    (type) =>
      navigator.serviceWorker.ready.then(
        (registration) =>
          new Promise((resolve) => {
            const channel = new MessageChannel()
            channel.port1.onmessage = (event) => resolve(event.data)
            registration.active?.postMessage({ type }, [channel.port2])
          }),
      ),
    type,
  )
const swStats = (page) => swMessage(page, 'p2pcdn:stats')
const resetStats = (page) => swMessage(page, 'p2pcdn:reset-stats')

function printSummary(r) {
  const pct = (x) => `${(x * 100).toFixed(0)} %`
  log(
    `hosts at RTT ${Object.entries(r.rttMs)
      .map(([n, ms]) => `${n} ${ms} ms`)
      .join(', ')}`,
  )
  log(
    `share of asset bytes from the nearest host: ${pct(r.nearestShare.discovery)} with discovery, ${pct(r.nearestShare.fixed)} with the fixed list`,
  )
  log(
    `page load (median of ${RUNS}): ${r.pageLoadMs.discovery} ms with discovery, ${r.pageLoadMs.fixed} ms with the fixed list (${(r.pageLoadMs.fixed / r.pageLoadMs.discovery).toFixed(2)}×)`,
  )
  log(
    `publish → follower serving it: near ${r.publishToFollowerMs.near} ms, mid ${r.publishToFollowerMs.mid} ms (poll every ${r.followIntervalS} s)`,
  )
  log(`wrote ${path.relative(REPO, RESULTS)}`)
}

/** Runs the CLI to its end (inside \`node\`'s namespace when given); its stdout, or an error naming the command. */
async function runCli(args, { env = {}, node } = {}) {
  const options = { env: { ...process.env, ...env }, timeoutMs: 300_000 }
  const result = node
    ? await node.exec(process.execPath, [CLI, ...args], options)
    : await runCommandHere(process.execPath, [CLI, ...args], options)
  if (result.code !== 0)
    throw new Error(`p2pcdn ${args[0]} exited ${result.code}: ${result.stderr.trim().slice(-2000)}`)
  return result.stdout
}

async function runCommandHere(file, args, options) {
  const { execFile } = await import('node:child_process')
  return new Promise((resolve) => {
    execFile(file, args, { env: options.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

/** The run: network, hosts, publishes, followers, visitor. */
async function main() {
  const support = await checkNetem()
  if (!support.ok) {
    log(`skipped: ${support.reason}`)
    await writeResults({ skipped: support.reason })
    return
  }

  work = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-bench-swarm-'))
  network = await createNetwork({
    nodes: [
      { name: 'origin', role: 'origin', link: { down: '200mbit', up: '200mbit', delayMs: 10 } },
      { name: 'client', role: 'client', link: { down: '200mbit', up: '50mbit', delayMs: 0 } },
      ...Object.entries(HOSTS).map(([name, delayMs]) => ({
        name,
        role: 'host',
        link: { down: '100mbit', up: '100mbit', delayMs },
      })),
    ],
  })
  try {
    const hosts = await startHosts()
    const far = hosts.far
    const site = await writeSite(path.join(work, 'site'), 1)
    const out = path.join(work, 'out')
    const first = await publishSite(site, out, far)
    log(`published ${first.root} (${first.ipns}) to the far host`)
    // The followers join after the publish, never pushed to.
    for (const name of ['near', 'mid']) hosts[name] = await startHost(name, { follow: first.ipns, from: far })
    const joined = await Promise.all(['near', 'mid'].map((name) => servedAfter(hosts[name], first.root, 0)))
    log(`followers serve version 1: ${joined.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`)
    await writeSite(site, 2)
    const startedAt = Date.now()
    const second = await publishSite(site, out, far)
    const followerMs = {}
    await Promise.all(
      ['near', 'mid'].map(async (name) => {
        followerMs[name] = await servedAfter(hosts[name], second.root, startedAt)
      }),
    )
    log(`publish → follower: near ${followerMs.near} ms, mid ${followerMs.mid} ms`)
    if (process.env.SWARM_DEBUG) {
      const answer = await network
        .node('client')
        .exec('curl', ['-s', `${far.url}/routing/v1/providers/${second.root}`], { timeoutMs: 30_000 })
      log(`far's providers of ${second.root}: ${answer.stdout}`)
    }
    const fixedOut = await fixedSourceCopy(out)
    const origin = await startOrigin({ discovery: out, fixed: fixedOut })
    const visitor = await visitorRuns(origin, hosts)
    const result = {
      date: new Date().toISOString(),
      rttMs: Object.fromEntries(Object.keys(HOSTS).map((n) => [n, network.rttMs('client', n)])),
      site: { images: IMAGES, imageBytes: IMAGE_SIZE },
      followIntervalS: FOLLOW_INTERVAL_S,
      publishToFollowerMs: followerMs,
      ...visitor,
    }
    await writeResults(result)
    printSummary(result)
  } finally {
    for (const child of children) await stopChild(child)
    await network.destroy()
    await fs.rm(work, { recursive: true, force: true })
  }
}

await main()
