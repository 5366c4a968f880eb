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
 * and a push after one changed file (bytes sent against the CAR). Writes bench/results/push.json.
 */
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
  const push = async (root, car) => {
    const started = performance.now()
    const result = await pushSite({ hosts, root, car, name: 'bench-site', listen: ['/ip4/127.0.0.1/tcp/0'] })
    const ms = performance.now() - started
    if (!result.replication.met) throw new Error(`push failed: ${JSON.stringify(result.hosts)}`)
    return { ms, bytesSent: result.bytesSent, hosts: result.hosts }
  }

  const first = await push(published.root, published.car)
  const again = await push(published.root, published.car)
  const file = path.join(dir, generated.assetPaths[7])
  await fs.writeFile(file, Buffer.alloc(20_000, 7))
  const changedSite = await publish({ dir, out, cacheDir: path.join(work, 'cache') })
  const changed = await push(changedSite.root, changedSite.car)

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
  }
  const lines = [
    `push bench: ${generated.files} files (${human(generated.bytes)}), CAR ${human(carBytes)}, ${HOSTS} hosts on loopback`,
    `  first push          ${(first.ms / 1000).toFixed(2)} s   sent ${human(first.bytesSent)}   reference: whole CAR to each host ${human(carBytes * HOSTS)}  (${record.firstPush.ratio.toFixed(2)}×)`,
    `  re-push, unchanged  ${Math.round(again.ms)} ms   sent ${human(again.bytesSent)}   target <= ${RE_PUSH_TARGET_MS} ms (${record.rePushUnchanged.met ? 'met' : 'missed'})`,
    `  one file changed    ${Math.round(changed.ms)} ms   sent ${human(changed.bytesSent)} = ${(record.pushOneChanged.ratioToCar * 100).toFixed(2)}% of the CAR ×${HOSTS}  (${changed.hosts[0]?.detail})`,
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
