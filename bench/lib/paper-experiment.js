/**
 * One of the paper's test configurations, run on an emulated network (`p2pcdn/netem`): the
 * origin, the hosts and each client in their own network namespace, behind shaped and delayed
 * access links. The programs are the shipped ones, each run inside its node's namespace:
 *
 *   origin   bench/lib/static-server.js over the published site, over HTTPS (as the paper's
 *            origin: its TLS handshake is part of each sample)
 *   hosts    `p2pcdn host` (own repo, DHT and session discovery off, HTTPS), loaded with the
 *            site's CAR through their CAR upload on their own loopback (not over the emulated links):
 *            the CAR `p2pcdn publish --car` wrote beside the output (`<siteDir>.car`), else one
 *            streamed from the output's files (publish writes no CAR into its output)
 *
 * One self-signed certificate (openssl) names every node's address; the processes trust it
 * through NODE_EXTRA_CA_CERTS.
 *   clients  `p2pcdn bench`, one after the other (as the paper's volunteers ran its script):
 *            the origin, the paper's own method per host group (bitswap through an embedded
 *            node, `ipfs_mit`/`ipfs_residential`), and p2pcdn's visitor method (`ipfs_hosts`:
 *            blocks spread over every host's trustless gateway in parallel, each verified)
 *
 * Each client's results land in `<resultsDir>/<test>/<client>.json`, in the paper's format, so
 * `p2pcdn report` reads them. Needs root; `checkNetem()` says why not.
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { firstJsonLine, stopChild } from './children.js'
import { REPO } from './runners.js'

const CLI = path.join(REPO, 'dist/cli/bin.js')
const STATIC_SERVER = path.join(REPO, 'bench/lib/static-server.js')
const PORT = { http: 8443, libp2p: 4001 }

/** A self-signed certificate (EC P-256) for these IP addresses; its files. */
function makeCertificate(dir, addresses) {
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  const san = ['127.0.0.1', ...addresses].map((a) => `IP:${a}`).join(',')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
    ].concat([
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=p2pcdn paper experiment',
      '-addext',
      `subjectAltName=${san}`,
    ]),
    { stdio: 'ignore' },
  )
  return { cert, key }
}

/** Loads the built netem module (run `npm run build` first). */
export async function loadNetem() {
  return import(path.join(REPO, 'dist/src/netem/index.js'))
}

/**
 * The site's CAR to load the hosts with: `car` when given, else the one `p2pcdn publish --car`
 * writes beside the output folder (`<siteDir>.car`), else one written into `scratch` from the
 * output's files (the built library checks they still make the manifest's root).
 */
export async function siteCar(siteDir, scratch, car) {
  if (car !== undefined) return car
  const sibling = `${siteDir.replace(/[\\/]+$/, '')}.car`
  if (
    await fs.stat(sibling).then(
      (s) => s.isFile(),
      () => false,
    )
  )
    return sibling
  const { openPublishedSite } = await import(path.join(REPO, 'dist/src/index.js'))
  const { blocks } = await openPublishedSite(siteDir)
  const file = path.join(scratch, 'site.car')
  await pipeline(blocks.car(), createWriteStream(file))
  return file
}

/** Runs `node <args>` inside a node's namespace to its end; throws with its stderr on failure. */
async function nodeExec(node, args, options = {}) {
  const result = await node.exec(process.execPath, args, options)
  if (result.code !== 0)
    throw new Error(
      `${node.name}: node ${args.slice(0, 2).join(' ')} … exited ${result.code}: ${result.stderr.trim()}`,
    )
  return result
}

/** Posts the site's CAR to a host's CAR upload, from inside the host's namespace. */
const UPLOAD = `
const fs = require('node:fs')
const [car, token, port] = process.argv.slice(1)
fetch('https://127.0.0.1:' + port + '/p2pcdn/v1/car?name=paper', {
  method: 'POST', duplex: 'half', body: fs.createReadStream(car),
  headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/vnd.ipld.car' },
}).then(async (r) => { if (!r.ok) { console.error(r.status, await r.text()); process.exit(1) } })
  .catch((e) => { console.error(e.message); process.exit(1) })
`

/** Writes `value` as JSON through a temporary name, so a reader never sees half a file. */
export async function writeJsonAtomic(file, value) {
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`)
  await fs.rename(`${file}.tmp`, file)
}

/** Merges results files of one client (e.g. one per asset) into one. */
export function mergeResults(files) {
  const merged = { VERSION: files[0]?.VERSION, curl: {} }
  for (const file of files) {
    for (const [key, value] of Object.entries(file)) {
      if (key === 'VERSION' || key === 'p2pcdn') continue
      merged[key] = { ...(merged[key] ?? {}), ...value }
    }
  }
  merged.p2pcdn = { runs: files.map((f) => f.p2pcdn).filter(Boolean) }
  return merged
}

/**
 * Runs one experiment.
 *
 * @param {object} options
 * @param {import('../../src/netem/index.js').NetemExperiment} options.experiment
 * @param {string} options.siteDir the folder `p2pcdn publish` wrote (manifest and the files)
 * @param {string} [options.car] the site's CAR (default: `<siteDir>.car` when `publish --car` wrote it, else one made from `siteDir`)
 * @param {Record<string, string>} options.assets results asset name → site path, e.g. { iphone: 'iphone.jpg' }
 * @param {string} options.resultsDir
 * @param {string[]} [options.clients] results names of the clients to run (default: all)
 * @param {Record<string, { origin: number, p2p: number }>} [options.samples] per asset (default: the experiment's)
 * @param {number} [options.timeoutMs] per sample
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<{ files: string[], hosts: { name: string, peerId: string }[] }>}
 */
export async function runPaperExperiment(options) {
  const { createNetwork, experimentNodes } = await loadNetem()
  const { experiment, siteDir, resultsDir } = options
  const log = options.log ?? (() => {})
  const clients = experiment.clients.filter(
    (c) => options.clients === undefined || options.clients.includes(c.results),
  )
  const network = await createNetwork({
    nodes: experimentNodes(
      experiment,
      clients.map((c) => c.results),
    ),
  })
  const children = []
  const temp = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-paper-'))
  try {
    const car = await siteCar(siteDir, temp, options.car)
    const tls = makeCertificate(
      temp,
      network.nodes.map((n) => n.address),
    )
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: tls.cert }
    // Hosts: a repo and a token each, started inside their namespaces, loaded with the CAR.
    const hosts = []
    for (const spec of experiment.hosts) {
      const node = network.node(spec.node)
      const repo = path.join(temp, spec.node)
      const token = await runCli(['host', 'token', 'create', '--repo', repo, '--label', 'paper'])
      const child = node.spawn(
        process.execPath,
        [
          CLI,
          'host',
          '--repo',
          repo,
          '--http',
          `0.0.0.0:${PORT.http}`,
          '--listen',
          `/ip4/0.0.0.0/tcp/${PORT.libp2p}`,
          '--announce',
          `/ip4/${node.address}/tcp/${PORT.libp2p}`,
          '--dht',
          'off',
          '--no-session',
          '--tls-cert',
          tls.cert,
          '--tls-key',
          tls.key,
          '--json',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env },
      )
      children.push(child)
      const info = await firstJsonLine(child, 60_000, `the host on ${spec.node}`)
      await nodeExec(node, ['-e', UPLOAD, car, token.trim(), String(PORT.http)], { timeoutMs: 300_000, env })
      hosts.push({ name: spec.node, node, peerId: info.peerId })
      log(`  ${spec.node}: p2pcdn host ${info.peerId} at ${node.address}, site loaded`)
    }
    // The origin.
    const originNode = network.node(experiment.origin.node)
    const origin = originNode.spawn(
      process.execPath,
      [
        STATIC_SERVER,
        '--dir',
        siteDir,
        '--listen',
        `0.0.0.0:${PORT.http}`,
        '--tls-cert',
        tls.cert,
        '--tls-key',
        tls.key,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    children.push(origin)
    await firstJsonLine(origin, 30_000, 'the origin server')
    const originUrl = `https://${originNode.address}:${PORT.http}`

    // The paper's sources: bitswap per host group; p2pcdn's: every host's gateway in parallel.
    const peers = []
    for (const [key, nodes] of Object.entries(experiment.sources)) {
      if (key === 'ipfs_hosts') continue
      const group = key.replace(/^ipfs_/, '')
      for (const name of nodes) {
        const host = hosts.find((h) => h.name === name)
        peers.push('--peer', `${group}=/ip4/${host.node.address}/tcp/${PORT.libp2p}/p2p/${host.peerId}`)
      }
    }
    // Without a host group of the paper's (parallel-hosts), the paper's method over all of them.
    if (peers.length === 0)
      for (const host of hosts)
        peers.push('--peer', `bitswap=/ip4/${host.node.address}/tcp/${PORT.libp2p}/p2p/${host.peerId}`)
    const gateways = hosts.flatMap((h) => ['--gateway', `https://${h.node.address}:${PORT.http}`])
    const kinds = ['bitswap', 'hosts']

    const files = []
    await fs.mkdir(path.join(resultsDir, experiment.id), { recursive: true })
    for (const client of clients) {
      const node = network.node(client.node)
      const parts = []
      for (const asset of client.assets) {
        const samples = options.samples?.[asset] ?? experiment.samples[asset]
        if (samples === undefined) continue
        const out = path.join(temp, `${client.node}-${asset}.json`)
        log(
          `  ${client.results} (${client.profile}): ${asset}, ${samples.origin} origin + ${samples.p2p} per P2P source`,
        )
        await nodeExec(
          node,
          [
            CLI,
            'bench',
            '--manifest',
            siteDir,
            '--origin',
            originUrl,
            '--asset',
            `${asset}=${options.assets[asset]}`,
            ...peers,
            ...gateways,
            '--sources',
            kinds.join(','),
            '--runs',
            String(samples.p2p),
            '--origin-runs',
            String(samples.origin),
            '--timeout',
            String(options.timeoutMs ?? 300_000),
            '--client',
            client.results,
            '--out',
            out,
            '--quiet',
          ],
          { timeoutMs: 3_600_000, env },
        )
        parts.push(JSON.parse(await fs.readFile(out, 'utf8')))
      }
      const merged = mergeResults(parts)
      merged.p2pcdn.experiment = {
        id: experiment.id,
        client: { name: client.results, profile: client.profile, link: node.link },
        origin: { profile: experiment.origin.profile, link: originNode.link },
        hosts: hosts.map((h) => ({ name: h.name, link: h.node.link })),
      }
      const file = path.join(resultsDir, experiment.id, `${client.results}.json`)
      await writeJsonAtomic(file, merged)
      files.push(file)
    }
    return { files, hosts: hosts.map((h) => ({ name: h.name, peerId: h.peerId })) }
  } finally {
    for (const child of children) await stopChild(child)
    await network.destroy()
    await fs.rm(temp, { recursive: true, force: true })
  }
}

/** Runs the built CLI in this namespace (no network: repo and token work); its stdout. */
async function runCli(args) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c) => {
    stdout += c
  })
  child.stderr.setEncoding('utf8').on('data', (c) => {
    stderr += c
  })
  const [code] = await once(child, 'close')
  if (code !== 0) throw new Error(`p2pcdn ${args.join(' ')} exited ${code}: ${stderr.trim()}`)
  return stdout
}
