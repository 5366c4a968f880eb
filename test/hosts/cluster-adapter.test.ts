/**
 * The IPFS Cluster adapter (and the pinning-service adapter against the cluster's own Pinning
 * Service API) against a real IPFS Cluster v1.1.6: two `ipfs-cluster-service` peers with CRDT
 * consensus, each with its own Kubo, on 127.0.0.1 (test/helpers/cluster-daemon.ts), plus an
 * `ipfs-cluster-follow` volunteer. The sites are real `publish()` output; what each peer holds is
 * read back from the cluster (`GET /pins/{cid}`, `ipfs-cluster-ctl status`) and from each peer's
 * own Kubo (`ipfs pin ls`). The README's two cluster sections are run as written where they can
 * be on 127.0.0.1: `hosts add … --type cluster` through the built CLI, and the follower template
 * made with the README's jq filter.
 *
 * One fault the real cluster cannot be made to produce on demand, a passing 503 from `/add`, is
 * injected by the recording proxy (test/helpers/recording-proxy.ts), which also records the requests the adapter makes (to
 * show what was, and was not, sent). Peers that are down are real: a Kubo or a cluster daemon is
 * stopped.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterAdapter } from '../../src/hosts/adapters/cluster.js'
import { HostError } from '../../src/hosts/http.js'
import type { HostTarget, PushJob, SiteBlocks } from '../../src/hosts/types.js'
import { openPublishedSite, publish, pushSite } from '../../src/index.js'
import { blockKey } from '../../src/utils/block-key.js'
import { runCli } from '../helpers/cli.js'
import {
  type ClusterPeer,
  followerTemplate,
  startCluster,
  startFollower,
  type TestCluster,
} from '../helpers/cluster-daemon.js'
import { deadUrl } from '../helpers/fault-proxy.js'
import { ROOT, tempDirs } from '../helpers/fs.js'
import { startKubo } from '../helpers/kubo-daemon.js'
import { clusterCtl, clusterFollow, clusterService, kubo } from '../helpers/peers.js'
import { type RecordedRequest, type RecordingProxy, startRecordingProxy } from '../helpers/recording-proxy.js'

const run = promisify(execFile)
const FAST = { retry: { retries: 2, baseMs: 10, maxMs: 50 }, pollMs: 100, peerDownMs: 1_000 }
const SITE_ID = '0123456789abcdef'
const missing = clusterService.skip || clusterCtl.skip || kubo.skip
const titled = (name: string) => clusterService.title(clusterCtl.title(kubo.title(name)))

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

interface Site {
  /** The CAR publish wrote beside the output (`car: true`). */
  car: string
  root: string
  /** The site's blocks, read back from the output folder, as a push takes them. */
  blocks: SiteBlocks
}

let sites = 0
/** A small published site whose content (and so root) is its own. */
async function makeSite(label = `site ${++sites}`): Promise<Site> {
  const dir = await dirs.make('cluster-site')
  await fs.mkdir(path.join(dir, 'data'))
  await fs.writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html><title>${label}</title><link rel="stylesheet" href="style.css"><p>hello`,
  )
  await fs.writeFile(path.join(dir, 'style.css'), 'body { color: rebeccapurple }')
  await fs.writeFile(path.join(dir, 'data', 'notes.txt'), `${label}\n`.repeat(2000))
  const out = path.join(await dirs.make('cluster-out'), 'out')
  const result = await publish({ dir, out, cacheDir: false, car: true })
  if (!result.car) throw new Error('publish wrote no CAR')
  return { car: result.car, root: result.root, blocks: (await openPublishedSite(out)).blocks }
}

const target = (url: string, token: string, extra: Partial<HostTarget> = {}): HostTarget => ({
  name: 'campus-cluster',
  url,
  type: 'cluster',
  tokenEnv: 'CLUSTER_CREDENTIALS',
  token,
  ...extra,
})

const job = (site: Site, extra: Partial<PushJob> = {}): PushJob => ({
  root: CID.parse(site.root),
  name: 'example.com-3f9a1c0b',
  blocks: site.blocks,
  origins: [],
  wait: true,
  timeoutMs: 30_000,
  ...extra,
})

interface GlobalPinInfo {
  cid: string
  name: string
  allocations: string[]
  origins: string[] | null
  metadata: Record<string, string> | null
  peer_map: Record<string, { peername: string; status: string; error: string }>
}

/** The root's status on every peer, by peer name. */
async function statuses(peer: ClusterPeer, root: string): Promise<Record<string, string>> {
  const info = await peer.api<GlobalPinInfo>(`/pins/${root}`)
  return Object.fromEntries(Object.values(info.peer_map).map((p) => [p.peername, p.status]))
}

/** The recursive pins of a peer's own Kubo. */
async function kuboPins(peer: { kubo: ClusterPeer['kubo'] }): Promise<string[]> {
  return (await peer.kubo.repo.ipfs(['pin', 'ls', '--type=recursive', '--quiet'])).split('\n').filter(Boolean)
}

/** Polls until `check` passes (cluster state spreads over CRDT and pubsub in the background). */
async function eventually(check: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await sleep(200)
    }
  }
}

/** The requests a proxy saw, as `METHOD /path`. */
const sent = (proxy: RecordingProxy) => proxy.requests.map((r) => `${r.method} ${r.path}`)

/** A recorded request's query as an object. */
const queryOf = (request: RecordedRequest | undefined) => Object.fromEntries(request?.query ?? [])

/** A JWT from the API's `POST /token` (basic auth), as `ipfs-cluster-ctl --basic-auth … token` gets one. */
async function clusterJwt(apiUrl: string, credentials: string): Promise<string> {
  const res = await fetch(`${apiUrl}/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

describe.skipIf(missing)(titled('IPFS Cluster adapter against a real two-peer cluster'), () => {
  let cluster: TestCluster
  let p0: ClusterPeer
  let p1: ClusterPeer
  beforeAll(async () => {
    cluster = await startCluster({ peers: 2 })
    ;[p0, p1] = cluster.peers as [ClusterPeer, ClusterPeer]
  }, 90_000)
  afterAll(() => cluster?.stop())

  describe('check()', () => {
    it('reports the cluster version and latency from GET /id, with basic auth or a JWT', async () => {
      const check = await clusterAdapter(target(p0.restApi, cluster.credentials)).check()
      expect(check).toMatchObject({ reachable: true, authorised: true })
      expect(check.version).toMatch(/^1\.1\.6\b/)
      expect(check.error).toBeUndefined()
      expect(check.latencyMs).toBeGreaterThan(0)
      expect(check.latencyMs).toBeLessThan(5_000)
      const jwt = await clusterJwt(p0.restApi, cluster.credentials)
      expect(jwt).not.toContain(':')
      expect(await clusterAdapter(target(p1.restApi, jwt)).check()).toMatchObject({ authorised: true })
    })

    it('reports a host that is down as unreachable, fast', async () => {
      const started = Date.now()
      const check = await clusterAdapter(target(await deadUrl(), cluster.credentials), {
        retry: { retries: 0 },
      }).check()
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(check).toMatchObject({ reachable: false, authorised: false })
      expect(check.error).toMatch(/campus-cluster.*unreachable/)
    })

    it('a wrong or missing password or token is ERR_HOST_AUTH naming the host, never the secret, and nothing is uploaded', async () => {
      const site = await makeSite()
      const proxy = await startRecordingProxy(p0.restApi)
      try {
        const wrong = 'admin:wrong-pass-do-not-print'
        const adapter = clusterAdapter(target(proxy.url, wrong), FAST)
        expect(await adapter.check()).toMatchObject({ reachable: true, authorised: false })
        const err = await adapter.push(job(site)).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(HostError)
        expect((err as HostError).code).toBe('ERR_HOST_AUTH')
        expect((err as HostError).message).toContain('"campus-cluster"')
        expect((err as HostError).message).toContain(proxy.url)
        expect((err as HostError).message).toContain('$CLUSTER_CREDENTIALS')
        expect((err as HostError).message).not.toContain('wrong-pass-do-not-print')

        // no token at all, and a JWT signed with another password
        const none = await clusterAdapter({ ...target(proxy.url, ''), token: undefined }, FAST)
          .push(job(site))
          .catch((e: unknown) => e)
        expect((none as HostError).code).toBe('ERR_HOST_AUTH')
        const forged = await clusterJwt(p0.restApi, cluster.credentials).then(
          (jwt) => `${jwt.slice(0, -4)}AAAA`,
        )
        const badJwt = clusterAdapter(target(proxy.url, forged), FAST)
        expect(await badJwt.check()).toMatchObject({ reachable: true, authorised: false })
        const err2 = await badJwt.push(job(site)).catch((e: unknown) => e)
        expect((err2 as HostError).code).toBe('ERR_HOST_AUTH')
        expect((err2 as HostError).message).not.toContain(forged)

        expect(sent(proxy)).not.toContain('POST /add')
        expect(await statuses(p0, site.root)).toEqual({ 'cluster-0': 'unpinned', 'cluster-1': 'unpinned' })
      } finally {
        await proxy.close()
      }
    })
  })

  describe('push()', () => {
    it('with replication-min/max 2: uploads the CAR once and answers pinned when both peers pinned it', async () => {
      const site = await makeSite()
      const proxy = await startRecordingProxy(p0.restApi)
      try {
        const host = target(proxy.url, cluster.credentials, { replicationMin: 2, replicationMax: 2 })
        const outcome = await clusterAdapter(host, FAST).push(job(site, { site: SITE_ID }))
        expect(outcome).toMatchObject({ status: 'pinned', requestid: site.root })
        const carBytes = (await fs.stat(site.car)).size
        expect(outcome.detail).toBe(`uploaded the CAR (${carBytes} bytes)`)

        const uploads = proxy.requests.filter((r) => r.path === '/add')
        expect(uploads).toHaveLength(1)
        expect(queryOf(uploads[0])).toMatchObject({
          format: 'car',
          'stream-channels': 'false',
          name: 'example.com-3f9a1c0b',
          mode: 'recursive',
          'replication-min': '2',
          'replication-max': '2',
          'meta-p2pcdn_site': SITE_ID,
        })
        expect(uploads[0]?.bytes).toBeGreaterThan(carBytes)
        expect(outcome.bytesSent).toBe(proxy.requests.reduce((n, r) => n + r.bytes, 0))
        expect(sent(proxy)[0]).toBe(`GET /pins/${site.root}`)

        // the cluster's own view: allocated to both peers, pinned on both, with the site's metadata
        const info = await p1.api<GlobalPinInfo>(`/pins/${site.root}`)
        expect(new Set(info.allocations)).toEqual(new Set([p0.id, p1.id]))
        expect(info.peer_map[p0.id]).toMatchObject({ peername: 'cluster-0', status: 'pinned' })
        expect(info.peer_map[p1.id]).toMatchObject({ peername: 'cluster-1', status: 'pinned' })
        expect(info).toMatchObject({ name: 'example.com-3f9a1c0b', metadata: { p2pcdn_site: SITE_ID } })
        const ctl = await p1.ctl(['status', site.root])
        expect(ctl.match(/PINNED/g)).toHaveLength(2)
        // and each peer's own Kubo holds the whole DAG, pinned recursively
        for (const peer of [p0, p1]) expect(await kuboPins(peer)).toContain(site.root)
      } finally {
        await proxy.close()
      }
    })

    it('sends nothing but one status request for a root the cluster already pinned', async () => {
      const site = await makeSite()
      const host = target(p0.restApi, cluster.credentials, { replicationMin: 2, replicationMax: 2 })
      expect((await clusterAdapter(host, FAST).push(job(site))).status).toBe('pinned')
      const proxy = await startRecordingProxy(p1.restApi)
      try {
        const again = await clusterAdapter({ ...host, url: proxy.url }, FAST).push(job(site))
        expect(again).toEqual({ status: 'already-pinned', bytesSent: 0, requestid: site.root })
        expect(sent(proxy)).toEqual([`GET /pins/${site.root}`])
      } finally {
        await proxy.close()
      }
    })

    it('answers queued once the cluster accepted the upload, without wait', async () => {
      const site = await makeSite()
      const proxy = await startRecordingProxy(p0.restApi)
      try {
        const outcome = await clusterAdapter(target(proxy.url, cluster.credentials), FAST).push(
          job(site, { wait: false }),
        )
        expect(outcome.status).toBe('queued')
        expect(sent(proxy)).toEqual([`GET /pins/${site.root}`, 'POST /add'])
        await eventually(async () =>
          expect(await statuses(p1, site.root)).toEqual({ 'cluster-0': 'pinned', 'cluster-1': 'pinned' }),
        )
      } finally {
        await proxy.close()
      }
    })

    it('re-publish: pins the changed site, then deletes the previous pin (Cluster has no replace)', async () => {
      const [siteA, siteB] = [await makeSite(), await makeSite()]
      const host = target(p0.restApi, cluster.credentials, { replicationMin: 2, replicationMax: 2 })
      await clusterAdapter(host, FAST).push(job(siteA, { site: SITE_ID }))
      const proxy = await startRecordingProxy(p0.restApi)
      try {
        const outcome = await clusterAdapter({ ...host, url: proxy.url }, FAST).push(
          job(siteB, { site: SITE_ID, previous: { root: siteA.root, requestid: siteA.root } }),
        )
        expect(outcome).toMatchObject({ status: 'pinned', replaced: siteA.root })
        expect(outcome.detail).toContain(`removed the previous pin ${siteA.root}`)
        const seq = sent(proxy)
        expect(seq.at(-1)).toBe(`DELETE /pins/${siteA.root}`)
        expect(seq.indexOf('POST /add')).toBeLessThan(seq.indexOf(`DELETE /pins/${siteA.root}`))
        expect(seq.filter((c) => c.startsWith('DELETE'))).toHaveLength(1)
      } finally {
        await proxy.close()
      }
      await eventually(async () => {
        expect(await statuses(p1, siteA.root)).toEqual({ 'cluster-0': 'unpinned', 'cluster-1': 'unpinned' })
        for (const peer of [p0, p1]) {
          const pins = await kuboPins(peer)
          expect(pins).toContain(siteB.root)
          expect(pins).not.toContain(siteA.root)
        }
      })
    })

    it('retries a 503 on /add with the whole CAR again, and succeeds', async () => {
      const site = await makeSite()
      const proxy = await startRecordingProxy(p0.restApi)
      proxy.inject('/add', {
        status: 503,
        body: JSON.stringify({ code: 503, message: 'injected by the test proxy' }),
      })
      try {
        const outcome = await clusterAdapter(target(proxy.url, cluster.credentials), FAST).push(job(site))
        expect(outcome.status).toBe('pinned')
        const uploads = proxy.requests.filter((r) => r.path === '/add')
        expect(uploads).toHaveLength(2)
        expect(uploads[1]?.bytes).toBe(uploads[0]?.bytes)
        for (const peer of [p0, p1]) expect(await kuboPins(peer)).toContain(site.root)
      } finally {
        await proxy.close()
      }
    })

    it('gives up waiting at timeoutMs, naming each peer’s state', async () => {
      // A CAR without one of the site's leaves: the peers' Kubos look for it until the pin times out.
      const site = await makeSite()
      const cids = await site.blocks.cids()
      const leaf = cids.find((cid) => cid.code === raw.code) as CID
      const only = new Set(cids.filter((cid) => !cid.equals(leaf)).map(blockKey))
      const lacking: SiteBlocks = { ...site.blocks, car: (options) => site.blocks.car({ ...options, only }) }
      const started = Date.now()
      const err = await clusterAdapter(target(p0.restApi, cluster.credentials), FAST)
        .push(job(site, { blocks: lacking, timeoutMs: 1_500 }))
        .catch((e: unknown) => e)
      expect(Date.now() - started).toBeLessThan(6_000)
      expect((err as HostError).code).toBe('ERR_HOST_FAILED')
      expect((err as HostError).message).toMatch(/did not pin .* within 2 s \(0 of 2 peers pinned; /)
      expect((err as HostError).message).toMatch(/cluster-0: (pin_queued|pinning)/)
      await p0.api(`/pins/${site.root}`, { method: 'DELETE' })
    })
  })

  describe('the README: a publisher growing from one host to a cluster (the built CLI)', () => {
    it('hosts add … --type cluster --replication-min/max beside the one Kubo host, push to both, then drop the old host', async () => {
      const lab = await startKubo()
      try {
        const cwd = await dirs.make('cluster-project')
        await fs.mkdir(path.join(cwd, 'dist'))
        await fs.writeFile(path.join(cwd, 'dist', 'index.html'), '<!doctype html><p>growing</p>')
        await fs.writeFile(path.join(cwd, 'dist', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
        const cli = (args: string[]) => runCli(args, { cwd, env: { CLUSTER_AUTH: cluster.credentials } })
        const add = async (args: string[]) => {
          const run = await cli(['hosts', 'add', ...args])
          expect(run.code, run.stderr).toBe(0)
        }
        await add(['lab', lab.api, '--type', 'kubo', '--gateway', lab.gateway])
        await add([
          'cluster',
          p0.restApi,
          '--type',
          'cluster',
          '--token-env',
          'CLUSTER_AUTH',
          '--replication-min',
          '2',
          '--replication-max',
          '2',
        ])
        const check = await cli(['hosts', 'check', '--json'])
        expect(check.code, check.stderr).toBe(0)
        const rows = JSON.parse(check.stdout) as Array<{ name: string; version?: string }>
        expect(rows.find((r) => r.name === 'cluster')?.version).toMatch(/^1\.1\.6\b/)

        const published = await cli([
          'publish',
          'dist',
          '--origin',
          'https://www.example.com',
          '--no-cache',
          '--json',
        ])
        expect(published.code, published.stderr).toBe(0)
        const result = JSON.parse(published.stdout) as {
          root: string
          push: { hosts: Array<{ name: string; status: string }> }
        }
        expect(result.push.hosts.map((h) => [h.name, h.status])).toEqual([
          ['lab', 'pinned'],
          ['cluster', 'pinned'],
        ])
        expect(await statuses(p1, result.root)).toEqual({ 'cluster-0': 'pinned', 'cluster-1': 'pinned' })
        expect(published.stdout + published.stderr).not.toContain(cluster.credentials)

        // the cluster holds the site: the single host can go
        expect((await cli(['hosts', 'remove', 'lab'])).code).toBe(0)
        const pushed = await cli(['push', 'dist-p2p', '--json'])
        expect(pushed.code, pushed.stderr).toBe(0)
        expect(JSON.parse(pushed.stdout)).toMatchObject({
          hosts: [{ name: 'cluster', status: 'already-pinned', bytesSent: 0 }],
        })
      } finally {
        await lab.stop()
        await lab.repo.remove()
      }
    })
  })

  describe('its Pinning Service API (pinsvcapi) as a pinning-service host', () => {
    it('pushes a published site through the pinning-service adapter; both peers fetch it from the publishing node', async () => {
      const [siteA, siteB] = [await makeSite(), await makeSite()]
      const jwt = await clusterJwt(p0.pinsvcApi, cluster.credentials)
      const host: HostTarget = {
        name: 'cluster-pinsvc',
        url: p0.pinsvcApi,
        type: 'pinning-service',
        tokenEnv: 'CLUSTER_JWT',
        token: jwt,
      }
      const name = 'pinsvc-site'
      const push = (site: Site, previousRoot?: string) =>
        pushSite({
          hosts: [host],
          root: site.root,
          blocks: site.blocks,
          name,
          site: SITE_ID,
          listen: ['/ip4/127.0.0.1/tcp/0'],
          timeoutMs: 30_000,
          retry: FAST.retry,
          ...(previousRoot ? { previousRoot } : {}),
        })

      const first = await push(siteA)
      expect(first.hosts[0]).toMatchObject({ status: 'pinned', requestid: siteA.root })
      expect(first.replication.met).toBe(true)
      const info = await p1.api<GlobalPinInfo>(`/pins/${siteA.root}`)
      expect(info).toMatchObject({
        name,
        metadata: { app_id: 'p2pcdn', p2pcdn_site: SITE_ID },
        allocations: [],
      })
      const firstOrigin = info.origins?.[0]
      expect(firstOrigin).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
      expect(await statuses(p1, siteA.root)).toEqual({ 'cluster-0': 'pinned', 'cluster-1': 'pinned' })
      for (const peer of [p0, p1]) expect(await kuboPins(peer)).toContain(siteA.root)

      const again = await push(siteA)
      expect(again.hosts[0]).toMatchObject({ status: 'already-pinned', bytesSent: 0 })

      // A changed site: Cluster's replace (POST /pins/{requestid}) would copy the old pin's origins
      // (the first publishing node, stopped), so the new pin is added with this publish's node as
      // its origin and the old one removed once the new one is pinned.
      const second = await push(siteB, siteA.root)
      expect(second.hosts[0]).toMatchObject({ status: 'pinned', replaced: siteA.root })
      expect(second.hosts[0]?.detail).toBe(`removed the previous pin ${siteA.root}`)
      const infoB = await p1.api<GlobalPinInfo>(`/pins/${siteB.root}`)
      expect(infoB).toMatchObject({ name, metadata: { p2pcdn_site: SITE_ID } })
      expect(infoB.origins).toHaveLength(1)
      expect(infoB.origins?.[0]).not.toBe(firstOrigin)
      await eventually(async () => {
        expect(await statuses(p0, siteA.root)).toEqual({ 'cluster-0': 'unpinned', 'cluster-1': 'unpinned' })
        for (const peer of [p0, p1]) {
          const pins = await kuboPins(peer)
          expect(pins).toContain(siteB.root)
          expect(pins).not.toContain(siteA.root)
        }
      })

      // basic auth credentials are not a bearer token: refused, and never printed
      const refused = await pushSite({
        hosts: [{ ...host, token: cluster.credentials }],
        root: siteB.root,
        blocks: siteB.blocks,
        name,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        retry: FAST.retry,
      })
      expect(refused.hosts[0]).toMatchObject({ status: 'failed', code: 'ERR_HOST_AUTH' })
      expect(refused.hosts[0]?.reason).toContain('"cluster-pinsvc"')
      expect(refused.hosts[0]?.reason).not.toContain(cluster.credentials.split(':')[1])
    })
  })
})

describe.skipIf(missing)(titled('IPFS Cluster adapter: a peer that is down'), () => {
  let cluster: TestCluster
  let p0: ClusterPeer
  let p1: ClusterPeer
  beforeAll(async () => {
    cluster = await startCluster({ peers: 2 })
    ;[p0, p1] = cluster.peers as [ClusterPeer, ClusterPeer]
  }, 90_000)
  afterAll(() => cluster?.stop())

  const push = (site: Site, host: HostTarget) =>
    pushSite({
      hosts: [host],
      root: site.root,
      blocks: site.blocks,
      name: 'example.com-3f9a1c0b',
      timeoutMs: 30_000,
      retry: FAST.retry,
    })

  it('a peer whose Kubo is down: replication-min 2 fails, naming the peer and its IPFS daemon', async () => {
    const site = await makeSite()
    await p1.kubo.stop()
    await eventually(async () => {
      const peers = await p0.api<Array<{ peername: string; ipfs: { error: string } }>>('/peers')
      expect(peers.find((p) => p.peername === 'cluster-1')?.ipfs.error).toMatch(/connection refused/)
    })
    const started = Date.now()
    const host = target(p0.restApi, cluster.credentials, { replicationMin: 2, replicationMax: 2 })
    const result = await push(site, host)
    expect(Date.now() - started).toBeLessThan(15_000)
    const [r] = result.hosts
    expect(r).toMatchObject({ name: 'campus-cluster', status: 'failed', code: 'ERR_HOST_FAILED' })
    expect(result.replication.met).toBe(false)
    expect(r?.reason).toContain('"campus-cluster"')
    expect(r?.reason).toContain(`cluster peer "cluster-1" (${p1.id})`)
    expect(r?.reason).toMatch(/IPFS daemon|failed to pin/)
    expect(r?.reason).not.toContain(cluster.credentials)

    // without a replication floor a site is pinned where it can be, and the result says where not
    const other = await makeSite()
    const everywhere = await clusterAdapter(target(p0.restApi, cluster.credentials), FAST).push(job(other))
    expect(everywhere.status).toBe('pinned')
    expect(everywhere.detail).toMatch(/^uploaded the CAR \(\d+ bytes\); pinned on 1 peer; /)
    expect(everywhere.detail).toContain(`cluster peer "cluster-1" (${p1.id})`)
    expect(await kuboPins(p0)).toContain(other.root)

    // its Kubo back: the cluster pins there again, and the first site with replication-min 2 too
    await p1.restartKubo()
    await eventually(async () => {
      const peers = await p0.api<Array<{ peername: string; ipfs: { error: string } }>>('/peers')
      expect(peers.find((p) => p.peername === 'cluster-1')?.ipfs.error).toBe('')
    })
    await eventually(async () => {
      const result = await push(site, host)
      expect(result.hosts[0]?.status).toMatch(/pinned/)
    })
    await eventually(async () => expect(await kuboPins(p1)).toContain(site.root))
  })

  it('a cluster peer that is down: replication-min 2 fails at once, naming it, and the rest keeps working', async () => {
    const site = await makeSite()
    await p1.stopDaemon()
    const host = target(p0.restApi, cluster.credentials, { replicationMin: 2, replicationMax: 2 })
    const started = Date.now()
    const err = await clusterAdapter(host, FAST)
      .push(job(site))
      .catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect((err as HostError).code).toBe('ERR_HOST_FAILED')
    expect((err as HostError).message).toContain(`cluster peer "cluster-1" (${p1.id}) is down`)

    // once its heartbeat expired the cluster refuses to allocate, and still names it
    await sleep(3_000)
    const result = await push(await makeSite(), host)
    expect(result.hosts[0]?.status).toBe('failed')
    expect(result.hosts[0]?.reason).toMatch(/not enough peers to allocate/)
    expect(result.hosts[0]?.reason).toContain(`cluster peer "cluster-1" (${p1.id}) is down`)

    // a floor the remaining peer meets still pins
    const other = await makeSite()
    const one = await clusterAdapter(
      target(p0.restApi, cluster.credentials, { replicationMin: 1, replicationMax: 1 }),
      FAST,
    ).push(job(other))
    expect(one.status).toBe('pinned')
    expect(await kuboPins(p0)).toContain(other.root)
  })
})

/**
 * The follower template made as the README's "Volunteers" section makes it: its jq filter, read
 * from the README, over the first peer's service.json (test/helpers/cluster-daemon.ts
 * `followerTemplate` does the same where jq is not installed).
 */
async function readmeTemplate(cluster: TestCluster): Promise<Record<string, unknown>> {
  const readme = await fs.readFile(path.join(ROOT, 'README.md'), 'utf8')
  const volunteers = readme.slice(readme.indexOf('#### Volunteers: IPFS Cluster follower mode'))
  const filter = /'(\.cluster\.peername[^']*)'/.exec(volunteers)?.[1]
  expect(filter, 'the jq filter in the README').toBeDefined()
  const [first] = cluster.peers as [ClusterPeer]
  const args = [
    '--argjson',
    'peers',
    JSON.stringify(cluster.peers.flatMap((p) => p.multiaddrs)),
    '--argjson',
    'trusted',
    JSON.stringify(cluster.peers.map((p) => p.id)),
    filter as string,
    path.join(first.dir, 'service.json'),
  ]
  try {
    return JSON.parse((await run('jq', args)).stdout) as Record<string, unknown>
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    return followerTemplate(cluster)
  }
}

describe.skipIf(missing || clusterFollow.skip)(
  clusterFollow.title(titled('IPFS Cluster follower mode: a volunteer replicates the site')),
  () => {
    let cluster: TestCluster
    beforeAll(async () => {
      cluster = await startCluster({ peers: 2 })
    }, 90_000)
    afterAll(() => cluster?.stop())

    it('ipfs-cluster-follow run --init <template URL> joins, and its Kubo pins what the publisher pushes', async () => {
      const follower = await startFollower(cluster, {
        name: 'example-site',
        peername: 'volunteer-1',
        template: await readmeTemplate(cluster),
      })
      const [p0] = cluster.peers as [ClusterPeer]
      const site = await makeSite()
      // pinned everywhere (no replication set): the publisher's peers and the volunteer
      await eventually(async () => {
        const peers = await p0.api<Array<{ id: string }>>('/peers')
        expect(peers.map((p) => p.id)).toContain(follower.id)
      })
      const outcome = await clusterAdapter(target(p0.restApi, cluster.credentials), FAST).push(job(site))
      expect(outcome.status).toBe('pinned')
      expect(await statuses(p0, site.root)).toEqual({
        'cluster-0': 'pinned',
        'cluster-1': 'pinned',
        'volunteer-1': 'pinned',
      })
      expect(await kuboPins(follower)).toContain(site.root)
      const list = await follower.follow(['list'])
      expect(list).toMatch(new RegExp(`pinned\\s+${site.root}\\s+example\\.com-3f9a1c0b`))
    })
  },
)
