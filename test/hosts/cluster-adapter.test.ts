/**
 * The IPFS Cluster adapter against a stand-in of Cluster's REST API (test/helpers/cluster-standin.ts):
 * IPFS Cluster itself is a Go binary that no registry reachable here ships, so it cannot run in these
 * tests. The stand-in follows Cluster's documented endpoints, shapes and errors, and keeps blocks and
 * pins in a real Helia node; the sites are real `publish()` output.
 */
import fs from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { CID } from 'multiformats/cid'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { clusterAdapter } from '../../src/hosts/adapters/cluster.js'
import { HostError } from '../../src/hosts/http.js'
import type { HostTarget, PushJob } from '../../src/hosts/types.js'
import { publish } from '../../src/index.js'
import { readCar } from '../helpers/car.js'
import {
  type ClusterStandin,
  type ClusterStandinOptions,
  clusterToken,
  STANDIN_VERSION,
  startClusterStandin,
} from '../helpers/cluster-standin.js'
import { tempDirs } from '../helpers/fs.js'

const CREDENTIALS = 'admin:s3cret-cluster-pass'
const FAST = { retry: { retries: 2, baseMs: 10, maxMs: 50 }, pollMs: 50 }

const dirs = tempDirs()
const running: ClusterStandin[] = []
let siteA: { car: string; root: string }
let siteB: { car: string; root: string }

async function makeSite(files: Record<string, string>): Promise<{ car: string; root: string }> {
  const dir = await dirs.make('cluster-site')
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true })
    await fs.writeFile(path.join(dir, name), content)
  }
  const out = path.join(await dirs.make('cluster-out'), 'out')
  const result = await publish({ dir, out, cacheDir: false })
  if (!result.car) throw new Error('publish wrote no CAR')
  return { car: result.car, root: result.root }
}

async function standin(options: ClusterStandinOptions = {}): Promise<ClusterStandin> {
  const s = await startClusterStandin({ authorization: CREDENTIALS, ...options })
  running.push(s)
  return s
}

const target = (url: string, extra: Partial<HostTarget> = {}): HostTarget => ({
  name: 'campus-cluster',
  url,
  type: 'cluster',
  tokenEnv: 'CLUSTER_CREDENTIALS',
  token: CREDENTIALS,
  ...extra,
})

const job = (site: { car: string; root: string }, extra: Partial<PushJob> = {}): PushJob => ({
  root: CID.parse(site.root),
  name: 'example.com@1',
  car: site.car,
  origins: [],
  wait: true,
  timeoutMs: 10_000,
  ...extra,
})

const calls = (s: ClusterStandin) => s.requests.map((r) => `${r.method} ${r.path}`)

beforeAll(async () => {
  const files = {
    'index.html': '<!doctype html><title>Cluster</title><link rel="stylesheet" href="style.css"><p>hello</p>',
    'style.css': 'body { color: rebeccapurple }',
    'data/notes.txt': 'a few bytes of text\n'.repeat(50),
  }
  siteA = await makeSite(files)
  siteB = await makeSite({ ...files, 'style.css': 'body { color: teal }' })
  expect(siteB.root).not.toBe(siteA.root)
})

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

afterAll(() => dirs.cleanup())

describe('check()', () => {
  it('reports the cluster version and latency from GET /id, with basic auth or a JWT', async () => {
    const s = await standin()
    const check = await clusterAdapter(target(s.url)).check()
    expect(check).toMatchObject({ reachable: true, authorised: true, version: STANDIN_VERSION })
    expect(check.error).toBeUndefined()
    expect(check.latencyMs).toBeGreaterThan(0)
    expect(check.latencyMs).toBeLessThan(5_000)
    const jwt = clusterToken('admin', 's3cret-cluster-pass')
    expect(await clusterAdapter(target(s.url, { token: jwt })).check()).toMatchObject({ authorised: true })
    expect(calls(s)).toEqual(['GET /id', 'GET /id'])
  })

  it('reports a host that is down as unreachable, fast', async () => {
    const server = http.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const started = Date.now()
    const check = await clusterAdapter(target(`http://127.0.0.1:${port}`), { retry: { retries: 0 } }).check()
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(check).toMatchObject({ reachable: false, authorised: false })
    expect(check.error).toMatch(/campus-cluster.*unreachable/)
  })

  it('reports a wrong password as not authorised, and push fails with ERR_HOST_AUTH without the secret', async () => {
    const s = await standin()
    const wrong = 'admin:wrong-pass-do-not-print'
    const adapter = clusterAdapter(target(s.url, { token: wrong }), FAST)
    expect(await adapter.check()).toMatchObject({ reachable: true, authorised: false })
    const err = await adapter.push(job(siteA)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostError)
    expect((err as HostError).code).toBe('ERR_HOST_AUTH')
    expect((err as HostError).message).toContain('"campus-cluster"')
    expect((err as HostError).message).toContain(s.url)
    expect((err as HostError).message).not.toContain('wrong-pass-do-not-print')
    expect(calls(s)).not.toContain('POST /add')
    expect(
      await clusterAdapter(target(s.url, { token: clusterToken('admin', 'nope') })).check(),
    ).toMatchObject({
      authorised: false,
    })
  })
})

describe('push()', () => {
  it('uploads the CAR, polls until pinned, and the cluster holds every block with the root pinned', async () => {
    const s = await standin({ pinDelayMs: 300 })
    const started = Date.now()
    const outcome = await clusterAdapter(target(s.url), FAST).push(job(siteA))
    expect(outcome.status).toBe('pinned')
    expect(outcome.requestid).toBe(siteA.root)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    const seq = calls(s)
    expect(seq.slice(0, 2)).toEqual([`GET /pins/${siteA.root}`, 'POST /add'])
    expect(seq.slice(2).length).toBeGreaterThanOrEqual(2)
    expect(new Set(seq.slice(2))).toEqual(new Set([`GET /pins/${siteA.root}`]))
    const { size } = await fs.stat(siteA.car)
    const upload = s.requests[1]
    expect(upload?.query).toMatchObject({ format: 'car', name: 'example.com@1', 'stream-channels': 'false' })
    expect(upload?.bytes).toBeGreaterThan(size)
    expect(outcome.bytesSent).toBe(s.requests.reduce((n, r) => n + r.bytes, 0))
    expect(await s.helia.pins.isPinned(CID.parse(siteA.root))).toBe(true)
    for (const cid of (await readCar(siteA.car)).cids) expect(await s.helia.blockstore.has(cid)).toBe(true)
  })

  it('sends replication-min/max as registered and waits for replication-min peers, not all', async () => {
    const s = await standin({ peers: 4, pinDelayMs: 100, pinStaggerMs: 2_000 })
    const host = target(s.url, { replicationMin: 1, replicationMax: 3 })
    const outcome = await clusterAdapter(host, FAST).push(job(siteA))
    expect(outcome.status).toBe('pinned')
    expect(s.requests.find((r) => r.path === '/add')?.query).toMatchObject({
      'replication-min': '1',
      'replication-max': '3',
    })
    const res = await fetch(`${s.url}/pins/${siteA.root}`, {
      headers: { Authorization: `Basic ${Buffer.from(CREDENTIALS).toString('base64')}` },
    })
    const info = (await res.json()) as { allocations: string[]; peer_map: Record<string, { status: string }> }
    expect(info.allocations).toEqual(s.peers.slice(0, 3))
    const statuses = s.peers.map((p) => info.peer_map[p]?.status)
    expect(statuses[0]).toBe('pinned')
    expect(statuses.slice(1, 3)).not.toContain('pinned')
    expect(statuses[3]).toBe('remote')
  })

  it('sends nothing more for a root every allocated peer has pinned', async () => {
    const s = await standin()
    const adapter = clusterAdapter(target(s.url), FAST)
    expect((await adapter.push(job(siteA))).status).toBe('pinned')
    s.requests.length = 0
    const again = await adapter.push(job(siteA))
    expect(again).toMatchObject({ status: 'already-pinned', bytesSent: 0, requestid: siteA.root })
    expect(calls(s)).toEqual([`GET /pins/${siteA.root}`])
  })

  it('answers queued once the cluster accepted the upload, without wait', async () => {
    const s = await standin({ pinDelayMs: 5_000 })
    const outcome = await clusterAdapter(target(s.url), FAST).push(job(siteA, { wait: false }))
    expect(outcome.status).toBe('queued')
    expect(calls(s)).toEqual([`GET /pins/${siteA.root}`, 'POST /add'])
  })

  it('removes the previous pin once the changed site is pinned (Cluster has no replace)', async () => {
    const s = await standin({ pinDelayMs: 100 })
    const adapter = clusterAdapter(target(s.url), FAST)
    await adapter.push(job(siteA))
    s.requests.length = 0
    const outcome = await adapter.push(
      job(siteB, { previous: { root: siteA.root, requestid: siteA.root }, site: '0123456789abcdef' }),
    )
    expect(outcome.status).toBe('pinned')
    expect(outcome.replaced).toBe(siteA.root)
    expect(outcome.detail).toContain(`removed the previous pin ${siteA.root}`)
    // The site goes into the pin's metadata (Cluster's `meta-<key>` pin options).
    expect(s.requests.find((r) => r.path === '/add')?.query['meta-p2pcdn_site']).toBe('0123456789abcdef')
    const seq = calls(s)
    expect(seq.at(-1)).toBe(`DELETE /pins/${siteA.root}`)
    expect(seq.indexOf('POST /add')).toBeGreaterThan(-1)
    expect(seq.filter((c) => c.startsWith('DELETE'))).toHaveLength(1)
    expect(await s.helia.pins.isPinned(CID.parse(siteA.root))).toBe(false)
    expect(await s.helia.pins.isPinned(CID.parse(siteB.root))).toBe(true)
  })

  it('fails with ERR_HOST_FAILED naming the peer and its error when a peer reports pin_error', async () => {
    const s = await standin({
      pinDelayMs: 100,
      faults: { pinError: 'failed to fetch all blocks: context deadline exceeded' },
    })
    const err = await clusterAdapter(target(s.url), FAST)
      .push(job(siteA))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostError)
    expect((err as HostError).code).toBe('ERR_HOST_FAILED')
    expect((err as HostError).message).toContain('failed to fetch all blocks: context deadline exceeded')
    expect((err as HostError).message).toContain(`"cluster-0" (${s.peers[0]})`)
  })

  it('gives up waiting at timeoutMs', async () => {
    const s = await standin({ pinDelayMs: 60_000 })
    const started = Date.now()
    const err = await clusterAdapter(target(s.url), FAST)
      .push(job(siteA, { timeoutMs: 400 }))
      .catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect((err as HostError).code).toBe('ERR_HOST_FAILED')
    expect((err as HostError).message).toMatch(/did not pin .* within/)
  })

  it('retries a 503 on /add and succeeds', async () => {
    const s = await standin({ faults: { addFailures: [503] } })
    const outcome = await clusterAdapter(target(s.url), FAST).push(job(siteA))
    expect(outcome.status).toBe('pinned')
    const uploads = s.requests.filter((r) => r.path === '/add')
    expect(uploads).toHaveLength(2)
    expect(uploads[1]?.bytes).toBe(uploads[0]?.bytes)
    expect(await s.helia.pins.isPinned(CID.parse(siteA.root))).toBe(true)
  })

  it('pins by CID with origins when there is no CAR to upload', async () => {
    const s = await standin()
    // the stand-in's node is offline: the blocks Cluster would fetch from the origins are put there first
    const { store, cids } = await readCar(siteA.car)
    for (const cid of cids) await s.helia.blockstore.put(cid, await store.get(cid))
    const origin = `/ip4/127.0.0.1/tcp/4001/p2p/${s.peers[1]}`
    const outcome = await clusterAdapter(target(s.url, { replicationMin: 2, replicationMax: 2 }), FAST).push(
      job(siteA, { car: '', origins: [origin, '/ip4/127.0.0.1/tcp/4002'] }),
    )
    expect(outcome.status).toBe('pinned')
    expect(calls(s)).not.toContain('POST /add')
    const pin = s.requests.find((r) => r.method === 'POST')
    expect(pin?.path).toBe(`/pins/${siteA.root}`)
    expect(pin?.query).toEqual({
      name: 'example.com@1',
      mode: 'recursive',
      'replication-min': '2',
      'replication-max': '2',
      origins: origin,
    })
    expect(await s.helia.pins.isPinned(CID.parse(siteA.root))).toBe(true)
  })
})
