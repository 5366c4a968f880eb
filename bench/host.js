#!/usr/bin/env node
/**
 * Host node benchmark (`npm run bench` runs it after the rewrite bench), or
 *
 *   node bench/host.js [--quick] [--cpu-prof] [--keep] [--max-wait <s>] [--json <file>]
 *
 * Publishes two files of random bytes, the paper's image (22,000 bytes) and
 * video (134,000,000 bytes), uploads the CAR to one host (`p2pcdn host`, in
 * a child process, on 127.0.0.1 with a temporary repo), and, when Kubo's
 * binary is found (bench/lib/kubo-reference.js), imports the same CAR into a
 * Kubo daemon (`ipfs dag import`, timed beside the host's CAR upload; test
 * profile: loopback only), then fetches each file, time to last byte, in four
 * ways, five with Kubo:
 *
 *   - plain HTTP (the reference): a node:http static server in another child
 *     process serving the same file from disk (createReadStream,
 *     Content-Length);
 *   - the host's gateway, `GET /ipfs/<cid>` (the file's bytes);
 *   - the host's trustless gateway, `GET /ipfs/<cid>?format=car`;
 *   - bitswap: a fresh in-memory Helia node per run dials the host and reads
 *     the file with ipfs-unixfs-exporter (node start/stop not timed; timed
 *     from dial complete, and separately including the dial);
 *   - Kubo's gateway, `GET /ipfs/<cid>` (the real-peer reference for the
 *     host's gateway; skipped, saying why, without the binary).
 *
 * The HTTP client is the same for all (Node's http.get, keep-alive, body
 * counted and dropped); curl fetches plain, gateway (and Kubo) too, as a
 * client-independent cross-check. 22 KB: 30 runs after 3 warm-ups; 134 MB:
 * 5 runs after 1 warm-up (10/2 and 3/1 with --quick); the HTTP methods take
 * turns within each round, bitswap runs after them. The first warm-up checks
 * the bytes' SHA-256.
 * Reports median and p90 ms, MB/s, the ratio median(method) / median(plain
 * HTTP), the host's and the static server's CPU time per fetch, and the peak
 * RSS of both children. Target: gateway within 1.5× plain HTTP for both
 * sizes (a miss does not fail the process). Writes bench/results/host.json
 * (host.quick.json with --quick). --cpu-prof runs the host under
 * `node --cpu-prof` (timings then include the profiler's overhead) and
 * prints where its time went.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { setMaxQuietWait, waitForQuiet } from './lib/cpu-meter.js'
import { summariseProfile } from './lib/cpu-profile.js'
import { bytesFor, writeLargeFile } from './lib/generate.js'
import {
  bitswapGet,
  cpuSampler,
  curlGet,
  httpGet,
  loopbackHostArgs,
  postFile,
  processRss,
  startServerChild,
} from './lib/host-clients.js'
import {
  findKubo,
  initKuboRepo,
  kuboVersion,
  startKuboDaemon,
  timeKuboDagImport,
} from './lib/kubo-reference.js'
import { available, versionOf } from './lib/proc.js'
import { REPO } from './lib/runners.js'
import { MB, median } from './lib/stats.js'

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
    'max-wait': { type: 'string', default: '2' },
  },
})

const { publish } = await import(path.join(REPO, 'dist/src/index.js'))
const { CAR_UPLOAD_PATH, createToken } = await import(path.join(REPO, 'dist/src/host/index.js'))

const TARGET = 1.5
const FILES = [
  {
    id: 'image',
    label: '22 KB',
    name: 'image.bin',
    size: 22_000,
    ...(flags.quick ? { warmups: 2, runs: 10, curlRuns: 5 } : { warmups: 3, runs: 30, curlRuns: 10 }),
  },
  {
    id: 'video',
    label: '134 MB',
    name: 'video.bin',
    size: 134_000_000,
    ...(flags.quick ? { warmups: 1, runs: 3, curlRuns: 2 } : { warmups: 1, runs: 5, curlRuns: 3 }),
  },
]
const METHODS = [
  { id: 'plain', label: 'plain HTTP (reference)' },
  { id: 'gateway', label: 'gateway /ipfs/<cid>', target: TARGET },
  { id: 'car', label: 'trustless ?format=car' },
  { id: 'bitswap', label: 'bitswap (after dial)' },
]
const KUBO_METHOD = { id: 'kubo', label: 'Kubo gateway /ipfs/<cid>' }

const t0 = performance.now()
const log = (line) =>
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}\n`)

const sha256 = () => {
  const hash = createHash('sha256')
  return { update: (c) => hash.update(c), hex: () => hash.digest('hex') }
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length

/** Nearest-rank percentile. */
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]
}

const summary = (xs) =>
  xs.length === 0 || xs.some((x) => x === undefined)
    ? undefined
    : { medianMs: median(xs), p90Ms: percentile(xs, 90), bestMs: Math.min(...xs), samplesMs: xs }

async function main() {
  setMaxQuietWait(Number(flags['max-wait']) * 1000)
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-bench-host-'))
  const children = []
  const notes = []
  const cleanUp = async () => {
    for (const child of children.splice(0).reverse()) await child.stop().catch(() => {})
    if (flags.keep) log(`kept ${work}`)
    else await fs.rm(work, { recursive: true, force: true })
  }
  // Ctrl-C or a kill still stops the children and removes the scratch folder.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`)
      cleanUp().finally(() => process.exit(130))
    })
  }
  log(`${flags.quick ? 'quick' : 'full'} run in ${work}`)
  try {
    // 1. The two files, published into one CAR.
    const site = path.join(work, 'site')
    await fs.mkdir(site, { recursive: true })
    for (const f of FILES) {
      const file = path.join(site, f.name)
      if (f.size > 8 << 20) await writeLargeFile(file, f.size, `p2pcdn-bench-host-${f.id}`)
      else await fs.writeFile(file, bytesFor(`p2pcdn-bench-host-${f.id}`, f.size))
      f.sha256 = createHash('sha256')
        .update(await fs.readFile(file))
        .digest('hex')
    }
    log('publishing the two files')
    const published = await publish({ dir: site, out: path.join(work, 'out'), cacheDir: false, car: true })
    const manifest = JSON.parse(await fs.readFile(published.manifest, 'utf8'))
    for (const f of FILES) {
      f.cid = manifest.assets.find((a) => a.path === f.name)?.cid
      if (!f.cid) throw new Error(`the manifest lists no CID for ${f.name}`)
    }

    // 2. The host and the plain server, each in its own process.
    const repo = path.join(work, 'host-repo')
    const { token } = await createToken(repo, 'bench')
    const profileDir = flags['cpu-prof'] ? path.join(REPO, 'bench/results/profiles') : undefined
    if (profileDir) await fs.mkdir(profileDir, { recursive: true })
    log('starting the host and the plain HTTP server')
    const host = await startServerChild(loopbackHostArgs(repo), {
      cwd: REPO,
      nodeArgs: profileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-name=host.cpuprofile']
        : [],
    })
    children.push(host)
    const plain = await startServerChild([path.join(REPO, 'bench/lib/static-server.js'), '--dir', site], {
      cwd: REPO,
    })
    children.push(plain)
    const hostUrl = host.info.http
    const hostAddr = host.info.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))
    log(`host ${hostUrl} ${hostAddr}; plain ${plain.info.url}`)

    log(`uploading the CAR (${(published.carBytes / MB).toFixed(1)} MB)`)
    const uploadStarted = performance.now()
    const upload = await postFile(`${hostUrl}${CAR_UPLOAD_PATH}`, published.car, {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/vnd.ipld.car',
    })
    const uploadMs = performance.now() - uploadStarted
    const rssAfterUpload = processRss(host.pid)
    if (upload.status !== 201)
      throw new Error(`CAR upload answered ${upload.status}: ${JSON.stringify(upload.body)}`)
    if (!upload.body.roots?.map(String).includes(String(published.root))) {
      throw new Error(`CAR upload pinned ${JSON.stringify(upload.body.roots)}, not ${published.root}`)
    }

    // The real-peer reference: Kubo's daemon, the same CAR imported through its RPC API.
    const kuboBin = findKubo()
    let kubo
    if (kuboBin.ok) {
      const kuboRepo = await initKuboRepo(kuboBin, path.join(work, 'kubo-repo'), published.profile)
      log('starting Kubo (test profile: loopback only)')
      const daemon = await startKuboDaemon(kuboBin, kuboRepo)
      children.push(daemon)
      log(`Kubo gateway ${daemon.gateway}; ipfs dag import of the CAR`)
      const importMs = await timeKuboDagImport(kuboRepo, published.car, String(published.root))
      kubo = { ...daemon, version: await kuboVersion(kuboBin), importMs }
    } else {
      log(`Kubo reference rows skipped: ${kuboBin.reason}`)
      notes.push(`Kubo reference rows skipped: ${kuboBin.reason}`)
    }
    const methodList = kubo ? [...METHODS, KUBO_METHOD] : METHODS

    const agents = {
      plain: new http.Agent({ keepAlive: true, maxSockets: 1 }),
      gateway: new http.Agent({ keepAlive: true, maxSockets: 1 }),
      kubo: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    }
    const urlOf = (method, f) =>
      method === 'plain'
        ? `${plain.info.url}/${f.name}`
        : method === 'kubo'
          ? `${kubo.gateway}/ipfs/${f.cid}`
          : `${hostUrl}/ipfs/${f.cid}${method === 'car' ? '?format=car' : ''}`
    const pids = { host: host.pid, plain: plain.pid, bench: process.pid, ...(kubo ? { kubo: kubo.pid } : {}) }

    /** One fetch; `check` hashes the bytes and compares them with the file's. */
    const fetchOnce = async (method, f, check) => {
      const hash = check && method !== 'car' ? sha256() : undefined
      const onBytes = hash?.update
      const sample = cpuSampler(pids)
      let run
      if (method === 'bitswap') {
        run = await bitswapGet(hostAddr, f.cid, { onBytes })
      } else {
        run = await httpGet(urlOf(method, f), {
          agent: agents[method] ?? agents.gateway,
          onBytes,
        })
        if (run.status !== 200) throw new Error(`GET ${urlOf(method, f)} answered ${run.status}`)
      }
      const { cpuMs, otherCpuShare } = sample()
      const expected = method === 'car' ? undefined : f.size
      if (expected !== undefined && run.bytes !== expected) {
        throw new Error(`${method} gave ${run.bytes} bytes of ${f.name}, expected ${expected}`)
      }
      if (method === 'car' && run.bytes < f.size)
        throw new Error(`the CAR of ${f.name} has only ${run.bytes} bytes`)
      if (hash && hash.hex() !== f.sha256) throw new Error(`${method} gave other bytes than ${f.name}`)
      const { body, headers, ...rest } = run
      return {
        ...rest,
        hostCpuMs: cpuMs.host,
        plainCpuMs: cpuMs.plain,
        kuboCpuMs: cpuMs.kubo,
        benchCpuMs: cpuMs.bench,
        otherCpuShare,
      }
    }

    // 3. Each size: the HTTP methods take turns within each round (same conditions for
    // plain and gateway), then bitswap, whose client node starts and stops in this
    // process, in a block of its own so that its churn stays out of the HTTP timings.
    const results = []
    for (const f of FILES) {
      const samples = Object.fromEntries(methodList.map((m) => [m.id, []]))
      const httpGroup = ['plain', 'gateway', 'car', ...(kubo ? ['kubo'] : [])]
      for (const group of [httpGroup, ['bitswap']]) {
        log(`${f.label}: ${group.join(', ')}: ${f.warmups} warm-up round(s), checking the bytes`)
        for (let w = 0; w < f.warmups; w++) {
          for (const id of group) await fetchOnce(id, f, w === 0)
        }
        for (let r = 0; r < f.runs; r++) {
          if (f.size > MB || r % 10 === 0) await waitForQuiet()
          if (f.size > MB) log(`${f.label}: ${group.join(', ')}: round ${r + 1}/${f.runs}`)
          for (let k = 0; k < group.length; k++) {
            const id = group[(k + r) % group.length]
            samples[id].push(await fetchOnce(id, f, false))
          }
        }
      }
      const curl = {}
      if (available('curl')) {
        log(`${f.label}: curl, ${f.curlRuns} runs each of plain, gateway${kubo ? ' and Kubo' : ''}`)
        for (const id of ['plain', 'gateway', ...(kubo ? ['kubo'] : [])]) {
          await curlGet(urlOf(id, f))
          const runs = []
          for (let r = 0; r < f.curlRuns; r++) runs.push(await curlGet(urlOf(id, f)))
          if (runs.some((x) => x.status !== 200 || x.bytes !== f.size))
            throw new Error(`curl ${urlOf(id, f)} gave ${JSON.stringify(runs[0])}`)
          curl[id] = { ...summary(runs.map((x) => x.ms)), ttfbMedianMs: median(runs.map((x) => x.ttfbMs)) }
        }
        curl.ratio = curl.gateway.medianMs / curl.plain.medianMs
        if (curl.kubo) curl.gatewayOverKubo = curl.gateway.medianMs / curl.kubo.medianMs
      } else notes.push('curl not found: the curl cross-check is skipped')

      const plainMedian = median(samples.plain.map((s) => s.ms))
      // Same-round ratios: a slow stretch of a noisy machine hits both sides of a pair.
      const paired = (id) =>
        id === 'bitswap' ? undefined : median(samples[id].map((s, i) => s.ms / samples.plain[i].ms))
      const serverCpu = { plain: 'plainCpuMs', kubo: 'kuboCpuMs' }
      const methods = methodList.map((m) => {
        const runs = samples[m.id]
        const time = summary(runs.map((s) => s.ms))
        const ratio = time.medianMs / plainMedian
        const target = m.target
        return {
          method: m.id,
          label: m.label,
          url: m.id === 'bitswap' ? hostAddr : urlOf(m.id, f).replace(/^http:\/\/[^/]+/, ''),
          ...time,
          p90Ms: time.p90Ms,
          ttfbMedianMs: median(runs.map((s) => s.ttfbMs ?? s.ms)),
          bytesMedian: median(runs.map((s) => s.bytes)),
          mbps: f.size / MB / (time.medianMs / 1000),
          withDial: m.id === 'bitswap' ? summary(runs.map((s) => s.withDialMs)) : undefined,
          dialMedianMs: m.id === 'bitswap' ? median(runs.map((s) => s.dialMs)) : undefined,
          // Mean, not median: /proc counts CPU time in 10 ms ticks, coarser than one small fetch.
          serverCpuMsPerFetch: mean(runs.map((s) => s[serverCpu[m.id] ?? 'hostCpuMs'] ?? 0)),
          clientCpuMsPerFetch: mean(runs.map((s) => s.benchCpuMs ?? 0)),
          otherCpuShareMax: Math.max(0, ...runs.map((s) => s.otherCpuShare ?? 0)),
          ratio,
          pairedRatio: paired(m.id),
          target: target ?? null,
          pass: target === undefined ? null : ratio <= target,
          runs,
        }
      })
      const medianOf = (id) => methods.find((m) => m.method === id)?.medianMs
      results.push({
        file: f.name,
        label: f.label,
        size: f.size,
        cid: f.cid,
        warmups: f.warmups,
        methods,
        curl,
        // The host's gateway beside Kubo's, same client, same rounds (< 1: the host is faster).
        gatewayOverKubo: kubo ? medianOf('gateway') / medianOf('kubo') : undefined,
        gatewayOverKuboPaired: kubo
          ? median(samples.gateway.map((s, i) => s.ms / samples.kubo[i].ms))
          : undefined,
      })
    }

    const rss = {
      host: processRss(host.pid),
      plain: processRss(plain.pid),
      kubo: kubo ? processRss(kubo.pid) : undefined,
    }
    for (const agent of Object.values(agents)) agent.destroy()
    log('stopping the host and the plain server')
    for (const child of children.splice(0).reverse()) await child.stop()

    const profiles = []
    if (profileDir) {
      const file = path.join(profileDir, 'host.cpuprofile')
      profiles.push({ name: 'host', file: path.relative(REPO, file), summary: await summariseProfile(file) })
      notes.push('--cpu-prof: the host ran under the profiler, so its timings are slower than without it')
    }
    const busiest = Math.max(0, ...results.flatMap((r) => r.methods.map((m) => m.otherCpuShareMax)))
    if (busiest > 0.25) {
      notes.push(
        `other processes used up to ${(busiest * 100).toFixed(0)}% of the CPUs during some timed runs; medians are less affected than p90s. Run again on an idle machine, or raise --max-wait.`,
      )
    }

    const cpus = os.cpus()
    const record = {
      benchmark: 'p2pcdn host',
      mode: flags.quick ? 'quick' : 'full',
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        cpu: cpus[0]?.model ?? 'unknown',
        cpus: cpus.length,
        memoryBytes: os.totalmem(),
        curl: versionOf('curl'),
      },
      setup: {
        host: 'node dist/cli/bin.js host --http 127.0.0.1:0 --listen /ip4/127.0.0.1/tcp/0 --dht off --no-session (child process, FS repo)',
        plain: 'bench/lib/static-server.js: node:http + fs.createReadStream (child process)',
        client:
          'bench process: http.get with a keep-alive agent per server; bitswap: fresh in-memory Helia node per run',
        profile: published.profile,
        root: String(published.root),
        carBytes: published.carBytes,
        carBlocks: published.carBlocks,
        uploadMs,
        kubo: kubo
          ? {
              version: kubo.version,
              daemon: `ipfs init --profile=test,${published.profile} --empty-repo; ipfs daemon (child process, loopback only, telemetry off)`,
              gateway: kubo.gateway,
              // `ipfs dag import --pin-roots` of the same CAR through the daemon's RPC API (the CLI's own start included).
              dagImportMs: kubo.importMs,
              uploadOverDagImport: uploadMs / kubo.importMs,
            }
          : null,
      },
      target: { gatewayOverPlain: TARGET },
      rss: {
        hostPeakAfterUploadBytes: rssAfterUpload?.peakBytes,
        hostPeakBytes: rss.host?.peakBytes,
        hostCurrentBytes: rss.host?.currentBytes,
        plainPeakBytes: rss.plain?.peakBytes,
        kuboPeakBytes: rss.kubo?.peakBytes,
      },
      results,
      profiles,
      notes,
      durationS: (performance.now() - t0) / 1000,
    }
    const file = flags.json
      ? path.resolve(flags.json)
      : path.join(REPO, 'bench/results', flags.quick ? 'host.quick.json' : 'host.json')
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, `${JSON.stringify(record, null, 2)}\n`)
    process.stdout.write(formatReport(record))
    log(`results written to ${path.relative(process.cwd(), file)}; total ${record.durationS.toFixed(0)} s`)
  } finally {
    await cleanUp()
  }
}

function formatReport(record) {
  const ms = (x) => (x === undefined ? '—' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0))
  const out = [
    'p2pcdn host benchmark: one host on 127.0.0.1 beside plain node:http serving the same file (each its own process),',
    `same client (Node http.get, keep-alive); time to last byte, median of ${record.results.map((r) => `${r.methods[0].samplesMs.length} (${r.label})`).join(' / ')} runs`,
    '',
    'size    method                    median ms   p90 ms     MB/s  server CPU ms   × plain  (paired)   target   result',
    '(× plain: ratio of medians, the figure held to the target; paired: median of same-round ratios;',
    ' server CPU ms: mean CPU time of the serving process per fetch, for bitswap including the client node’s start and stop)',
  ]
  for (const r of record.results) {
    for (const m of r.methods) {
      out.push(
        `${r.label.padEnd(7)} ${m.label.padEnd(24)} ${ms(m.medianMs).padStart(10)} ${ms(m.p90Ms).padStart(8)} ${m.mbps.toFixed(0).padStart(8)} ${ms(m.serverCpuMsPerFetch).padStart(14)} ${`${m.ratio.toFixed(2)}×`.padStart(9)} ${m.pairedRatio === undefined ? ''.padStart(9) : `(${m.pairedRatio.toFixed(2)}×)`.padStart(9)}  ${m.target ? `<= ${m.target}×` : '      '}   ${m.pass === null ? '' : m.pass ? 'met' : 'MISSED'}`,
      )
      if (m.withDial) {
        out.push(
          `${''.padEnd(7)} ${'bitswap incl. dial'.padEnd(24)} ${ms(m.withDial.medianMs).padStart(10)} ${ms(m.withDial.p90Ms).padStart(8)} ${(r.size / MB / (m.withDial.medianMs / 1000)).toFixed(0).padStart(8)} ${''.padStart(14)} ${`${(m.withDial.medianMs / r.methods[0].medianMs).toFixed(2)}×`.padStart(9)}`,
        )
      }
    }
    if (r.curl.plain) {
      out.push(
        `${''.padEnd(7)} curl cross-check: plain ${ms(r.curl.plain.medianMs)} ms, gateway ${ms(r.curl.gateway.medianMs)} ms${r.curl.kubo ? `, Kubo ${ms(r.curl.kubo.medianMs)} ms` : ''} (fresh connection each) → ${r.curl.ratio.toFixed(2)}×`,
      )
    }
    if (r.gatewayOverKubo !== undefined) {
      out.push(
        `${''.padEnd(7)} host gateway / Kubo gateway: ${r.gatewayOverKubo.toFixed(2)}× (paired ${r.gatewayOverKuboPaired.toFixed(2)}×)`,
      )
    }
  }
  const mb = (x) => (x === undefined ? '—' : `${(x / MB).toFixed(0)} MB`)
  out.push(
    '',
    `peak RSS: host ${mb(record.rss.hostPeakBytes)} (${mb(record.rss.hostPeakAfterUploadBytes)} after the CAR upload), plain server ${mb(record.rss.plainPeakBytes)}${record.rss.kuboPeakBytes ? `, Kubo ${mb(record.rss.kuboPeakBytes)}` : ''}; CAR upload ${(record.setup.carBytes / MB).toFixed(0)} MB in ${(record.setup.uploadMs / 1000).toFixed(1)} s`,
  )
  const k = record.setup.kubo
  if (k) {
    out.push(
      `CAR ingest: host upload ${(record.setup.uploadMs / 1000).toFixed(2)} s, ${k.version} \`ipfs dag import --pin-roots\` ${(k.dagImportMs / 1000).toFixed(2)} s → ${k.uploadOverDagImport.toFixed(2)}× Kubo`,
    )
  }
  for (const p of record.profiles) {
    out.push('', `CPU profile ${p.name} (${p.file}), self time of ${p.summary.totalMs.toFixed(0)} ms:`)
    for (const o of p.summary.byOwner.slice(0, 8))
      out.push(`  ${(o.share * 100).toFixed(1).padStart(5)}%  ${o.ms.toFixed(0).padStart(6)} ms  ${o.name}`)
    out.push('  hottest functions:')
    for (const o of p.summary.byFunction.slice(0, 10))
      out.push(`  ${(o.share * 100).toFixed(1).padStart(5)}%  ${o.ms.toFixed(0).padStart(6)} ms  ${o.name}`)
  }
  if (record.notes.length) out.push('', 'Notes:', ...record.notes.map((n) => `  - ${n}`))
  const gated = record.results.flatMap((r) => r.methods.filter((m) => m.pass !== null).map((m) => ({ r, m })))
  const missed = gated.filter(({ m }) => !m.pass)
  out.push(
    '',
    missed.length
      ? `Targets missed (${missed.length}/${gated.length}): ${missed.map(({ r, m }) => `${r.label} ${m.method} ${m.ratio.toFixed(2)}× > ${m.target}×`).join(', ')}`
      : 'All targets met.',
  )
  return `${out.join('\n')}\n`
}

await main()
