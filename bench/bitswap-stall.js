#!/usr/bin/env node
/**
 * The large-file bitswap stall (issue 14, item 8): one file over bitswap on an emulated
 * residential link, between every pair of implementations, to find whose stall it is.
 *
 *   npm run build   # the bench loads dist/
 *   node bench/bitswap-stall.js [--size 40MB] [--directions kubo-helia,helia-kubo,kubo-kubo,helia-helia]
 *                               [--runs 1] [--timeout 150] [--variant <name>] [--label <text>]
 *                               [--out bench/results/bitswap-stall.json]
 *                               [--debug 'helia:bitswap*,*:error'] [--log-dir <dir>]
 *
 * Root only (network namespaces, `p2pcdn/netem`). Two nodes: `server` with the paper's
 * residential host's link (serves at 25 Mbit/s, 6 Mbit/s down, 15 ms one-way) and `client` with a
 * campus client's link (100 Mbit/s, 2 ms): 34 ms round trip, the path of test-3's
 * `ipfs_residential` video samples. A direction is `<server>-<client>`:
 *
 *   kubo    server: Kubo 0.43 (`ipfs daemon`, `test` profile, telemetry off) holding the file
 *           client: a fresh Kubo repo per run, `ipfs swarm connect`, then `ipfs pin add --progress`
 *   helia   server: `p2pcdn host` (the shipped host, `--dht off --no-session`), the file loaded
 *           with `p2pcdn host import`
 *           client: a fresh Helia node per run (`createHostNode`, as the bench's bitswap source),
 *           connected and pinged, then the file read through the UnixFS exporter
 *
 * With `--variant`, a Helia side is built by this script with changed settings (see VARIANTS)
 * instead: a Helia node with the same libp2p setup as `createHostNode` (the server's blocks in
 * memory, from the CAR) plus the variant's settings for that side.
 *
 * Each run is bounded by --timeout; the client's progress (bytes of blocks received) is sampled
 * every second. Results are appended to --out (one entry per run): outcome, seconds or bytes
 * reached, the progress curve, the server uplink's tbf counters.
 *
 * Every address is inside the namespaces this script creates (10.77.x.x) or their own loopback.
 */
import { spawn } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { firstJsonLine, stopChild } from './lib/children.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SELF = fileURLToPath(import.meta.url)
const CLI = path.join(REPO, 'dist/cli/bin.js')
const KUBO = process.env.P2PCDN_KUBO_BIN ?? path.join(os.homedir(), '.cache/p2pcdn-peers/bin/ipfs')
const PORT = { swarm: 4001, api: 5001, gateway: 8080, http: 8480 }
const DIRECTIONS = ['kubo-helia', 'helia-kubo', 'kubo-kubo', 'helia-helia']

/**
 * Settings tried on the Helia side, per side: `bitswap` (`withBitswap` options), `libp2p` (extra
 * libp2p options, e.g. `connectionMonitor`), `yamux` (`yamux()` options), `exporter` (UnixFS exporter
 * options, client only). A side without settings is the shipped one: `createHostNode` for the
 * client, `p2pcdn host` for the server; a side with settings is a Helia node built here with the
 * same libp2p setup as `createHostNode` (TCP, Noise, Yamux, identify, ping, bitswap; the server's
 * blocks in memory, from the CAR) plus those settings.
 */
const NO_ABORT = { connectionMonitor: { abortConnectionOnPingFailure: false } }
const VARIANTS = {
  // libp2p's defaults on both sides, as createHostNode was before docs/bitswap-stall.md: the
  // connection monitor aborts a connection whose ping fails.
  'libp2p-default': { client: {}, server: {} },
  // Helia's message timeouts (10 s by default) raised, both sides.
  'bitswap-timeouts-300s': {
    client: { bitswap: { messageSendTimeout: 300_000, messageReceiveTimeout: 300_000 } },
    server: { bitswap: { messageSendTimeout: 300_000, messageReceiveTimeout: 300_000 } },
  },
  // The connection monitor (a ping every 10 s, timeout adaptive from 5 s; by default a failed ping
  // aborts the connection) told not to abort: both sides, the client only, the server only.
  'monitor-no-abort': { client: { libp2p: NO_ABORT }, server: { libp2p: NO_ABORT } },
  'monitor-no-abort-client': { client: { libp2p: NO_ABORT }, server: {} },
  'monitor-no-abort-server': { client: {}, server: { libp2p: NO_ABORT } },
  // A smaller yamux receive window on the client (default: 256 KiB growing to 16 MiB per stream),
  // which bounds how much the server can have in flight on each of the client's streams.
  // (yamux 8 reads the window sizes from `streamOptions` only.)
  'client-window-1mib': {
    client: { yamux: { streamOptions: { maxStreamWindowSize: 1024 * 1024 } } },
    server: {},
  },
  // The client wants at most 8 blocks at once (default: every leaf of the file at once).
  'client-8-wants': { client: { exporter: { blockReadConcurrency: 8 } }, server: {} },
  // A stock Helia client (libp2p defaults) against the shipped host: a visitor's node.
  'stock-client': { client: {} },
}

/** One JSON line on stdout: how a child talks to the harness. */
const emit = (value) => process.stdout.write(`${JSON.stringify(value)}\n`)

/** A Helia node: the shipped `createHostNode`, or (settings) the same setup built here. */
async function heliaNode({ store, datastore, listen, settings }) {
  if (!settings) {
    const { createHostNode } = await import(path.join(REPO, 'dist/src/host/node.js'))
    return createHostNode({ blockstore: store, datastore, listen, dht: 'off' })
  }
  // Node 20 has no Promise.withResolvers, which libp2p uses: the host's polyfill, as node.ts loads it.
  await import(path.join(REPO, 'dist/src/utils/promise-with-resolvers.js'))
  const { noise } = await import('@chainsafe/libp2p-noise')
  const { yamux } = await import('@chainsafe/libp2p-yamux')
  const { withBitswap } = await import('@helia/bitswap')
  const { withLibp2pLight } = await import('@helia/libp2p')
  const { identify } = await import('@libp2p/identify')
  const { ping } = await import('@libp2p/ping')
  const { tcp } = await import('@libp2p/tcp')
  const { createHeliaLight } = await import('helia')
  const helia = createHeliaLight({ blockstore: store, datastore })
  const node = withLibp2pLight(helia, {
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux(settings.yamux ?? {})],
    connectionManager: { maxConnections: 300, inboundConnectionThreshold: 100 },
    services: { identify: identify(), ping: ping() },
    ...(settings.libp2p ?? {}),
  })
  return withBitswap(node, settings.bitswap ?? {})
}

/** Counts the bytes of blocks put into a memory blockstore. */
async function countingStore() {
  const { MemoryBlockstore } = await import('blockstore-core/memory')
  const counter = { bytes: 0, blocks: 0 }
  class CountingBlockstore extends MemoryBlockstore {
    _put(key, value, options) {
      counter.blocks++
      for (const chunk of value) counter.bytes += chunk.byteLength
      return super._put(key, value, options)
    }
  }
  return { store: new CountingBlockstore(), counter }
}

async function heliaClient({ peer, cid: cidText, timeoutMs, variant }) {
  const { MemoryDatastore } = await import('datastore-core/memory')
  const { exporter } = await import('ipfs-unixfs-exporter')
  const { CID } = await import('multiformats/cid')
  const { multiaddr } = await import('@multiformats/multiaddr')
  const { store, counter } = await countingStore()
  const settings = variant ? VARIANTS[variant].client : undefined
  const node = await heliaNode({ store, datastore: new MemoryDatastore(), listen: [], settings })
  await node.start()
  const addr = multiaddr(peer)
  await node.libp2p.dial(addr, { signal: AbortSignal.timeout(10_000) })
  const rttMs = await node.libp2p.services.ping.ping(addr, { signal: AbortSignal.timeout(10_000) })
  emit({ connected: true, rttMs })
  const cid = CID.parse(cidText)
  const signal = AbortSignal.timeout(timeoutMs)
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  let read = 0
  // When the connection to the server closes (e.g. a connection monitor's ping failed), and why.
  node.libp2p.addEventListener('connection:close', (event) => {
    const status = event.detail?.status
    emit({ closed: elapsed(), status })
  })
  // Each second: bytes of blocks received, and the connection's RTT as libp2p's connection monitor
  // last measured it (its ping every 10 s; the ping queues behind the data the server has queued).
  const timer = setInterval(() => {
    const rttMs = node.libp2p.getConnections()[0]?.rtt
    emit({ t: elapsed(), bytes: counter.bytes, blocks: counter.blocks, read, rttMs })
  }, 1000)
  const hash = createHash('sha256')
  try {
    const entry = await exporter(cid, node.blockstore, { signal })
    const exporterOptions = { signal, ...(settings?.exporter ?? {}) }
    for await (const chunk of entry.content(exporterOptions)) {
      hash.update(chunk)
      read += chunk.byteLength
    }
    clearInterval(timer)
    emit({
      done: true,
      seconds: elapsed(),
      bytes: counter.bytes,
      blocks: counter.blocks,
      read,
      sha256: hash.digest('hex'),
    })
  } catch (error) {
    clearInterval(timer)
    emit({
      done: false,
      seconds: elapsed(),
      bytes: counter.bytes,
      blocks: counter.blocks,
      read,
      error: error?.message ?? String(error),
    })
  }
  await Promise.race([node.stop(), new Promise((resolve) => setTimeout(resolve, 5000))])
}

async function heliaServer({ car, variant }) {
  const { MemoryDatastore } = await import('datastore-core/memory')
  const { MemoryBlockstore } = await import('blockstore-core/memory')
  const { CarBlockIterator } = await import('@ipld/car')
  const { createReadStream } = await import('node:fs')
  const store = new MemoryBlockstore()
  for await (const { cid, bytes } of await CarBlockIterator.fromIterable(createReadStream(car))) {
    await store.put(cid, bytes)
  }
  const node = await heliaNode({
    store,
    datastore: new MemoryDatastore(),
    listen: [`/ip4/0.0.0.0/tcp/${PORT.swarm}`],
    settings: VARIANTS[variant].server,
  })
  await node.start()
  emit({ peerId: node.libp2p.peerId.toString() })
  await new Promise((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  await Promise.race([node.stop(), new Promise((resolve) => setTimeout(resolve, 5000))])
}

// ---------------------------------------------------------------------------------------------
// The harness (root namespace).

const log = (line) => process.stderr.write(`${line}\n`)
/** Environment of the Helia processes (DEBUG with --debug); where their stderr goes (--log-dir). */
const childEnv = { ...process.env }
let logDir

/** Copies a child's stderr into `<logDir>/<name>.log` when --log-dir is given. */
function keepLog(child, name) {
  if (logDir === undefined) return
  child.stderr.pipe(createWriteStream(path.join(logDir, `${name}.log`)))
}

function parseSize(text) {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(text)
  if (!match) throw new Error(`--size ${text}: give a size such as 40MB`)
  const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[(match[2] ?? 'B').toUpperCase()]
  return Math.round(Number(match[1]) * unit)
}

/** Deterministic pseudo-random bytes (AES-CTR over zeros): the same file, hence CID, every run. */
async function writeData(file, size) {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16, 0))
  const out = createWriteStream(file)
  const chunk = Buffer.alloc(1 << 20)
  for (let left = size; left > 0; left -= chunk.length) {
    const part = cipher.update(left >= chunk.length ? chunk : chunk.subarray(0, left))
    if (!out.write(part)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

/** Runs a program in this namespace to its end; its stdout, or throws with its stderr. */
function run(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c) => {
      stdout += c
    })
    child.stderr.setEncoding('utf8').on('data', (c) => {
      stderr += c
    })
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr.trim()}`)),
    )
  })
}

/** Runs in a node's namespace; its stdout, or throws. */
async function nodeRun(node, file, args, options = {}) {
  const result = await node.exec(file, args, options)
  if (result.code !== 0)
    throw new Error(
      `${node.name}: ${path.basename(file)} ${args.join(' ')} exited ${result.code ?? result.signal}: ${result.stderr.trim()}`,
    )
  return result.stdout
}

/** The first JSON line a child prints, within `ms`; a line with `error` is the child's failure. */
async function firstJson(child, ms, what) {
  const value = await firstJsonLine(child, ms, what)
  if (value.error) throw new Error(`${what} failed: ${value.error}`)
  return value
}

/** A Kubo repo (`test` profile: no bootstrap, no mDNS; telemetry off) for a namespace's address. */
async function kuboRepo(dir, address) {
  const env = { ...process.env, IPFS_PATH: dir, IPFS_TELEMETRY: 'off', LIBP2P_TCP_REUSEPORT: 'false' }
  await run(KUBO, ['init', '--profile=test', '--empty-repo'], { env })
  const set = (key, value) => run(KUBO, ['config', '--json', key, JSON.stringify(value)], { env })
  await set('Plugins.Plugins.telemetry.Config', { Mode: 'off' })
  await set('Addresses.Swarm', [`/ip4/${address}/tcp/${PORT.swarm}`])
  await set('Addresses.API', `/ip4/127.0.0.1/tcp/${PORT.api}`)
  await set('Addresses.Gateway', `/ip4/127.0.0.1/tcp/${PORT.gateway}`)
  await set('Addresses.Announce', [`/ip4/${address}/tcp/${PORT.swarm}`])
  await set('Bootstrap', [])
  const config = JSON.parse(await fs.readFile(path.join(dir, 'config'), 'utf8'))
  return { dir, env, peerId: config.Identity.PeerID }
}

/** Starts `ipfs daemon` in a node's namespace; resolves when it is ready. */
async function startKubo(node, repo) {
  const child = node.spawn(KUBO, ['daemon'], { env: repo.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (c) => {
    err = (err + c).slice(-4000)
  })
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Kubo did not start in 60 s: ${out}${err}`)), 60_000)
    child.stdout.setEncoding('utf8').on('data', (c) => {
      out += c
      if (out.includes('Daemon is ready')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Kubo exited ${code}: ${out}${err}`))
    })
  })
  child.stdout.resume()
  return child
}

/** The tbf counters of a node's uplink (sent bytes and packets, drops, overlimits). */
async function tbfCounters(node) {
  const text = await nodeRun(node, 'tc', ['-s', 'qdisc', 'show', 'dev', 'eth0'])
  const sent = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)/.exec(text)
  return sent
    ? {
        bytes: Number(sent[1]),
        packets: Number(sent[2]),
        dropped: Number(sent[3]),
        overlimits: Number(sent[4]),
      }
    : undefined
}

const diff = (a, b) => (a && b ? Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]])) : undefined)

async function main() {
  const { values: flags } = parseArgs({
    options: {
      size: { type: 'string', default: '40MB' },
      directions: { type: 'string', default: DIRECTIONS.join(',') },
      runs: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '150' },
      variant: { type: 'string' },
      label: { type: 'string' },
      out: { type: 'string', default: path.join(REPO, 'bench/results/bitswap-stall.json') },
      debug: { type: 'string' },
      'log-dir': { type: 'string' },
    },
  })
  // Diagnostics: DEBUG (the `debug` namespaces of libp2p and Helia, e.g. 'helia:bitswap*') for the
  // Helia processes, their stderr into --log-dir.
  if (flags.debug !== undefined) childEnv.DEBUG = flags.debug
  if (flags['log-dir'] !== undefined) {
    logDir = path.resolve(flags['log-dir'])
    await fs.mkdir(logDir, { recursive: true })
  }
  const size = parseSize(flags.size)
  const directions = flags.directions.split(',').map((d) => d.trim())
  for (const d of directions) if (!DIRECTIONS.includes(d)) throw new Error(`--directions: unknown ${d}`)
  const runs = Number(flags.runs)
  const timeoutMs = Number(flags.timeout) * 1000
  const variant = flags.variant
  if (variant !== undefined && !VARIANTS[variant])
    throw new Error(`--variant ${variant}: one of ${Object.keys(VARIANTS).join(', ')}`)
  const netem = await import(path.join(REPO, 'dist/src/netem/index.js'))
  const support = await netem.checkNetem()
  if (!support.ok) {
    log(`skipped: ${support.reason ?? JSON.stringify(support)}`)
    return
  }
  await fs.access(KUBO)
  const temp = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-bitswap-stall-'))
  let network
  const children = []
  try {
    network = await netem.createNetwork({
      nodes: [
        { name: 'server', role: 'host', link: netem.NETEM_PROFILES.residentialHost },
        { name: 'client', role: 'client', link: netem.NETEM_PROFILES.campusClient },
      ],
    })
    const server = network.node('server')
    const client = network.node('client')
    log(
      `network: server ${server.address} (${JSON.stringify(server.link)}), client ${client.address}, RTT ${network.rttMs('server', 'client')} ms`,
    )

    // The file, added by Kubo (the IPIP-499 unixfs-v1-2025 layout: 1 MiB raw leaves, CIDv1), its CAR.
    const data = path.join(temp, 'data.bin')
    await writeData(data, size)
    const kuboServer = await kuboRepo(path.join(temp, 'kubo-server'), server.address)
    const cid = (
      await run(KUBO, ['add', '-Q', '--cid-version=1', '--raw-leaves', '--chunker=size-1048576', data], {
        env: kuboServer.env,
      })
    ).trim()
    const car = path.join(temp, 'data.car')
    await run('sh', ['-c', `"${KUBO}" dag export ${cid} > "${car}"`], { env: kuboServer.env })
    log(`file: ${size} bytes, ${cid}`)

    const needHeliaServer = directions.some((d) => d.startsWith('helia-'))
    const needKuboServer = directions.some((d) => d.startsWith('kubo-'))
    // Whether the shipped createHostNode (dist) lets libp2p abort a connection on a failed ping.
    const shippedAborts = !(await fs.readFile(path.join(REPO, 'dist/src/host/node.js'), 'utf8')).includes(
      'abortConnectionOnPingFailure: false',
    )
    const builtServer = variant !== undefined && VARIANTS[variant].server !== undefined
    const builtClient = variant !== undefined && VARIANTS[variant].client !== undefined

    // Servers, started once.
    let kuboServerChild
    let kuboServerAddr
    if (needKuboServer) {
      kuboServerChild = await startKubo(server, kuboServer)
      children.push(kuboServerChild)
      kuboServerAddr = `/ip4/${server.address}/tcp/${PORT.swarm}/p2p/${kuboServer.peerId}`
      log(`kubo server: ${kuboServerAddr}`)
    }
    let heliaServerAddr
    if (needHeliaServer) {
      let child
      if (builtServer) {
        child = server.spawn(
          process.execPath,
          [SELF, '--child', JSON.stringify({ role: 'helia-server', car, variant })],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
            cwd: REPO,
            env: childEnv,
          },
        )
      } else {
        const hostRepo = path.join(temp, 'host')
        await run(process.execPath, [CLI, 'host', 'import', '--repo', hostRepo, car])
        child = server.spawn(
          process.execPath,
          [
            CLI,
            'host',
            '--repo',
            hostRepo,
            '--http',
            `127.0.0.1:${PORT.http}`,
            '--listen',
            `/ip4/0.0.0.0/tcp/${PORT.swarm + 1}`,
            '--announce',
            `/ip4/${server.address}/tcp/${PORT.swarm + 1}`,
            '--dht',
            'off',
            '--no-session',
            '--json',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv },
        )
      }
      children.push(child)
      keepLog(child, 'helia-server')
      const info = await firstJson(child, 60_000, 'the Helia server')
      child.stdout.resume()
      const port = builtServer ? PORT.swarm : PORT.swarm + 1
      heliaServerAddr = `/ip4/${server.address}/tcp/${port}/p2p/${info.peerId}`
      log(`helia server (${builtServer ? `built here, ${variant}` : 'p2pcdn host'}): ${heliaServerAddr}`)
    }

    const results = []
    for (let i = 0; i < runs; i++) {
      for (const direction of directions) {
        const [serverKind, clientKind] = direction.split('-')
        const peer = serverKind === 'kubo' ? kuboServerAddr : heliaServerAddr
        const before = await tbfCounters(server)
        const started = new Date().toISOString()
        log(
          `${direction} (${serverKind} → ${clientKind}), run ${i + 1}/${runs}${variant ? `, variant ${variant}` : ''}`,
        )
        const outcome =
          clientKind === 'helia'
            ? await runHeliaClient({ client, peer, cid, timeoutMs, variant })
            : await runKuboClient({
                client,
                peer,
                cid,
                timeoutMs,
                dir: path.join(temp, `kubo-client-${direction}-${i}`),
              })
        const after = await tbfCounters(server)
        const entry = {
          direction,
          server:
            serverKind === 'kubo'
              ? 'Kubo 0.43.1'
              : builtServer
                ? `Helia (built here, ${variant})`
                : 'p2pcdn host (Helia)',
          client:
            clientKind === 'kubo'
              ? 'Kubo 0.43.1 (ipfs pin add)'
              : `Helia (${builtClient ? `built here, ${variant}` : 'createHostNode'})`,
          variant: variant ?? null,
          shippedNodeAbortsOnPingFailure: shippedAborts,
          label: flags.label ?? null,
          started,
          sizeBytes: size,
          cid,
          timeoutSeconds: timeoutMs / 1000,
          link: { server: server.link, client: client.link, rttMs: network.rttMs('server', 'client') },
          ...outcome,
          serverUplinkTbf: diff(before, after),
        }
        const mbit = outcome.complete ? ((size * 8) / outcome.seconds / 1e6).toFixed(1) : undefined
        log(
          `  ${outcome.complete ? `complete in ${outcome.seconds.toFixed(1)} s (${mbit} Mbit/s)` : `NOT complete: ${outcome.bytes} of ${size} bytes after ${outcome.seconds.toFixed(1)} s (${outcome.error ?? 'timeout'})`}; stalled from ${outcome.stalledFrom ?? '-'} s; connection closed at ${outcome.connectionClosedAt?.join(', ') || '-'} s; tbf drops ${entry.serverUplinkTbf?.dropped}`,
        )
        results.push(entry)
        await append(flags.out, entry)
      }
    }
  } finally {
    for (const child of children) await stopChild(child, 10_000).catch(() => {})
    await network?.destroy()
    await fs.rm(temp, { recursive: true, force: true })
  }
}

/** When the last byte arrived (the start of a stall at the end of the curve), if it was not the end. */
function stallStart(progress, finalBytes, complete) {
  if (complete || progress.length === 0) return undefined
  const firstAtFinal = progress.find((p) => p.bytes >= finalBytes)
  return firstAtFinal ? Math.round(firstAtFinal.t) : undefined
}

async function runHeliaClient({ client, peer, cid, timeoutMs, variant }) {
  const child = client.spawn(
    process.execPath,
    [SELF, '--child', JSON.stringify({ role: 'helia-client', peer, cid, timeoutMs, variant })],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO, env: childEnv },
  )
  keepLog(child, `helia-client-${Date.now()}`)
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (c) => {
    stderr = (stderr + c).slice(-4000)
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 60_000)
  const progress = []
  let final
  let connected
  const closes = []
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.startsWith('{')) continue
    const value = JSON.parse(line)
    if (value.connected) connected = value
    else if (value.closed !== undefined) {
      // (closes after the result are the client's own stop)
      if (!final) closes.push(Math.round(value.closed * 10) / 10)
    } else if (value.error !== undefined && value.done === undefined) {
      clearTimeout(killer)
      return {
        complete: false,
        seconds: 0,
        bytes: progress.at(-1)?.bytes ?? 0,
        error: `client failed: ${value.error}`,
        progress,
      }
    } else if (value.t !== undefined)
      progress.push({
        t: Math.round(value.t * 10) / 10,
        bytes: value.bytes,
        blocks: value.blocks,
        ...(value.rttMs !== undefined ? { monitorRttMs: value.rttMs } : {}),
      })
    else final = value
  }
  clearTimeout(killer)
  if (!final)
    return {
      complete: false,
      seconds: timeoutMs / 1000,
      bytes: progress.at(-1)?.bytes ?? 0,
      error: `client died: ${stderr.trim()}`,
      progress,
    }
  const complete = final.done === true
  return {
    complete,
    seconds: final.seconds,
    bytes: final.bytes,
    blocks: final.blocks,
    ...(final.sha256 ? { sha256: final.sha256 } : {}),
    ...(complete ? {} : { error: final.error }),
    pingMs: connected?.rttMs,
    stalledFrom: stallStart(progress, final.bytes, complete),
    connectionClosedAt: closes,
    progress,
  }
}

async function runKuboClient({ client, peer, cid, timeoutMs, dir }) {
  const repo = await kuboRepo(dir, client.address)
  const daemon = await startKubo(client, repo)
  try {
    await nodeRun(client, KUBO, ['swarm', 'connect', peer], { env: repo.env, timeoutMs: 20_000 })
    const pingOut = await nodeRun(client, KUBO, ['ping', '-n', '2', peer.split('/p2p/')[1]], {
      env: repo.env,
      timeoutMs: 20_000,
    })
    const pingMs = Number(/Average latency: ([\d.]+)ms/.exec(pingOut)?.[1])
    const stat = async () => {
      const result = await client.exec(KUBO, ['bitswap', 'stat', '--enc=json'], {
        env: repo.env,
        timeoutMs: 10_000,
      })
      if (result.code !== 0) return undefined
      const s = JSON.parse(result.stdout)
      return {
        bytes: s.DataReceived - s.DupDataReceived,
        blocks: s.BlocksReceived - s.DupBlksReceived,
        dup: s.DupDataReceived,
      }
    }
    const started = performance.now()
    const elapsed = () => (performance.now() - started) / 1000
    const fetcher = client.spawn(KUBO, ['pin', 'add', '--progress', cid], {
      env: repo.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    fetcher.stderr.setEncoding('utf8').on('data', (c) => {
      stderr = (stderr + c).slice(-2000)
    })
    fetcher.stdout.resume()
    const closed = once(fetcher, 'close')
    let timedOut = false
    const killer = setTimeout(() => {
      timedOut = true
      fetcher.kill('SIGKILL')
    }, timeoutMs)
    const progress = []
    let ended = false
    closed.then(() => {
      ended = true
    })
    while (!ended) {
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))])
      if (ended) break
      const s = await stat()
      if (s) progress.push({ t: Math.round(elapsed() * 10) / 10, bytes: s.bytes, blocks: s.blocks })
    }
    const [code] = await closed
    const seconds = elapsed()
    clearTimeout(killer)
    const last = await stat()
    const complete = !timedOut && code === 0
    return {
      complete,
      seconds,
      bytes: last?.bytes ?? progress.at(-1)?.bytes ?? 0,
      blocks: last?.blocks,
      duplicateBytes: last?.dup,
      ...(complete
        ? {}
        : {
            error: timedOut
              ? `timed out after ${timeoutMs / 1000} s`
              : `ipfs pin add exited ${code}: ${stderr.trim().slice(-300)}`,
          }),
      pingMs,
      stalledFrom: stallStart(progress, last?.bytes ?? 0, complete),
      progress,
    }
  } finally {
    await stopChild(daemon, 10_000)
    await fs.rm(dir, { recursive: true, force: true })
  }
}

/** Appends one run to the results file (created with a header when missing). */
async function append(file, entry) {
  let doc
  try {
    doc = JSON.parse(await fs.readFile(file, 'utf8'))
  } catch {
    doc = {
      description:
        'bench/bitswap-stall.js: one file over bitswap on an emulated residential link (server up 25 Mbit/s, 15 ms; client 100 Mbit/s, 2 ms; 34 ms RTT), Kubo and Helia as server and client. One entry per run; progress = bytes of blocks the client had received, over seconds since the fetch started.',
      machine: {
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        cpu: os.cpus()[0]?.model,
        cpus: os.cpus().length,
      },
      runs: [],
    }
  }
  doc.runs.push(entry)
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(doc, null, 1)}\n`)
  await fs.rename(`${file}.tmp`, file)
}

// Entry point (last, so that every module-level binding above is initialised).
if (process.argv[2] === '--child') {
  const config = JSON.parse(process.argv[3])
  const run = config.role === 'helia-client' ? heliaClient : heliaServer
  run(config).then(
    () => process.exit(0),
    (error) => {
      process.stdout.write(`${JSON.stringify({ error: error?.stack ?? String(error) })}\n`)
      process.exit(1)
    },
  )
} else {
  main().catch((error) => {
    process.stderr.write(`${error?.stack ?? error}\n`)
    process.exit(1)
  })
}
