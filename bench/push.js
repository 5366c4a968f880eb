#!/usr/bin/env node
/**
 * Push benchmark (`npm run bench` runs it after the host bench), or
 *
 *   node bench/push.js [--quick]
 *
 * A 5,000-file site (5,000 × 20 KB assets; `--quick`: 500) and three `p2pcdn host` nodes, each a
 * child process on 127.0.0.1.
 * - Host ingest, through the hosts' HTTP API (bench/lib/host-ingest.js; the CAR built once with
 *   `ipfs-car`): each host's upload of the whole CAR beside Kubo's `ipfs dag import --pin-roots` of
 *   the same CAR into a fresh repo, measured in turn in this run; a re-push of the unchanged site
 *   (the missing-blocks question only) and a re-push after one changed file (the missing blocks,
 *   replacing the previous pin; target <= 1 s) to the three hosts at once, beside Kubo's import of
 *   the changed CAR into the repo that holds the first.
 * - End to end: `publish` then `pushSite` to three fresh hosts: time, and bytes sent against three
 *   times the CAR's size; a re-push of the unchanged site (target <= 1 s) and after one changed
 *   file. Beside them, the same pushes to a real IPFS Cluster of three peers, each with its own
 *   Kubo, replication 3 (bench/lib/cluster-child.mts; skipped, saying why, without the IPFS
 *   binaries that scripts/install-ipfs-peers.sh builds). A failure here is recorded, not fatal.
 * Writes bench/results/push.json.
 */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { generateSite } from './lib/generate.js'
import { loopbackHostArgs, startServerChild } from './lib/host-clients.js'
import { carBlocks, kuboDagImports, packCar, pushDelta, uploadCar } from './lib/host-ingest.js'
import { findKubo, kuboVersion } from './lib/kubo-reference.js'
import { REPO } from './lib/runners.js'

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
await import(path.join(REPO, 'dist/src/utils/promise-with-resolvers.js'))
const { openPublishedSite, publish, pushSite } = await import(path.join(REPO, 'dist/src/index.js'))
const { createToken } = await import(path.join(REPO, 'dist/src/host/index.js'))

const ASSETS = flags.quick ? 500 : 5000
const HOSTS = 3
const RE_PUSH_TARGET_MS = 1000
const CLUSTER_PEERS = 3
const work = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-bench-push-'))
const children = []
const human = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`)
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`

/** Three fresh hosts (child processes), each with a token. */
async function startHosts(label) {
  const hosts = []
  for (let i = 0; i < HOSTS; i++) {
    const repo = path.join(work, `${label}-${i}`)
    const { token } = await createToken(repo, 'bench')
    const child = await startServerChild(loopbackHostArgs(repo), { cwd: REPO })
    children.push(child)
    hosts.push({ name: `host-${i}`, url: child.info.http, type: 'p2pcdn', tokenEnv: `HOST_${i}`, token })
  }
  return hosts
}

/**
 * Host ingest through the HTTP API: per host, its upload of the whole CAR, then Kubo's dag import
 * of it into a fresh repo (turn about, so that both see the same machine); then the re-pushes.
 */
async function benchIngest(site, changedSite) {
  const kubo = findKubo()
  const hosts = await startHosts('ingest')
  const rounds = []
  const requests = []
  for (const host of hosts) {
    const ours = await uploadCar(host.url, host.token, site.car)
    requests.push(ours.json.pins[0].requestid)
    const ref = await kuboDagImports(kubo, work, [site, changedSite])
    rounds.push({ host: host.name, ms: ours.ms, kubo: ref })
  }
  const first = await carBlocks(site.car)
  const unchanged = await Promise.all(hosts.map((h) => pushDelta(h.url, h.token, first)))
  const changed = await carBlocks(changedSite.car)
  const started = performance.now()
  const delta = await Promise.all(hosts.map((h, i) => pushDelta(h.url, h.token, changed, requests[i])))
  const deltaMs = performance.now() - started
  const kuboMs = (i) => rounds.map((r) => r.kubo.ms?.[i]).filter((ms) => ms !== undefined)
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  return {
    car: {
      bytes: (await fs.stat(site.car)).size,
      blocks: first.blocks.length,
      builtWith: 'ipfs-car pack --no-wrap',
    },
    kubo: kubo.ok ? { version: await kuboVersion(kubo) } : { skipped: kubo.reason },
    perHost: rounds.map((r) => ({
      host: r.host,
      ms: Math.round(r.ms),
      kuboDagImportMs: r.kubo.ms ? Math.round(r.kubo.ms[0]) : null,
    })),
    medianMs: Math.round(median(rounds.map((r) => r.ms))),
    kuboMedianMs: kuboMs(0).length ? Math.round(median(kuboMs(0))) : null,
    rePushUnchanged: {
      ms: Math.round(Math.max(...unchanged.map((u) => u.ms))),
      blocksSent: unchanged.reduce((n, u) => n + u.sent, 0),
    },
    pushOneChanged: {
      ms: Math.round(deltaMs),
      blocksSent: delta.reduce((n, d) => n + d.sent, 0),
      perHostMs: delta.map((d) => Math.round(d.ms)),
      kuboDagImportMs: kuboMs(1).length ? Math.round(median(kuboMs(1))) : null,
      targetMs: RE_PUSH_TARGET_MS,
      met: deltaMs <= RE_PUSH_TARGET_MS,
    },
  }
}

/** `publish` + `pushSite` to three fresh hosts: first push, unchanged, one file changed. */
async function benchEndToEnd(dir, changeFile, carBytes) {
  const hosts = await startHosts('e2e')
  const out = path.join(work, 'out')
  const publishSite = () => publish({ dir, out, cacheDir: path.join(work, 'cache') })
  const push = async (published, to = hosts) => {
    // The blocks as `p2pcdn push` reads them (hashed from the output's files; not timed).
    const { blocks } = await openPublishedSite(out)
    const started = performance.now()
    const result = await pushSite({
      hosts: to,
      root: published.root,
      blocks,
      name: 'bench-site',
      listen: ['/ip4/127.0.0.1/tcp/0'],
    })
    const ms = performance.now() - started
    if (!result.replication.met) throw new Error(`push failed: ${JSON.stringify(result.hosts)}`)
    return { ms, bytesSent: result.bytesSent, hosts: result.hosts }
  }
  const published = await publishSite()
  const first = await push(published)
  const again = await push(published)
  const cluster = await startCluster().catch((err) => ({ skipped: err.message }))
  if (cluster.child) children.push(cluster.child)
  const clusterFirst = cluster.host && (await push(published, [cluster.host]))
  const clusterAgain = cluster.host && (await push(published, [cluster.host]))
  await changeFile()
  const changedSite = await publishSite()
  const changed = await push(changedSite)
  const clusterChanged = cluster.host && (await push(changedSite, [cluster.host]))
  return {
    firstPush: {
      ms: Math.round(first.ms),
      bytesSent: first.bytesSent,
      reference: { name: 'the whole CAR to each host', bytes: carBytes * HOSTS },
      ratio: first.bytesSent / (carBytes * HOSTS),
      perHost: first.hosts.map((h) => ({
        name: h.name,
        ms: h.durationMs,
        bytesSent: h.bytesSent,
        status: h.status,
      })),
    },
    rePushUnchanged: {
      ms: Math.round(again.ms),
      bytesSent: again.bytesSent,
      targetMs: RE_PUSH_TARGET_MS,
      met: again.ms <= RE_PUSH_TARGET_MS,
    },
    pushOneChanged: {
      ms: Math.round(changed.ms),
      bytesSent: changed.bytesSent,
      ratioToCar: changed.bytesSent / (carBytes * HOSTS),
      targetMs: RE_PUSH_TARGET_MS,
      met: changed.ms <= RE_PUSH_TARGET_MS,
      detail: changed.hosts.map((h) => h.detail),
    },
    cluster: cluster.host
      ? {
          peers: CLUSTER_PEERS,
          replication: CLUSTER_PEERS,
          version: cluster.version,
          firstPush: { ms: Math.round(clusterFirst.ms), bytesSent: clusterFirst.bytesSent },
          rePushUnchanged: { ms: Math.round(clusterAgain.ms), bytesSent: clusterAgain.bytesSent },
          pushOneChanged: { ms: Math.round(clusterChanged.ms), bytesSent: clusterChanged.bytesSent },
        }
      : { skipped: cluster.skipped },
  }
}

function ingestLines(ingest) {
  const kubo = (ms) => (ms === null ? 'Kubo: skipped' : `Kubo dag import ${secs(ms)}`)
  return [
    `  host ingest (HTTP API, CAR ${human(ingest.car.bytes)}, ${ingest.car.blocks} blocks; ${ingest.kubo.version ?? `Kubo skipped: ${ingest.kubo.skipped}`}):`,
    ...ingest.perHost.map((h) => `    ${h.host}  upload ${secs(h.ms)}   ${kubo(h.kuboDagImportMs)}`),
    `    median  ${secs(ingest.medianMs)} vs ${kubo(ingest.kuboMedianMs)}`,
    `    re-push, unchanged  ${ingest.rePushUnchanged.ms} ms (${ingest.rePushUnchanged.blocksSent} blocks sent)`,
    `    one file changed    ${ingest.pushOneChanged.ms} ms to ${HOSTS} hosts (${ingest.pushOneChanged.blocksSent} blocks sent), target <= ${RE_PUSH_TARGET_MS} ms (${ingest.pushOneChanged.met ? 'met' : 'missed'}); ${kubo(ingest.pushOneChanged.kuboDagImportMs)} of the changed CAR`,
  ]
}

function endToEndLines(e2e) {
  if (e2e.failed) return [`  end to end (publish + push): failed: ${e2e.failed}`]
  const { firstPush: first, rePushUnchanged: again, pushOneChanged: changed, cluster } = e2e
  return [
    `  end to end (publish + push):`,
    `    first push          ${secs(first.ms)}   sent ${human(first.bytesSent)}   reference: whole CAR to each host ${human(first.reference.bytes)}  (${first.ratio.toFixed(2)}×)`,
    `    re-push, unchanged  ${again.ms} ms   sent ${human(again.bytesSent)}   target <= ${RE_PUSH_TARGET_MS} ms (${again.met ? 'met' : 'missed'})`,
    `    one file changed    ${changed.ms} ms   sent ${human(changed.bytesSent)}   target <= ${RE_PUSH_TARGET_MS} ms (${changed.met ? 'met' : 'missed'})  (${changed.detail[0]})`,
    ...(cluster.skipped
      ? [`    IPFS Cluster: skipped (${cluster.skipped})`]
      : [
          `    IPFS Cluster ${cluster.version}, ${CLUSTER_PEERS} peers, replication ${CLUSTER_PEERS}: first ${secs(cluster.firstPush.ms)}, unchanged ${cluster.rePushUnchanged.ms} ms, one changed ${secs(cluster.pushOneChanged.ms)}`,
        ]),
  ]
}

try {
  const dir = path.join(work, 'site')
  const generated = await generateSite(dir, { assets: ASSETS, pages: 0, assetSize: 20_000, seed: 'push' })
  const site = { file: path.join(work, 'site.car') }
  site.root = await packCar(dir, site.file)
  site.car = site.file
  const changedFile = path.join(dir, generated.assetPaths[7])
  const original = await fs.readFile(changedFile)
  await fs.writeFile(changedFile, Buffer.alloc(20_000, 7))
  const changedSite = { file: path.join(work, 'site-changed.car') }
  changedSite.root = await packCar(dir, changedSite.file)
  changedSite.car = changedSite.file
  await fs.writeFile(changedFile, original)

  const ingest = await benchIngest(site, changedSite)
  for (const child of children.splice(0)) await child.stop().catch(() => {})
  const e2e = await benchEndToEnd(
    dir,
    () => fs.writeFile(changedFile, Buffer.alloc(20_000, 7)),
    ingest.car.bytes,
  ).catch((err) => ({ failed: err.message }))
  const record = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model },
    site: {
      files: generated.files,
      bytes: generated.bytes,
      carBytes: ingest.car.bytes,
      blocks: ingest.car.blocks,
    },
    hosts: HOSTS,
    ingest,
    ...e2e,
  }
  const lines = [
    `push bench: ${generated.files} files (${human(generated.bytes)}), ${HOSTS} hosts on loopback`,
    ...ingestLines(ingest),
    ...endToEndLines(e2e),
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  await fs.mkdir(path.join(REPO, 'bench/results'), { recursive: true })
  const name = flags.quick ? 'push.quick.json' : 'push.json'
  await fs.writeFile(path.join(REPO, 'bench/results', name), `${JSON.stringify(record, null, 2)}\n`)
  process.stdout.write(`  → bench/results/${name}\n`)
} finally {
  for (const child of children) await child.stop().catch(() => {})
  await fs.rm(work, { recursive: true, force: true })
}

/**
 * A real IPFS Cluster in a child process (bench/lib/cluster-child.mts), registered as a `cluster`
 * host with replication-min/max = its peers; rejects with the reason when the binaries are missing.
 */
async function startCluster() {
  const missing = ['ipfs', 'ipfs-cluster-service'].filter((program) => !findPeer(program))
  if (missing.length > 0) {
    throw new Error(`no ${missing.join(', ')}: run scripts/install-ipfs-peers.sh (needs Go)`)
  }
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPO, 'bench/lib/cluster-child.mts'), String(CLUSTER_PEERS)],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => {
    err += d
  })
  const info = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))))
    })
    child.once('exit', (code) =>
      reject(new Error(`the cluster did not start (exit ${code}): ${err.slice(-500)}`)),
    )
  })
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', resolve)
      child.stdin.end()
    })
  const host = {
    name: 'cluster',
    url: info.url,
    type: 'cluster',
    tokenEnv: 'CLUSTER_AUTH',
    token: info.credentials,
    replicationMin: CLUSTER_PEERS,
    replicationMax: CLUSTER_PEERS,
  }
  const id = await (
    await fetch(`${info.url}/id`, {
      headers: { Authorization: `Basic ${Buffer.from(info.credentials).toString('base64')}` },
    })
  ).json()
  return { child: { stop }, host, version: id.version }
}

/** A peer program as test/helpers/peers.ts finds it: its variable, the install script's folder, PATH. */
function findPeer(program) {
  const variable = { ipfs: 'P2PCDN_KUBO_BIN', 'ipfs-cluster-service': 'P2PCDN_CLUSTER_SERVICE_BIN' }[program]
  const cache =
    process.env.P2PCDN_PEERS_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'p2pcdn-peers')
  const candidates = process.env[variable]
    ? [process.env[variable]]
    : [
        path.join(cache, 'bin', program),
        ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, program)),
      ]
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}
