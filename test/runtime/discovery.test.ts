/**
 * The service worker's host discovery, in Node: multiaddr → gateway URL, which
 * addresses a page may be sent to, reading routers' answers, choosing the
 * candidates, the pool's runtime sources, and one `Discovery` against real
 * HTTP servers on 127.0.0.1 (a router, gateways that answer the probe, one
 * that does not, one that is down). The Chromium proof is
 * sw-discovery.browser.test.ts.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { CID } from 'multiformats/cid'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type Candidate,
  initialCandidates,
  LIMITS,
  mergeHints,
  preferredHosts,
  probeList,
  prune,
  recordProbe,
} from '../../src/runtime/sw/candidates.js'
import { parseConfig } from '../../src/runtime/sw/config.js'
import { Discovery } from '../../src/runtime/sw/discovery.js'
import { addressScope, gatewayUrl, reachableFrom } from '../../src/runtime/sw/multiaddr.js'
import { MAX_RECORDS, parseProviders } from '../../src/runtime/sw/providers.js'
import { DROP_AFTER, SourcePool } from '../../src/runtime/sw/sources.js'
import { resetStats, stats } from '../../src/runtime/sw/stats.js'

const ROOT = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'
const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'

describe('gatewayUrl: a multiaddr to the gateway base URL', () => {
  it.each([
    ['/ip4/127.0.0.1/tcp/4080/http', 'http://127.0.0.1:4080'],
    ['/ip4/203.0.113.7/tcp/80/http', 'http://203.0.113.7'],
    ['/ip6/::1/tcp/8080/http', 'http://[::1]:8080'],
    ['/ip6/2001:db8::1/tcp/443/tls/http', 'https://[2001:db8::1]'],
    ['/dns4/cdn.example.com/tcp/443/tls/http', 'https://cdn.example.com'],
    ['/dns/cdn.example.com/tcp/8443/https', 'https://cdn.example.com:8443'],
    ['/dns6/CDN.Example.com./tcp/80/http', 'http://cdn.example.com'],
    ['/ip4/198.51.100.2/tcp/443/tls/sni/gw.example.org/http', 'https://gw.example.org'],
    [`/ip4/127.0.0.1/tcp/4080/http/p2p/${PEER}`, 'http://127.0.0.1:4080'],
    ['/dns4/example.com/tcp/443/tls/http/http-path/ipfs%2Fgw', 'https://example.com/ipfs/gw'],
  ])('%s → %s', (addr, url) => {
    expect(gatewayUrl(addr)).toBe(url)
  })

  it.each([
    '/ip4/127.0.0.1/tcp/4001',
    '/ip4/127.0.0.1/udp/4001/quic-v1',
    '/ip4/127.0.0.1/tcp/4001/ws',
    '/ip4/127.0.0.1/tcp/4001/tls/ws',
    '/ip4/256.0.0.1/tcp/80/http',
    '/ip4/127.0.0.1/tcp/0/http',
    '/ip4/127.0.0.1/tcp/65536/http',
    '/ip4/127.0.0.1/tcp/80/http/extra',
    '/dns4/exa mple.com/tcp/80/http',
    '/dns4/example.com/tcp/443/tls',
    '/unix/tmp/sock/http',
    'ip4/127.0.0.1/tcp/80/http',
    '',
    `/p2p/${PEER}`,
  ])('%s → none', (addr) => {
    expect(gatewayUrl(addr)).toBeUndefined()
  })
})

describe('which gateways a page may be sent to', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['localhost', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['[fd00::1]', 'private'],
    ['172.32.0.1', 'public'],
    ['cdn.example.com', 'public'],
  ])('%s is %s', (host, scope) => {
    expect(addressScope(host)).toBe(scope)
  })

  it('a public https site: public https hosts only; a loopback site: anything', () => {
    const site = new URL('https://www.example.com/')
    expect(reachableFrom(site, 'https://cdn.example.net')).toBe(true)
    expect(reachableFrom(site, 'http://cdn.example.net')).toBe(false)
    expect(reachableFrom(site, 'https://192.168.1.1')).toBe(false)
    expect(reachableFrom(site, 'http://127.0.0.1:8080')).toBe(false)
    const local = new URL('http://127.0.0.1:3000/site/')
    for (const url of ['http://127.0.0.1:1', 'http://192.168.1.1', 'https://cdn.example.net'])
      expect(reachableFrom(local, url)).toBe(true)
    expect(reachableFrom(new URL('http://192.168.1.5/'), 'http://127.0.0.1:8080')).toBe(false)
    expect(reachableFrom(site, 'not a url')).toBe(false)
  })
})

describe("parseProviders: a router's answer", () => {
  const peer = (id: string, addrs: unknown, protocols: unknown = ['transport-ipfs-gateway-http']) => ({
    Schema: 'peer',
    ID: id,
    Addrs: addrs,
    Protocols: protocols,
  })

  it('keeps peers with HTTP gateway addresses, JSON or NDJSON, in order', () => {
    const records = [
      peer('a', ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4080/http', '/ip4/127.0.0.1/tcp/4080/http']),
      peer('b', ['/ip4/127.0.0.1/tcp/4001'], ['transport-bitswap']),
      // Listed as bitswap only, but with an HTTP address: worth a probe.
      peer('c', ['/dns4/c.example.com/tcp/443/tls/http'], ['transport-bitswap']),
      peer('d', ['/ip4/127.0.0.1/tcp/5080/http'], undefined),
      { Schema: 'bitswap', ID: 'e', Addrs: ['/ip4/127.0.0.1/tcp/6080/http'] },
      peer('f', 'not a list'),
    ]
    const expected = [
      { peer: 'a', urls: ['http://127.0.0.1:4080'] },
      { peer: 'c', urls: ['https://c.example.com'] },
      { peer: 'd', urls: ['http://127.0.0.1:5080'] },
    ]
    expect(parseProviders(JSON.stringify({ Providers: records }))).toEqual(expected)
    expect(parseProviders(records.map((r) => JSON.stringify(r)).join('\n'))).toEqual(expected)
  })

  it('garbage is no provider, and an answer is read only so far', () => {
    for (const text of [
      '',
      'null',
      '[]',
      '{"Providers":null}',
      '{"Providers":"x"}',
      '<html>',
      '{"Provid',
      '42',
    ])
      expect(parseProviders(text)).toEqual([])
    const many = Array.from({ length: 500 }, (_, i) => peer(`p${i}`, [`/ip4/127.0.0.1/tcp/${1000 + i}/http`]))
    expect(parseProviders(JSON.stringify({ Providers: many }))).toHaveLength(MAX_RECORDS)
    const addrs = Array.from({ length: 50 }, (_, i) => `/ip4/127.0.0.1/tcp/${2000 + i}/http`)
    expect(parseProviders(JSON.stringify({ Providers: [peer('x', addrs)] }))[0]?.urls).toHaveLength(4)
  })
})

describe('choosing candidates', () => {
  const hint = (peer: string, ...urls: string[]) => ({ peer, urls })
  const measured = (known: Map<string, Candidate>, rtts: Record<string, number | undefined>) => {
    for (const [url, rtt] of Object.entries(rtts)) recordProbe(known.get(url) as Candidate, rtt)
  }

  it('merges the routers in turns, skipping the known, the refused and the config sources', () => {
    const known = initialCandidates(['http://a'])
    const added = mergeHints(
      known,
      [
        [hint('1', 'http://r1', 'http://r2'), hint('a', 'http://a'), hint('3', 'http://r3')],
        [hint('9', 'http://s1'), hint('8', 'http://bad')],
      ],
      (url) => url !== 'http://bad',
      1000,
    )
    expect(added).toEqual(['http://r1', 'http://s1', 'http://r2', 'http://r3'])
    expect(known.get('http://a')?.origin).toBe('config')
    expect(known.get('http://r1')).toMatchObject({ origin: 'routing', peer: '1', seen: 1000 })
    expect(mergeHints(known, [[hint('1', 'http://r1')]], () => true, 2000)).toEqual([])
    expect(known.get('http://r1')?.seen).toBe(2000)
  })

  it('probes the config sources, the best few known, then new ones, at most LIMITS.probes routing ones', () => {
    const known = initialCandidates(['http://a', 'http://b'])
    const urls = Array.from({ length: 30 }, (_, i) => `http://r${i}`)
    mergeHints(
      known,
      [[hint('x', ...urls.slice(0, 4)), ...urls.slice(4).map((u) => hint('y', u))]],
      () => true,
      1,
    )
    measured(known, { 'http://r0': 40, 'http://r1': 10, 'http://r2': 30, 'http://r3': 20, 'http://r4': 50 })
    const list = probeList(known).map((c) => c.url)
    expect(list.slice(0, 2)).toEqual(['http://a', 'http://b'])
    expect(list.slice(2)).toHaveLength(LIMITS.probes)
    // The best four again, then the unmeasured in the routers' order.
    expect(list.slice(2, 6)).toEqual(['http://r1', 'http://r3', 'http://r2', 'http://r0'])
    expect(list.slice(6)).toEqual(['http://r5', 'http://r6', 'http://r7', 'http://r8'])
  })

  it('prefers the lowest round trips, whatever their origin; drops failing, silent and surplus hosts', () => {
    const known = initialCandidates(['http://a'])
    const urls = Array.from({ length: 20 }, (_, i) => `http://r${i}`)
    mergeHints(known, [urls.map((u) => hint('p', u))], () => true, 1)
    measured(known, { 'http://a': 25 })
    urls.forEach((url, i) => {
      recordProbe(known.get(url) as Candidate, i === 0 ? undefined : 100 - i)
    })
    expect(preferredHosts(known).map((c) => c.url)).toEqual(['http://a', 'http://r19', 'http://r18'])
    const dropped = prune(known, new Set(urls))
    // r0 never answered its probe; of the other 19, the 3 slowest are beyond LIMITS.known.
    expect(dropped.sort()).toEqual(['http://r0', 'http://r1', 'http://r2', 'http://r3'])
    expect([...known.values()].filter((c) => c.origin === 'routing')).toHaveLength(LIMITS.known)
    // A known host whose probe fails once stays known but is not preferred; twice, it is dropped.
    recordProbe(known.get('http://r19') as Candidate, undefined)
    expect(preferredHosts(known).map((c) => c.url)).toEqual(['http://a', 'http://r18', 'http://r17'])
    expect(prune(known, new Set())).toEqual([])
    recordProbe(known.get('http://r19') as Candidate, undefined)
    expect(prune(known, new Set())).toEqual(['http://r19'])
    expect(known.has('http://a')).toBe(true)
  })

  it('smooths the round trip', () => {
    const c = initialCandidates(['http://a']).get('http://a') as Candidate
    recordProbe(c, 100)
    recordProbe(c, 20)
    expect(c.rttMs).toBe(60)
  })
})

describe('SourcePool at runtime', () => {
  it('adds and removes routing sources, drops a liar or a host failing in a row, never a config source', async () => {
    const dropped: string[] = []
    const pool = new SourcePool(['http://a'], { onDrop: (s, reason) => dropped.push(`${s.url} ${reason}`) })
    const b = pool.add('http://b', 'routing', 5)
    expect(pool.add('http://b', 'routing')).toBe(b)
    const c = pool.add('http://c', 'routing', 8)
    expect(pool.capacity).toBe(18)
    pool.failed(b, true)
    expect(dropped).toEqual(['http://b mismatch'])
    for (let i = 0; i < DROP_AFTER; i++) pool.failed(c, false)
    expect(dropped).toEqual(['http://b mismatch', 'http://c failures'])
    const a = pool.get('http://a') as NonNullable<ReturnType<typeof pool.get>>
    for (let i = 0; i < 10; i++) pool.failed(a, i % 2 === 0)
    expect(pool.sources.map((s) => s.url)).toEqual(['http://a'])
    pool.remove('http://nothing')
  })

  it('asks the nearest source first, fallback sources only when no preferred one is healthy', async () => {
    const pool = new SourcePool(['http://a'])
    const near = pool.add('http://near', 'routing', 5)
    pool.add('http://far', 'routing', 80)
    ;(pool.get('http://a') as { fallback: boolean }).fallback = true
    expect((await pool.acquire(new Set()))?.url).toBe('http://near')
    pool.release(near)
    pool.failed(near, false)
    pool.failed(pool.get('http://far') as typeof near, false)
    // Both preferred ones benched: the fallback.
    expect((await pool.acquire(new Set()))?.url).toBe('http://a')
  })

  it('a waiting request wakes when a source is added', async () => {
    const pool = new SourcePool(['http://a'])
    const tried = new Set<NonNullable<ReturnType<typeof pool.get>>>()
    const held = await Promise.all(Array.from({ length: 6 }, () => pool.acquire(new Set())))
    expect(held.every((s) => s?.url === 'http://a')).toBe(true)
    const waiting = pool.acquire(tried)
    pool.add('http://b', 'routing')
    expect((await waiting)?.url).toBe('http://b')
  })
})

describe('parseConfig: root and routers', () => {
  const base = { version: 'v', sources: ['http://a/', 'http://b'], timeout: 1000, assets: {} }
  it('an old config has no root (no discovery) and the sources as routers', () => {
    const config = parseConfig(JSON.stringify(base), 'x.json')
    expect(config.root).toBeUndefined()
    expect(config.routers).toEqual(['http://a', 'http://b'])
  })
  it('reads the root and the routers; a root that is no CID turns discovery off', () => {
    const config = parseConfig(
      JSON.stringify({ ...base, root: ROOT, routers: ['http://r/', 'ftp://x', 7, 'http://r'] }),
      'x.json',
    )
    expect(config.root?.toString()).toBe(ROOT)
    expect(config.routers).toEqual(['http://r'])
    expect(parseConfig(JSON.stringify({ ...base, root: 'nope' }), 'x.json').root).toBeUndefined()
  })
})

/** A server on 127.0.0.1 answering with `handler`, closed after the tests. */
const servers: http.Server[] = []
async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A trustless gateway that answers only the probe. */
const gateway =
  (delayMs = 0): http.RequestListener =>
  (req, res) => {
    setTimeout(() => {
      if (req.url === '/ipfs/bafkqaaa?format=raw') res.writeHead(200, { 'Content-Length': 0 }).end()
      else res.writeHead(404).end()
    }, delayMs)
  }
const addrOf = (url: string) => `/ip4/127.0.0.1/tcp/${new URL(url).port}/http`

describe('Discovery against real servers on 127.0.0.1', () => {
  beforeEach(() => resetStats())

  it('asks the routers, probes, prefers the nearest three, keeps the config source as a fallback', async () => {
    const config = await serve(gateway(60))
    const near = await serve(gateway())
    const near2 = await serve(gateway())
    const near3 = await serve(gateway())
    const wrongProbe = await serve((_req, res) => res.writeHead(200).end('not empty'))
    const down = await serve(gateway())
    const downServer = servers.at(-1) as http.Server
    await new Promise((resolve) => downServer.close(resolve))
    const providers = [near, wrongProbe, down, near2, near3].map((url) => ({
      Schema: 'peer',
      ID: PEER,
      Addrs: [addrOf(url), '/ip4/127.0.0.1/tcp/4001'],
      Protocols: ['transport-ipfs-gateway-http'],
    }))
    const asked: string[] = []
    const router = await serve((req, res) => {
      asked.push(`${req.url} ${req.headers.accept}`)
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Providers: providers }))
    })
    const garbage = await serve((_req, res) =>
      res.writeHead(200).end('{"Providers": [{"Schema": "peer", "Ad'),
    )
    const failing = await serve((_req, res) => res.writeHead(500).end())
    const pool = new SourcePool([config])
    const saved: unknown[] = []
    const discovery: Discovery = new Discovery({
      root: CID.parse(ROOT),
      routers: [router, garbage, failing],
      sources: [config],
      timeout: 2000,
      pool,
      site: new URL('http://127.0.0.1:1/site/'),
      onChange: () => saved.push(discovery.saved()),
    })
    await discovery.refresh()
    expect(asked[0]).toBe(`/routing/v1/providers/${ROOT} application/json, application/x-ndjson;q=0.9`)
    // Three hosts nearer than the config's source: it is kept, as a fallback.
    expect(pool.sources.map((s) => [s.url, s.origin, s.fallback])).toEqual([
      [config, 'config', true],
      [near, 'routing', false],
      [near2, 'routing', false],
      [near3, 'routing', false],
    ])
    expect(stats.sources[config]).toMatchObject({ origin: 'config', state: 'fallback' })
    expect(stats.discovery).toMatchObject({
      root: ROOT,
      refreshes: 1,
      candidatesSeen: 5,
      probes: 6,
      dropped: 2,
      routerFailures: 1,
    })
    expect(stats.sources[near]).toMatchObject({ origin: 'routing', state: 'preferred' })
    expect(stats.sources[near]?.rttMs).toBeGreaterThan(0)
    expect(stats.sources[down]?.state).toBe('dropped')
    expect(stats.sources[wrongProbe]?.state).toBe('dropped')
    expect(saved.at(-1)).toMatchObject({ root: ROOT, hosts: [{ url: near, peer: PEER }, {}, {}] })

    // A dropped host named again is not taken back; a host the pool drops (wrong bytes) leaves known too.
    await discovery.refresh()
    expect(stats.discovery.dropped).toBe(2)
    discovery.drop(near)
    expect(pool.sources.map((s) => s.url)).toEqual([config, near2, near3])
    expect(pool.get(config)?.fallback).toBe(false)
    expect(stats.sources[near]?.state).toBe('dropped')

    // A new worker restores the saved hosts at once, for the same root only.
    const next = new SourcePool([config])
    const restored = new Discovery({ ...optionsOf(next, config, router), root: CID.parse(ROOT) })
    restored.restore({ root: ROOT, hosts: [{ url: near, peer: PEER, rttMs: 1 }] })
    expect(next.sources.map((s) => s.url)).toEqual([config, near])
    const other = new SourcePool([config])
    new Discovery(optionsOf(other, config, router)).restore({
      root: 'bafkqaaa',
      hosts: [{ url: near, peer: PEER, rttMs: 1 }],
    })
    expect(other.sources.map((s) => s.url)).toEqual([config])
  })

  it('a public site never probes loopback or private addresses a router names', async () => {
    const probed: string[] = []
    const fetchStub = async (url: string) => {
      probed.push(url)
      if (url.includes('/routing/v1/'))
        return new Response(
          JSON.stringify({
            Providers: [
              {
                Schema: 'peer',
                ID: 'x',
                Addrs: ['/ip4/127.0.0.1/tcp/4080/http', '/ip4/192.168.1.1/tcp/80/http'],
              },
              { Schema: 'peer', ID: 'y', Addrs: ['/dns4/cdn.example.net/tcp/443/tls/http'] },
            ],
          }),
        )
      return new Response(null, { status: 200 })
    }
    const pool = new SourcePool(['https://router.example.com'])
    await new Discovery({
      ...optionsOf(pool, 'https://router.example.com', 'https://router.example.com'),
      site: new URL('https://www.example.com/'),
      fetch: fetchStub,
    }).refresh()
    expect(probed.filter((u) => u.includes('bafkqaaa')).sort()).toEqual([
      'https://cdn.example.net/ipfs/bafkqaaa?format=raw',
      'https://router.example.com/ipfs/bafkqaaa?format=raw',
    ])
  })
})

function optionsOf(pool: SourcePool, source: string, router: string) {
  return {
    root: CID.parse(ROOT),
    routers: [router],
    sources: [source],
    timeout: 2000,
    pool,
    site: new URL('http://127.0.0.1:1/'),
  }
}

describe('publish side: the serviceWorker.routers option', () => {
  const base = { dir: 'dist', gateway: 'https://gw.example.com' }
  it('lists routers (trailing slash off, duplicates once); unset, the worker asks the sources', async () => {
    const { resolveOptions } = await import('../../src/options.js')
    const sw = (serviceWorker: unknown) =>
      resolveOptions({ ...base, serviceWorker } as never).rewrite?.serviceWorker
    expect(sw({ routers: ['https://r.example.com/', 'https://r.example.com'] })?.routers).toEqual([
      'https://r.example.com',
    ])
    expect(sw({ routers: [] })?.routers).toEqual([])
    expect(sw(true)?.routers).toBeUndefined()
    for (const routers of ['https://r.example.com', ['ftp://r.example.com'], [7]])
      expect(() => sw({ routers })).toThrow('serviceWorker.routers')
  })
})
