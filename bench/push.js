#!/usr/bin/env node
/**
 * Push benchmark (`npm run bench` runs it after the host bench), or
 *
 *   node bench/push.js [--quick]
 *
 * Publishes a 5,000-file site (5,000 × 20 KB assets; `--quick`: 500) and pushes it to three
 * `p2pcdn host` nodes, each a child process on 127.0.0.1 (CAR fast path): time, and bytes sent
 * against three times the CAR's size (the reference: uploading the whole CAR to each host, as a
 * plain `curl --data-binary` of it would). Then a re-push of the unchanged site (target <= 1 s),
 * and a push after one changed file (bytes sent against the CAR). Beside them, the same three
 * pushes to a real IPFS Cluster of three peers, each with its own Kubo, replication 3
 * (bench/lib/cluster-child.mts; skipped, saying why, without the IPFS binaries that
 * scripts/install-ipfs-peers.sh builds). Writes bench/results/push.json.
 */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { generateSite } from './lib/generate.js'
import { loopbackHostArgs, startServerChild } from './lib/host-clients.js'
import { REPO } from './lib/runners.js'

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
await import(path.join(REPO, 'dist/src/utils/promise-with-resolvers.js'))
const { publish, pushSite } = await import(path.join(REPO, 'dist/src/index.js'))
const { createToken } = await import(path.join(REPO, 'dist/src/host/index.js'))

const ASSETS = flags.quick ? 500 : 5000
const HOSTS = 3
const RE_PUSH_TARGET_MS = 1000
const CLUSTER_PEERS = 3
const work = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-bench-push-'))
const children = []
const human = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`)

try {
  const dir = path.join(work, 'site')
  const generated = await generateSite(dir, { assets: ASSETS, pages: 0, assetSize: 20_000, seed: 'push' })
  const out = path.join(work, 'out')
  const published = await publish({ dir, out, cacheDir: path.join(work, 'cache') })
  const carBytes = (await fs.stat(published.car)).size

  const hosts = []
  for (let i = 0; i < HOSTS; i++) {
    const repo = path.join(work, `host-${i}`)
    const { token } = await createToken(repo, 'bench')
    const child = await startServerChild(loopbackHostArgs(repo), { cwd: REPO })
    children.push(child)
    hosts.push({ name: `host-${i}`, url: child.info.http, type: 'p2pcdn', tokenEnv: `HOST_${i}`, token })
  }
  const push = async (root, car, to = hosts) => {
    const started = performance.now()
    const result = await pushSite({
      hosts: to,
      root,
      car,
      name: 'bench-site',
      listen: ['/ip4/127.0.0.1/tcp/0'],
    })
    const ms = performance.now() - started
    if (!result.replication.met) throw new Error(`push failed: ${JSON.stringify(result.hosts)}`)
    return { ms, bytesSent: result.bytesSent, hosts: result.hosts }
  }

  const first = await push(published.root, published.car)
  const again = await push(published.root, published.car)
  const cluster = await startCluster().catch((err) => ({ skipped: err.message }))
  if (cluster.child) children.push(cluster.child)
  const clusterFirst = cluster.host && (await push(published.root, published.car, [cluster.host]))
  const clusterAgain = cluster.host && (await push(published.root, published.car, [cluster.host]))
  const file = path.join(dir, generated.assetPaths[7])
  await fs.writeFile(file, Buffer.alloc(20_000, 7))
  const changedSite = await publish({ dir, out, cacheDir: path.join(work, 'cache') })
  const changed = await push(changedSite.root, changedSite.car)
  const clusterChanged = cluster.host && (await push(changedSite.root, changedSite.car, [cluster.host]))

  const record = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model },
    site: { files: generated.files, bytes: generated.bytes, carBytes, blocks: published.carBlocks },
    hosts: HOSTS,
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
  const lines = [
    `push bench: ${generated.files} files (${human(generated.bytes)}), CAR ${human(carBytes)}, ${HOSTS} hosts on loopback`,
    `  first push          ${(first.ms / 1000).toFixed(2)} s   sent ${human(first.bytesSent)}   reference: whole CAR to each host ${human(carBytes * HOSTS)}  (${record.firstPush.ratio.toFixed(2)}×)`,
    `  re-push, unchanged  ${Math.round(again.ms)} ms   sent ${human(again.bytesSent)}   target <= ${RE_PUSH_TARGET_MS} ms (${record.rePushUnchanged.met ? 'met' : 'missed'})`,
    `  one file changed    ${Math.round(changed.ms)} ms   sent ${human(changed.bytesSent)} = ${(record.pushOneChanged.ratioToCar * 100).toFixed(2)}% of the CAR ×${HOSTS}  (${changed.hosts[0]?.detail})`,
    ...(cluster.host
      ? [
          `  IPFS Cluster ${cluster.version}, ${CLUSTER_PEERS} peers with their own Kubo, replication ${CLUSTER_PEERS} (the CAR to one peer, which sends the blocks on):`,
          `    first push          ${(clusterFirst.ms / 1000).toFixed(2)} s   sent ${human(clusterFirst.bytesSent)}`,
          `    re-push, unchanged  ${Math.round(clusterAgain.ms)} ms   sent ${human(clusterAgain.bytesSent)}`,
          `    one file changed    ${(clusterChanged.ms / 1000).toFixed(2)} s   sent ${human(clusterChanged.bytesSent)} (the whole CAR: the REST API takes no delta)`,
        ]
      : [`  IPFS Cluster: skipped (${cluster.skipped})`]),
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
