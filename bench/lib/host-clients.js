/**
 * The host bench's servers (each in its own child process) and clients (in
 * the bench process): Node's http.get and curl against any HTTP URL, and a
 * fresh in-memory Helia node fetching a UnixFS file over bitswap.
 */
import '../../dist/src/utils/promise-with-resolvers.js'
import { execFile, spawn } from 'node:child_process'
import { setMaxListeners } from 'node:events'
import { createReadStream, readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import http from 'node:http'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { createHostNode } from '../../dist/src/host/index.js'

const CLK_TCK = 100

/** User + system CPU time of process `pid` so far, in ms (undefined once it is gone, or off Linux). */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK
  } catch {
    return undefined
  }
}

/** Peak and current RSS of process `pid` in bytes, from /proc/<pid>/status (undefined off Linux). */
export function processRss(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1]) * 1024
    return { peakBytes: kb('VmHWM'), currentBytes: kb('VmRSS') }
  } catch {
    return undefined
  }
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
function machineTicks() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number)
    const busy = user + nice + system + irq + softirq + steal
    return { busy, total: busy + idle + iowait }
  } catch {
    return undefined
  }
}

/**
 * CPU use during a timed run: ms of CPU each of `pids` used, and the share of
 * all CPUs that everything else (other processes, kernel threads) used
 * meanwhile, to tell a noisy run from a quiet one. Linux only.
 */
export function cpuSampler(pids) {
  const start = machineTicks()
  const own = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid)]))
  return () => {
    const end = machineTicks()
    const used = {}
    let ownTicks = 0
    for (const [name, pid] of Object.entries(pids)) {
      const now = processCpuMs(pid)
      used[name] = now === undefined || own[name] === undefined ? undefined : now - own[name]
      ownTicks += ((used[name] ?? 0) * CLK_TCK) / 1000
    }
    if (start === undefined || end === undefined) return { cpuMs: used, otherCpuShare: undefined }
    const total = end.total - start.total
    const other = end.busy - start.busy - ownTicks
    return { cpuMs: used, otherCpuShare: total > 0 ? Math.max(0, other / total) : undefined }
  }
}

/**
 * Spawns a server child (`node …args`) that prints one JSON line on stdout
 * once it listens, and resolves with that object, the child's pid and a
 * `stop()` that sends SIGTERM (SIGKILL after `killAfterMs`) and resolves on
 * exit. Rejects, with the child's stderr, when it exits first or stays
 * silent for `startTimeoutMs`.
 */
/** `p2pcdn host` arguments for a bench host: loopback only, no DHT, no session, its addresses as JSON. */
export const loopbackHostArgs = (repo) => [
  'dist/cli/bin.js',
  'host',
  '--repo',
  repo,
  '--http',
  '127.0.0.1:0',
  '--listen',
  '/ip4/127.0.0.1/tcp/0',
  '--dht',
  'off',
  '--no-session',
  '--json',
]

export function startServerChild(
  args,
  { cwd, nodeArgs = [], startTimeoutMs = 30_000, killAfterMs = 10_000 },
) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const stderr = []
  child.stderr.on('data', (d) => {
    stderr.push(d)
    if (stderr.length > 200) stderr.splice(0, 100)
  })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return exited
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    const result = await exited
    clearTimeout(timer)
    return result
  }
  return new Promise((resolve, reject) => {
    let out = ''
    const fail = (why) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`node ${args.join(' ')}: ${why}\n${Buffer.concat(stderr).toString().slice(-2000)}`))
    }
    const timer = setTimeout(() => fail(`printed nothing in ${startTimeoutMs} ms`), startTimeoutMs)
    child.once('error', (err) => fail(err.message))
    const early = (code) => fail(`exited with ${code} before it was ready`)
    child.once('exit', early)
    child.stdout.on('data', function onData(d) {
      out += d
      const newline = out.indexOf('\n')
      if (newline === -1) return
      child.stdout.off('data', onData)
      child.stdout.resume()
      clearTimeout(timer)
      child.off('exit', early)
      try {
        resolve({
          info: JSON.parse(out.slice(0, newline)),
          pid: child.pid,
          stop,
          stderr: () => Buffer.concat(stderr).toString(),
        })
      } catch (err) {
        fail(`printed something else than JSON: ${out.slice(0, 200)} (${err.message})`)
      }
    })
  })
}

/** POSTs a file to `url` with `headers`; resolves with the status and the JSON answer. */
export async function postFile(url, file, headers) {
  const { size } = await fs.stat(file)
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { ...headers, 'Content-Length': size } },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          try {
            resolve({ status: res.statusCode, body: JSON.parse(text) })
          } catch {
            resolve({ status: res.statusCode, body: text })
          }
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    createReadStream(file).on('error', reject).pipe(req)
  })
}

/**
 * GET `url` with Node's http client, reading the whole body (counted, not
 * kept unless `keep`; `onBytes` sees every chunk). Times to the first and
 * to the last body byte, in ms.
 * `agent` (keep-alive) reuses one connection across runs.
 */
export function httpGet(url, { agent, keep = false, onBytes, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let firstMs
    let bytes = 0
    const chunks = keep ? [] : undefined
    const req = http.get(url, { agent }, (res) => {
      res.on('data', (c) => {
        firstMs ??= performance.now() - started
        bytes += c.length
        chunks?.push(c)
        onBytes?.(c)
      })
      res.on('end', () =>
        resolve({
          ms: performance.now() - started,
          ttfbMs: firstMs ?? performance.now() - started,
          status: res.statusCode,
          bytes,
          headers: res.headers,
          body: chunks ? Buffer.concat(chunks) : undefined,
        }),
      )
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)))
    req.on('error', reject)
  })
}

/** GET `url` with curl into /dev/null; curl's own timings (a fresh connection each time), in ms. */
export function curlGet(url) {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code} %{size_download} %{time_starttransfer} %{time_total}',
        url,
      ],
      (err, stdout) => {
        if (err) return reject(err)
        const [status, bytes, ttfb, total] = stdout.trim().split(' ').map(Number)
        resolve({ status, bytes, ttfbMs: ttfb * 1000, ms: total * 1000 })
      },
    )
  })
}

/**
 * Least time between two bitswap clients' dials. libp2p's connection manager
 * refuses more than `inboundConnectionThreshold` (default 5) inbound
 * connections per second from one IP, and every client here dials from
 * 127.0.0.1 with a fresh connection.
 */
const DIAL_SPACING_MS = 300
let lastDialAt = Number.NEGATIVE_INFINITY

/**
 * Fetches the UnixFS file `cid` over bitswap with a fresh in-memory Helia
 * node (so nothing is cached) that dials `address` (the host's multiaddr).
 * Node start and stop are not timed; `dialMs` is the dial, `ms` dial
 * complete to last byte, `withDialMs` both. `onBytes` sees every chunk
 * (untimed use only, e.g. hashing during warm-ups). Dials are spaced by
 * {@link DIAL_SPACING_MS} (the wait is not timed).
 */
export async function bitswapGet(address, cidText, { onBytes, timeoutMs = 60_000 } = {}) {
  const client = createHostNode({
    blockstore: new MemoryBlockstore(),
    datastore: new MemoryDatastore(),
    listen: [],
    dht: 'off',
  })
  await client.start()
  const signal = AbortSignal.timeout(timeoutMs)
  // One listener per block in flight: a large file has more than the default 10.
  setMaxListeners(Number.POSITIVE_INFINITY, signal)
  try {
    const cid = CID.parse(cidText)
    const wait = lastDialAt + DIAL_SPACING_MS - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    lastDialAt = performance.now()
    const started = performance.now()
    await client.libp2p.dial(multiaddr(address), { signal })
    const dialed = performance.now()
    let bytes = 0
    let blocks = 0
    let firstMs
    const entry = await exporter(cid, client.blockstore, { signal })
    for await (const chunk of entry.content({ signal })) {
      firstMs ??= performance.now() - dialed
      bytes += chunk.length
      blocks++
      onBytes?.(chunk)
    }
    const done = performance.now()
    return {
      ms: done - dialed,
      withDialMs: done - started,
      dialMs: dialed - started,
      ttfbMs: firstMs,
      bytes,
      chunks: blocks,
    }
  } finally {
    await client.stop()
  }
}
