/**
 * `runBench` against real components on 127.0.0.1: three hosts holding a published site (CAR
 * upload), a plain HTTP origin serving the same site, and proxies that tamper, count or fail.
 */
import '../../src/utils/promise-with-resolvers.js'
import { createHash } from 'node:crypto'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type BenchProgressEvents,
  type BenchResultsFile,
  type BenchSample,
  manifestAssets,
  runBench,
} from '../../src/bench/index.js'
import type { RunningHost } from '../../src/host/index.js'
import { type Manifest, P2pcdnError } from '../../src/index.js'
import { deadUrl, startFaultProxy } from '../helpers/fault-proxy.js'
import { tempDirs } from '../helpers/fs.js'
import { IPAD_BYTES, IPHONE_BYTES, publishSite, startLoadedHost, startOrigin, tcpAddr } from './fixture.js'

const dirs = tempDirs()
const hosts: RunningHost[] = []
const closers: (() => Promise<void>)[] = []
let manifest: Manifest
/** The site folder (the origin's files). */
let siteDir: string
let origin: Awaited<ReturnType<typeof startOrigin>>
let assets: ReturnType<typeof manifestAssets>
let ipadBlocks = 0

const CURL_KEYS = [
  'time_appconnect',
  'time_connect',
  'time_namelookup',
  'time_pretransfer',
  'time_redirect',
  'time_starttransfer',
  'total',
]

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

beforeAll(async () => {
  const dir = await dirs.make('bench')
  const site = await publishSite(dir)
  manifest = site.manifest
  siteDir = site.site
  for (const label of ['h1', 'h2', 'h3']) hosts.push(await startLoadedHost(await dirs.make(label), site.car))
  origin = await startOrigin(site.site)
  assets = manifestAssets(manifest, {
    origin: origin.url,
    assets: [
      { name: 'iphone', path: 'img/iphone.jpg' },
      { name: 'ipad', path: 'video/ipad.mp4' },
    ],
  })
  const ipad = CID.parse(assets[1]?.cid as string)
  const root = await hosts[0]?.helia.blockstore.get(ipad)
  const chunks: Uint8Array[] = []
  for await (const chunk of root as AsyncIterable<Uint8Array>) chunks.push(chunk)
  ipadBlocks = 1 + dagPb.decode(Buffer.concat(chunks)).Links.length
})

afterAll(async () => {
  await Promise.all(closers.map((close) => close()))
  await Promise.all(hosts.map((host) => host.stop()))
  await dirs.cleanup()
})

const samplesOf = (results: BenchResultsFile, source: string, asset?: string) =>
  results.p2pcdn.samples.filter(
    (s: BenchSample) => s.source === source && (asset === undefined || s.asset === asset) && !s.warmup,
  )

describe('runBench', () => {
  it('times the origin and all three P2P sources, every byte verified, in the paper’s format', async () => {
    // Counting proxies in front of the hosts' gateways, for the `hosts` source.
    const counters = await Promise.all(hosts.map((host) => startFaultProxy(host.url, {})))
    closers.push(...counters.map((proxy) => proxy.close))
    const events: BenchProgressEvents[] = []
    const { results, warnings } = await runBench({
      assets,
      sources: [
        { kind: 'gateway', url: hosts[0]?.url as string },
        { kind: 'hosts', urls: counters.map((proxy) => proxy.url) },
        { kind: 'bitswap', peers: hosts.slice(0, 2).map(tcpAddr) },
      ],
      runs: 3,
      warmup: 1,
      timeout: 30_000,
      client: 'test-client',
      onProgress: (event) => events.push(event),
    })
    expect(warnings).toEqual([])
    expect(results.VERSION).toMatch(/^p2pcdn \d+\.\d+\.\d+/)

    // The paper's keys and shapes.
    expect(Object.keys(results).sort()).toEqual(
      ['VERSION', 'curl', 'ipfs_bitswap', 'ipfs_gateway', 'ipfs_hosts', 'p2pcdn'].sort(),
    )
    for (const asset of ['iphone', 'ipad']) {
      const curl = results.curl[asset]
      expect(Object.keys(curl?.average ?? {}).sort()).toEqual(CURL_KEYS)
      for (const key of CURL_KEYS) {
        const values = curl?.samples[key as keyof typeof curl.samples] as number[]
        expect(values).toHaveLength(3)
        for (const v of values) expect(v).toBeGreaterThanOrEqual(0)
      }
      for (const sample of samplesOf(results, 'curl', asset)) {
        const t = sample.timings
        expect(t?.time_appconnect).toBe(0) // plain HTTP, as curl reports it
        expect(t?.time_redirect).toBe(0)
        expect(t?.time_connect).toBeGreaterThan(0)
        expect(t?.time_pretransfer).toBeGreaterThanOrEqual(t?.time_connect ?? Number.NaN)
        expect(t?.time_starttransfer).toBeGreaterThanOrEqual(t?.time_pretransfer ?? Number.NaN)
        expect(t?.total).toBeGreaterThanOrEqual(t?.time_starttransfer ?? Number.NaN)
      }
      for (const source of ['ipfs_gateway', 'ipfs_hosts', 'ipfs_bitswap'] as const) {
        const entry = results[source]?.[asset]
        expect(entry?.tries, `${source} ${asset}`).toBe(3)
        expect(entry?.gets).toHaveLength(3)
        const mean = (entry?.gets ?? []).reduce((a, b) => a + b, 0) / 3
        expect(entry?.average).toBeCloseTo(mean, 5)
      }
    }

    // Every sample delivered the file itself; the origin too (checked against the manifest).
    const expected = { iphone: IPHONE_BYTES.length, ipad: IPAD_BYTES.length }
    for (const sample of results.p2pcdn.samples) {
      expect(sample.ok, `${sample.source} ${sample.asset} ${sample.run}: ${sample.error}`).toBe(true)
      expect(sample.bytes).toBe(expected[sample.asset as keyof typeof expected])
    }
    expect(results.p2pcdn.assets.ipad?.sha256).toBe(sha256(IPAD_BYTES))
    expect(results.p2pcdn.assets.iphone?.sha256).toBe(sha256(IPHONE_BYTES))

    // One new connection per origin sample (warmup included), like curl.
    expect(origin.state.connections).toBe(origin.state.requests)
    expect(origin.state.requests).toBe(2 * 4)

    // The metadata: warmup samples kept apart, the order alternating.
    expect(results.p2pcdn.client).toBe('test-client')
    expect(results.p2pcdn.samples.filter((s) => s.warmup)).toHaveLength(2 * 4)
    const round1 = results.p2pcdn.samples
      .filter((s) => s.run === 1 && s.asset === 'iphone')
      .map((s) => s.source)
    const round2 = results.p2pcdn.samples
      .filter((s) => s.run === 2 && s.asset === 'iphone')
      .map((s) => s.source)
    expect(round1).toEqual(['curl', 'ipfs_gateway', 'ipfs_hosts', 'ipfs_bitswap'])
    expect(round2).toEqual(['ipfs_gateway', 'ipfs_hosts', 'ipfs_bitswap', 'curl'])
    expect(events.filter((e) => e.type === 'p2pcdn:bench:sample')).toHaveLength(results.p2pcdn.samples.length)

    // `hosts`: the multi-block file's blocks spread over the gateways, in every sample.
    for (const sample of samplesOf(results, 'ipfs_hosts', 'ipad')) {
      expect(sample.blocks).toBe(ipadBlocks)
      const used = Object.values(sample.shares ?? {}).filter((share) => share.blocks > 0)
      expect(used.length).toBeGreaterThanOrEqual(2)
    }
    expect(counters.filter((proxy) => proxy.state.requests > 0).length).toBeGreaterThanOrEqual(2)

    // `bitswap`: every sample fetched every block over the network again.
    for (const sample of samplesOf(results, 'ipfs_bitswap')) {
      expect(sample.blocks).toBe(sample.asset === 'ipad' ? ipadBlocks : 1)
      expect(sample.peers?.every((peer) => peer.ok)).toBe(true)
    }
  })

  it('bitswap samples fetch every block from the host again: the local store is emptied each time', async () => {
    const host = hosts[2] as RunningHost
    // Bitswap reads each block it sends from the host's Helia blockstore (the gateway reads the repo's).
    const reads = vi.spyOn(host.helia.blockstore, 'get')
    try {
      const { results } = await runBench({
        assets: assets.slice(1),
        origin: false,
        sources: [{ kind: 'bitswap', peers: [tcpAddr(host)] }],
        runs: 3,
        timeout: 30_000,
      })
      expect(results.ipfs_bitswap?.ipad?.gets).toHaveLength(3)
      const sent = new Map<string, number>()
      for (const [cid] of reads.mock.calls) sent.set(String(cid), (sent.get(String(cid)) ?? 0) + 1)
      expect(sent.size).toBe(ipadBlocks)
      for (const [cid, times] of sent) expect(times, cid).toBeGreaterThanOrEqual(3)
    } finally {
      reads.mockRestore()
    }
  })

  it('bitswap with `warm`: the site root first, untimed, then only the file’s blocks are counted', async () => {
    const host = hosts[2] as RunningHost
    const { results } = await runBench({
      assets: assets.slice(1),
      origin: false,
      sources: [{ kind: 'bitswap', peers: [tcpAddr(host)], warm: manifest.root }],
      runs: 2,
      timeout: 30_000,
    })
    expect(results.ipfs_bitswap?.ipad?.gets).toHaveLength(2)
    // Each sample's new node holds exactly the file's blocks: the root it fetched first is gone.
    for (const sample of samplesOf(results, 'ipfs_bitswap')) expect(sample.blocks).toBe(ipadBlocks)
    expect(results.p2pcdn.sources.ipfs_bitswap?.connections).toContain(`fetching ${manifest.root} first`)
  })

  it('fails, and records, samples from a host that tampers with bytes; never times them as successes', async () => {
    const tamperCar = await startFaultProxy(hosts[0]?.url as string, { tamper: 'inside' })
    const tamperRaw = await startFaultProxy(hosts[1]?.url as string, { tamper: true })
    const tamperRaw2 = await startFaultProxy(hosts[2]?.url as string, { tamper: true })
    closers.push(tamperCar.close, tamperRaw.close, tamperRaw2.close)
    const { results, warnings } = await runBench({
      assets,
      origin: false,
      sources: [
        { kind: 'gateway', name: 'tampered', url: tamperCar.url },
        { kind: 'hosts', name: 'all-tampered', urls: [tamperRaw.url, tamperRaw2.url] },
        { kind: 'hosts', name: 'one-tampered', urls: [tamperRaw.url, hosts[2]?.url as string] },
      ],
      runs: 2,
      timeout: 20_000,
    })
    expect(tamperCar.state.requests).toBe(4)
    // No entry for what never succeeded; the tries and errors are in the metadata.
    expect(results.ipfs_tampered).toBeUndefined()
    expect(results['ipfs_all-tampered']).toBeUndefined()
    for (const sample of [
      ...samplesOf(results, 'ipfs_tampered'),
      ...samplesOf(results, 'ipfs_all-tampered'),
    ]) {
      expect(sample.ok).toBe(false)
      expect(sample.error).toMatch(/does not match its CID|wrong/)
    }
    expect(samplesOf(results, 'ipfs_tampered')[0]?.error).toContain('does not match its CID')
    expect(results.p2pcdn.failures).toHaveLength(8)
    expect(warnings.filter((w) => w.code === 'W_BENCH_NO_SAMPLES')).toHaveLength(4)
    // One good host among them: verified bytes from it, the wrong ones counted, never used.
    const mixed = results['ipfs_one-tampered']
    expect(mixed?.iphone?.gets).toHaveLength(2)
    expect(mixed?.ipad?.gets).toHaveLength(2)
    const mismatches = samplesOf(results, 'ipfs_one-tampered').reduce(
      (n, s) => n + (s.shares?.[tamperRaw.url]?.mismatches ?? 0),
      0,
    )
    expect(mismatches).toBeGreaterThan(0)
    for (const sample of samplesOf(results, 'ipfs_one-tampered')) expect(sample.ok).toBe(true)
  })

  it('records a down host as a clear failure, for the gateway and for bitswap', async () => {
    const dead = await deadUrl()
    const deadPort = new URL(dead).port
    const deadPeer = tcpAddr(hosts[0] as RunningHost).replace(/\/tcp\/\d+\//, `/tcp/${deadPort}/`)
    const { results, warnings } = await runBench({
      assets: assets.slice(0, 1),
      origin: false,
      sources: [
        { kind: 'gateway', url: dead },
        { kind: 'bitswap', peers: [deadPeer] },
        { kind: 'hosts', urls: [dead, hosts[1]?.url as string] },
      ],
      runs: 2,
      timeout: 15_000,
    })
    for (const sample of samplesOf(results, 'ipfs_gateway')) {
      expect(sample.ok).toBe(false)
      expect(sample.error).toContain(dead)
      expect(sample.error).toContain('ECONNREFUSED')
    }
    for (const sample of samplesOf(results, 'ipfs_bitswap')) {
      expect(sample.ok).toBe(false)
      expect(sample.error).toMatch(/^not connected to any host/)
      expect(sample.peers?.[0]?.ok).toBe(false)
    }
    expect(results.ipfs_gateway).toBeUndefined()
    expect(results.ipfs_bitswap).toBeUndefined()
    // The other host answers for the down one.
    expect(results.ipfs_hosts?.iphone?.gets).toHaveLength(2)
    expect(warnings.map((w) => w.code)).toEqual(
      expect.arrayContaining(['W_BENCH_NO_SAMPLES', 'W_BENCH_PEER_UNREACHABLE']),
    )
  })

  it('fails origin samples whose bytes are not the file, and samples over the timeout', async () => {
    const wrongOrigin = await startOrigin(siteDir, { alter: true })
    closers.push(wrongOrigin.close)
    const slow = await startFaultProxy(origin.url, { delayMs: 1500 })
    closers.push(slow.close)
    const { results } = await runBench({
      assets: [
        { ...(assets[0] as (typeof assets)[0]), name: 'altered', url: `${wrongOrigin.url}/img/iphone.jpg` },
        { ...(assets[0] as (typeof assets)[0]), name: 'slow', url: `${slow.url}/img/iphone.jpg` },
        { name: 'missing', url: `${origin.url}/nothing-here.jpg` },
      ],
      runs: 1,
      timeout: 500,
    })
    const [alteredSample] = samplesOf(results, 'curl', 'altered')
    expect(alteredSample?.ok).toBe(false)
    expect(alteredSample?.error).toContain('SHA-256')
    const [slowSample] = samplesOf(results, 'curl', 'slow')
    expect(slowSample?.ok).toBe(false)
    expect(slowSample?.error).toMatch(/^timed out after 500 ms/)
    const [missing] = samplesOf(results, 'curl', 'missing')
    expect(missing?.error).toContain('HTTP 404')
    expect(results.curl).toEqual({})
  })

  it('stops at once when aborted, with ERR_ABORTED and no results', async () => {
    const controller = new AbortController()
    const error = await runBench({
      assets: assets.slice(0, 1),
      runs: 5,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'p2pcdn:bench:sample') controller.abort()
      },
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(P2pcdnError)
    expect((error as P2pcdnError).code).toBe('ERR_ABORTED')
  })
})
