/**
 * A host's naming and routing endpoints, between real hosts (`startHost`) on 127.0.0.1 with the LAN
 * DHT and session discovery: IPNS records PUT and served (`/routing/v1/ipns`, `/ipns/?format=
 * ipns-record`), refused when unauthorised, older, signed by another key or expired; `/ipns/<name>/
 * <file>` serving the site; `/routing/v1/providers/<root>` listing both hosts that pin a site with
 * their HTTP gateway addresses (JSON and NDJSON); a record put to one host resolved by the other
 * through the DHT.
 */
import '../../src/utils/promise-with-resolvers.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { importer } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CAR_UPLOAD_PATH,
  httpUrlToMultiaddr,
  listeningHttpMultiaddrs,
  type RunningHost,
} from '../../src/host/index.js'
import { createSiteRecord, ipnsNameOf } from '../../src/ipns/site-record.js'
import { carBytes } from '../helpers/car.js'
import { tempDirs } from '../helpers/fs.js'
import { eventually, startTestHost } from '../helpers/host.js'

const RECORD_TYPE = 'application/vnd.ipfs.ipns-record'
const DAY = 24 * 3_600_000
const FILE_TEXT = 'hello from the routing test\n'
const dirs = tempDirs()
const session = { name: 'routing-test', periodMs: 2_000 }

let a: RunningHost
let b: RunningHost
let authA: Record<string, string>
let authB: Record<string, string>
let root: CID
let siteCar: Uint8Array<ArrayBuffer>

/** A two-file site (index.html, file.txt) in memory, as a CAR. */
async function makeSite(): Promise<{ root: CID; car: Buffer }> {
  const blocks: Array<{ cid: CID; bytes: Uint8Array }> = []
  const store = {
    put: async (cid: CID, bytes: Uint8Array) => {
      blocks.push({ cid, bytes })
      return cid
    },
    has: async () => false,
  }
  let last: CID | undefined
  const files = [
    { path: 'site/index.html', content: new TextEncoder().encode('<!doctype html><title>t</title>') },
    { path: 'site/file.txt', content: new TextEncoder().encode(FILE_TEXT) },
  ]
  for await (const entry of importer(files, store as never, { cidVersion: 1, rawLeaves: true }))
    last = entry.cid
  if (!last) throw new Error('nothing imported')
  return { root: last, car: await carBytes([last], blocks) }
}

const put = (host: RunningHost, name: string, bytes: Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${host.url}/routing/v1/ipns/${name}`, {
    method: 'PUT',
    headers: { 'Content-Type': RECORD_TYPE, ...headers },
    body: Buffer.from(bytes),
  })

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer())

const record = (key: PrivateKey, sequence: bigint, cid: CID = root, lifetimeMs = DAY) =>
  createSiteRecord(key, cid, { sequence, lifetimeMs, ttlMs: 60_000 })

beforeAll(async () => {
  const site = await makeSite()
  root = site.root
  siteCar = new Uint8Array(site.car)
  ;({ host: a, auth: authA } = await startTestHost(await dirs.make('route-a'), { dht: 'lan', session }))
  const bootstrap = [a.multiaddrs().find((m) => !m.includes('/ws')) as string]
  ;({ host: b, auth: authB } = await startTestHost(await dirs.make('route-b'), {
    dht: 'lan',
    session,
    bootstrap,
  }))
  const res = await fetch(`${a.url}${CAR_UPLOAD_PATH}?name=routing-site`, {
    method: 'POST',
    headers: { ...authA, 'Content-Type': 'application/vnd.ipld.car' },
    body: siteCar,
  })
  expect(res.status, await res.clone().text()).toBe(201)
}, 60_000)

afterAll(async () => {
  await b?.stop()
  await a?.stop()
  await dirs.cleanup()
})

describe('IPNS records on a host', () => {
  it('a record PUT with a token is served by both GET routes, byte for byte', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const first = await record(key, 1n)
    const res = await put(a, name, first.bytes, authA)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await res.json()).toMatchObject({ name, outcome: 'stored', value: `/ipfs/${root}`, sequence: '1' })

    const routing = await fetch(`${a.url}/routing/v1/ipns/${name}`, { headers: { Accept: RECORD_TYPE } })
    expect(routing.status).toBe(200)
    expect(routing.headers.get('content-type')).toBe(RECORD_TYPE)
    expect(routing.headers.get('access-control-allow-origin')).toBe('*')
    expect(await bytesOf(routing)).toEqual(first.bytes)

    const gateway = await fetch(`${a.url}/ipns/${name}?format=ipns-record`)
    expect(gateway.status).toBe(200)
    expect(gateway.headers.get('content-type')).toBe(RECORD_TYPE)
    expect(gateway.headers.get('cache-control')).toBe('public, max-age=60')
    expect(gateway.headers.get('content-disposition')).toBe(`attachment; filename="${name}.ipns-record"`)
    expect(await bytesOf(gateway)).toEqual(first.bytes)
    const accept = await fetch(`${a.url}/ipns/${name}`, { headers: { Accept: RECORD_TYPE } })
    expect(await bytesOf(accept)).toEqual(first.bytes)

    // The same record again is fine; a newer one needs no token once the host holds the name.
    expect((await (await put(a, name, first.bytes)).json()).outcome).toBe('same')
    const second = await record(key, 2n)
    expect((await (await put(a, name, second.bytes)).json()).outcome).toBe('stored')
    expect(await bytesOf(await fetch(`${a.url}/routing/v1/ipns/${name}`))).toEqual(second.bytes)
    // A restart would read it from the datastore: the names are listed from there.
    expect(await a.ipns.names()).toContain(name)
  })

  it('refuses an unknown name without a token (401), a lower sequence (409), another key (400), an expired record (400)', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const five = await record(key, 5n)
    const anonymous = await put(a, name, five.bytes)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer')
    expect((await fetch(`${a.url}/routing/v1/ipns/${name}`)).status).toBe(404)
    expect((await fetch(`${a.url}/ipns/${name}?format=ipns-record`)).status).toBe(404)

    expect((await put(a, name, five.bytes, authA)).status).toBe(200)
    const older = await put(a, name, (await record(key, 4n)).bytes, authA)
    expect(older.status).toBe(409)
    expect((await older.json()).error.details).toMatch(/newer record .*sequence 5/)
    expect(await bytesOf(await fetch(`${a.url}/routing/v1/ipns/${name}`))).toEqual(five.bytes)

    const other = await generateKeyPair('Ed25519')
    const forged = await put(a, name, (await record(other, 9n)).bytes, authA)
    expect(forged.status).toBe(400)
    const body = (await forged.json()).error
    expect(body.reason).toBe('INVALID_RECORD_SIGNATURE')
    expect(body.details).toMatch(/not signed by that name's key/)

    const shortLived = await record(key, 6n, root, 300)
    await new Promise((resolve) => setTimeout(resolve, 400))
    const expired = await put(a, name, shortLived.bytes, authA)
    expect(expired.status).toBe(400)
    expect((await expired.json()).error).toMatchObject({ reason: 'INVALID_RECORD_EXPIRED' })
    expect(await bytesOf(await fetch(`${a.url}/routing/v1/ipns/${name}`))).toEqual(five.bytes)

    expect((await put(a, 'not-a-name', five.bytes, authA)).status).toBe(400)
  })

  it('/ipns/<name>/<path> serves the site as /ipfs/<root>/<path>, with the record TTL as its lifetime', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    expect((await put(a, name, (await record(key, 1n)).bytes, authA)).status).toBe(200)
    const file = await fetch(`${a.url}/ipns/${name}/file.txt`)
    expect(file.status).toBe(200)
    expect(await file.text()).toBe(FILE_TEXT)
    expect(file.headers.get('cache-control')).toBe('public, max-age=60')
    expect(file.headers.get('x-ipfs-path')).toBe(`/ipns/${name}/file.txt`)
    const dir = await fetch(`${a.url}/ipns/${name}`, { redirect: 'manual' })
    expect(dir.status).toBe(301)
    expect(dir.headers.get('location')).toBe(`/ipns/${name}/`)
    expect((await fetch(`${a.url}/ipns/${name}/`)).status).toBe(200)
    expect((await fetch(`${a.url}/ipns/${name}/missing.txt`)).status).toBe(404)
    const unknown = ipnsNameOf((await generateKeyPair('Ed25519')).publicKey)
    expect((await fetch(`${a.url}/ipns/${unknown}/file.txt`)).status).toBe(404)
  })
})

interface PeerRecord {
  Schema: string
  ID: string
  Addrs: string[]
  Protocols: string[]
}

describe('providers and the DHT', () => {
  it('lists both hosts that pin a site, each with its HTTP gateway address (JSON and NDJSON)', async () => {
    expect(a.httpMultiaddrs()).toEqual([`/ip4/127.0.0.1/tcp/${new URL(a.url).port}/http`])
    const pin = await fetch(`${b.url}/pins`, {
      method: 'POST',
      headers: { ...authB, 'Content-Type': 'application/json' },
      body: JSON.stringify({ cid: root.toString(), origins: a.multiaddrs() }),
    })
    expect(pin.status).toBe(202)
    await eventually(
      async () => ((await b.pins.list(undefined, { status: ['pinned'] })).count > 0 ? true : undefined),
      30_000,
      'host B to pin the site',
    )
    // B provides the root once pinned; wait until A's DHT knows it (answers are cached 30 s).
    await eventually(
      async () => {
        for await (const p of a.helia.libp2p.contentRouting.findProviders(root, {
          signal: AbortSignal.timeout(2_000),
        })) {
          if (p.id.toString() === b.peerId && p.multiaddrs.some((m) => m.toString().endsWith('/http')))
            return true
        }
        return undefined
      },
      30_000,
      "A's DHT to list B with its gateway address",
    )
    const res = await fetch(`${a.url}/routing/v1/providers/${root}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const { Providers } = (await res.json()) as { Providers: PeerRecord[] }
    const byId = new Map(Providers.map((p) => [p.ID, p]))
    for (const host of [a, b]) {
      const found = byId.get(host.peerId)
      expect(found, `${host.peerId} in ${JSON.stringify(Providers)}`).toBeDefined()
      expect(found?.Schema).toBe('peer')
      expect(found?.Addrs).toContain(`/ip4/127.0.0.1/tcp/${new URL(host.url).port}/http`)
      expect(found?.Protocols).toEqual(['transport-ipfs-gateway-http', 'transport-bitswap'])
    }
    expect(Providers[0]?.ID).toBe(a.peerId)

    const nd = await fetch(`${a.url}/routing/v1/providers/${root}`, {
      headers: { Accept: 'application/x-ndjson' },
    })
    expect(nd.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await nd.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PeerRecord)
    expect(lines.map((p) => p.ID).sort()).toEqual([a.peerId, b.peerId].sort())
  }, 90_000)

  it('answers 200 with no providers for a CID nobody holds, 400 for a bad CID', async () => {
    const { root: nobody } = await (async () => {
      const store = new MemoryBlockstore()
      let cid: CID | undefined
      for await (const e of importer([{ content: new TextEncoder().encode(`nobody ${Date.now()}`) }], store, {
        cidVersion: 1,
        rawLeaves: true,
      }))
        cid = e.cid
      return { root: cid as CID }
    })()
    const res = await fetch(`${a.url}/routing/v1/providers/${nobody}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ Providers: [] })
    expect(res.headers.get('cache-control')).toBe('public, max-age=15')
    expect((await fetch(`${a.url}/routing/v1/providers/not-a-cid`)).status).toBe(400)
    expect((await fetch(`${a.url}/routing/v1/peers/${a.peerId}`)).status).toBe(501)
    const preflight = await fetch(`${a.url}/routing/v1/ipns/x`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'PUT' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Accept')
  })

  it('a record PUT to one host is resolved by the other through the DHT', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const rec = await record(key, 3n)
    expect((await put(a, name, rec.bytes, authA)).status).toBe(200)
    expect(await b.ipns.get(name)).toBeUndefined()
    const found = await eventually(
      async () => (await b.ipns.resolveFromDht(name).catch(() => undefined)) ?? undefined,
      30_000,
      'B to resolve the name through the DHT',
    )
    expect(found.root.toString()).toBe(root.toString())
    expect(found.sequence).toBe(3n)
    expect(Buffer.from(found.bytes).equals(Buffer.from(rec.bytes))).toBe(true)
  }, 60_000)
})

describe('records across a restart, and the announced gateway address', () => {
  it('a stored record is served again after a restart of the host', async () => {
    const repo = await dirs.make('route-restart')
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const rec = await record(key, 4n)
    const first = await startTestHost(repo)
    try {
      expect((await put(first.host, name, rec.bytes, first.auth)).status).toBe(200)
    } finally {
      await first.host.stop()
    }
    const again = await startTestHost(repo)
    try {
      expect(await bytesOf(await fetch(`${again.host.url}/routing/v1/ipns/${name}`))).toEqual(rec.bytes)
      // Known now: a lower sequence is refused without a token too.
      expect((await put(again.host, name, (await record(key, 3n)).bytes)).status).toBe(409)
    } finally {
      await again.host.stop()
    }
  })

  it('announceHttp replaces the listening address; a URL with a path is refused', async () => {
    const { host } = await startTestHost(await dirs.make('route-announce'), {
      announceHttp: ['https://cdn.example.com', 'http://203.0.113.7:8080'],
    })
    try {
      expect(host.httpMultiaddrs()).toEqual([
        '/dns/cdn.example.com/tcp/443/tls/http',
        '/ip4/203.0.113.7/tcp/8080/http',
      ])
      expect(host.helia.libp2p.getMultiaddrs().map(String)).toContain('/dns/cdn.example.com/tcp/443/tls/http')
      // The gateway addresses are not libp2p transports: never pin `delegates`.
      expect(host.multiaddrs().some((m) => m.endsWith('/http'))).toBe(false)
    } finally {
      await host.stop()
    }
    expect(() => httpUrlToMultiaddr('https://cdn.example.com/site/')).toThrow(/`announceHttp` option must be/)
    expect(httpUrlToMultiaddr('http://[::1]:4080').toString()).toBe('/ip6/::1/tcp/4080/http')
    const all = listeningHttpMultiaddrs('0.0.0.0', 4080, true).map(String)
    expect(all).toContain('/ip4/127.0.0.1/tcp/4080/tls/http')
    expect(all.every((m) => m.startsWith('/ip4/'))).toBe(true)
  })
})
