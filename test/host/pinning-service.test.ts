/**
 * The host's IPFS Pinning Service API (spec v1.0.0, ipfs-pinning-service.yaml), against a real host
 * and a real publisher node on 127.0.0.1: pins fetched over bitswap from `origins`, filters and
 * pagination, replace, delete, tokens, the storage quota.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { CarReader } from '@ipld/car'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHostNode, type PinStatus, type RunningHost } from '../../src/host/index.js'
import { tempDirs } from '../helpers/fs.js'
import { eventually, startPublisher, startTestHost } from '../helpers/host.js'

const dirs = tempDirs()
type Publisher = Awaited<ReturnType<typeof startPublisher>>

async function waitForStatus(
  host: RunningHost,
  auth: Record<string, string>,
  requestid: string,
  statuses: string[],
) {
  return eventually(
    async () => {
      const res = await fetch(`${host.url}/pins/${requestid}`, { headers: auth })
      const body = (await res.json()) as PinStatus
      return statuses.includes(body.status) ? body : undefined
    },
    30_000,
    `pin ${requestid} to be ${statuses.join(' or ')}`,
  )
}

const post = (url: string, auth: Record<string, string>, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('Pinning Service API', () => {
  let host: RunningHost
  let auth: Record<string, string>
  let publisher: Publisher

  beforeAll(async () => {
    publisher = await startPublisher()
    ;({ host, auth } = await startTestHost(await dirs.make('psa')))
  })
  afterAll(async () => {
    await host?.stop()
    await publisher?.node.stop()
    await dirs.cleanup()
  })

  it('pins a CID fetched from the publisher named in `origins`, and the gateway serves it verifiably', async () => {
    const res = await post(`${host.url}/pins`, auth, {
      cid: publisher.cid.toString(),
      name: 'site.bin',
      origins: publisher.origins,
      meta: { app_id: 'p2pcdn-test' },
    })
    expect(res.status).toBe(202)
    const created = (await res.json()) as PinStatus
    expect(['queued', 'pinning', 'pinned']).toContain(created.status)
    expect(created.pin).toEqual({
      cid: publisher.cid.toString(),
      name: 'site.bin',
      origins: publisher.origins,
      meta: { app_id: 'p2pcdn-test' },
    })
    expect(created.delegates.length).toBeGreaterThan(0)
    expect(created.delegates.every((d) => d.includes(`/p2p/${host.peerId}`))).toBe(true)
    expect(Number.isNaN(Date.parse(created.created))).toBe(false)

    const done = await waitForStatus(host, auth, created.requestid, ['pinned', 'failed'])
    expect(done.status, JSON.stringify(done.info)).toBe('pinned')
    expect(await host.helia.pins.isPinned(publisher.cid)).toBe(true)

    // The publisher can go away now: the host has every block.
    const car = await fetch(`${host.url}/ipfs/${publisher.cid}?format=car`)
    expect(car.status).toBe(200)
    const reader = await CarReader.fromBytes(new Uint8Array(await car.arrayBuffer()))
    expect((await reader.getRoots()).map(String)).toEqual([publisher.cid.toString()])
    const store = new MemoryBlockstore()
    for await (const { cid, bytes } of reader.blocks()) {
      expect(Buffer.compare((await sha256.digest(bytes)).digest, cid.multihash.digest)).toBe(0)
      await store.put(cid, bytes)
    }
    const entry = await exporter(publisher.cid, store)
    if (entry.type !== 'file') throw new Error(`expected a file, got ${entry.type}`)
    const chunks: Uint8Array[] = []
    for await (const chunk of entry.content()) chunks.push(chunk)
    expect(Buffer.compare(Buffer.concat(chunks), publisher.bytes)).toBe(0)

    // The bytes served show in the metrics.
    const metrics = await (await fetch(`${host.url}/metrics`)).text()
    const served = Number(/^p2pcdn_gateway_bytes_served_total\{format="car"\} (\d+)$/m.exec(metrics)?.[1])
    expect(served).toBeGreaterThan(publisher.bytes.length)
    expect(metrics).toMatch(/^p2pcdn_pins\{status="pinned"\} 1$/m)
  })

  it('serves the pinned DAG over bitswap to a node that dials only the host', async () => {
    const client = createHostNode({
      blockstore: new MemoryBlockstore(),
      datastore: new MemoryDatastore(),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      dht: 'off',
    })
    await client.start()
    try {
      await client.libp2p.dial(multiaddr(host.multiaddrs()[0] as string))
      // One signal for every block read of the file: more than Node's default 10 listeners.
      const signal = AbortSignal.timeout(20_000)
      setMaxListeners(Number.POSITIVE_INFINITY, signal)
      const entry = await exporter(publisher.cid, client.blockstore, { signal })
      if (entry.type !== 'file') throw new Error(`expected a file, got ${entry.type}`)
      const chunks: Uint8Array[] = []
      for await (const chunk of entry.content({ signal })) chunks.push(chunk)
      expect(Buffer.compare(Buffer.concat(chunks), publisher.bytes)).toBe(0)
      // It came from the host: the publisher was never dialled.
      expect(client.libp2p.getPeers().map(String)).toEqual([host.peerId])
    } finally {
      await client.stop()
    }
  })

  it('lists pins newest first; no filter means pinned only; filters by cid, name (match), status, meta, before/after, limit', async () => {
    const unknownCid = CID.createV1(0x55, await sha256.digest(randomBytes(32))).toString()
    // A pin nobody can provide stays queued/pinning (never pinned in this test).
    const pending = (await (
      await post(`${host.url}/pins`, auth, { cid: unknownCid, name: 'Pending-One' })
    ).json()) as PinStatus

    const all = (await (await fetch(`${host.url}/pins`, { headers: auth })).json()) as {
      count: number
      results: PinStatus[]
    }
    expect(all.results.every((p) => p.status === 'pinned')).toBe(true)
    expect(all.results.map((p) => p.pin.cid)).toContain(publisher.cid.toString())

    const byCid = (await (
      await fetch(`${host.url}/pins?cid=${unknownCid}&status=queued,pinning`, { headers: auth })
    ).json()) as {
      count: number
      results: PinStatus[]
    }
    expect(byCid.count).toBe(1)
    expect(byCid.results[0]?.requestid).toBe(pending.requestid)

    const byName = async (name: string, match?: string) =>
      (
        (await (
          await fetch(
            `${host.url}/pins?name=${encodeURIComponent(name)}${match ? `&match=${match}` : ''}&status=queued,pinning,pinned,failed`,
            {
              headers: auth,
            },
          )
        ).json()) as { count: number }
      ).count
    expect(await byName('Pending-One')).toBe(1)
    expect(await byName('pending-one')).toBe(0)
    expect(await byName('pending-one', 'iexact')).toBe(1)
    expect(await byName('ending', 'partial')).toBe(1)
    expect(await byName('ENDING', 'ipartial')).toBe(1)

    const meta = (await (
      await fetch(`${host.url}/pins?meta=${encodeURIComponent(JSON.stringify({ app_id: 'p2pcdn-test' }))}`, {
        headers: auth,
      })
    ).json()) as { count: number; results: PinStatus[] }
    expect(meta.count).toBe(1)
    expect(meta.results[0]?.pin.name).toBe('site.bin')

    // Pagination: limit 1, then `before` the oldest seen.
    const everything = '&status=queued,pinning,pinned,failed'
    const page1 = (await (
      await fetch(`${host.url}/pins?limit=1${everything}`, { headers: auth })
    ).json()) as {
      count: number
      results: PinStatus[]
    }
    expect(page1.count).toBe(2)
    expect(page1.results).toHaveLength(1)
    expect(page1.results[0]?.requestid).toBe(pending.requestid) // newest first
    const page2 = (await (
      await fetch(
        `${host.url}/pins?limit=1${everything}&before=${encodeURIComponent(page1.results[0]?.created ?? '')}`,
        {
          headers: auth,
        },
      )
    ).json()) as { results: PinStatus[] }
    expect(page2.results[0]?.pin.cid).toBe(publisher.cid.toString())
    const after = (await (
      await fetch(
        `${host.url}/pins?${everything.slice(1)}&after=${encodeURIComponent(page2.results[0]?.created ?? '')}`,
        {
          headers: auth,
        },
      )
    ).json()) as { results: PinStatus[] }
    expect(after.results.map((p) => p.requestid)).toEqual([pending.requestid])

    expect(
      (await fetch(`${host.url}/pins/${pending.requestid}`, { method: 'DELETE', headers: auth })).status,
    ).toBe(202)
    expect((await fetch(`${host.url}/pins/${pending.requestid}`, { headers: auth })).status).toBe(404)
  })

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['status=done', 'status'],
    ['match=fuzzy', 'match'],
    ['before=yesterday', 'before'],
    ['cid=not-a-cid', 'cid'],
    ['meta=%7Bnope', 'meta'],
  ])('GET /pins?%s is a 400 naming `%s`', async (query, param) => {
    const res = await fetch(`${host.url}/pins?${query}`, { headers: auth })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { reason: string; details: string } }
    expect(body.error.reason).toBe('BAD_REQUEST')
    expect(body.error.details).toContain(`\`${param}\``)
  })

  it.each([
    [{}, 'Pin.cid'],
    [{ cid: 'bafy-nope' }, 'Pin.cid'],
    [{ cid: 'bafkqaaa', name: 'x'.repeat(256) }, 'Pin.name'],
    [{ cid: 'bafkqaaa', origins: ['not a multiaddr'] }, 'Pin.origins'],
    [{ cid: 'bafkqaaa', meta: { n: 1 } }, 'Pin.meta'],
  ])('POST /pins with %j is a 400 naming %s, and adds nothing', async (body, field) => {
    const before = host.pins.counts()
    const res = await post(`${host.url}/pins`, auth, body)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { details: string } }).error.details).toContain(field)
    expect(host.pins.counts()).toEqual(before)
  })

  it('replaces a pin: a new request id, the old one gone, the new CID pinned, the old CID unpinned', async () => {
    const second = await startPublisher(randomBytes(200_000))
    try {
      const first = (await (
        await post(`${host.url}/pins`, auth, { cid: second.cid.toString(), origins: second.origins })
      ).json()) as PinStatus
      await waitForStatus(host, auth, first.requestid, ['pinned'])
      const third = await startPublisher(randomBytes(100_000))
      try {
        const res = await post(`${host.url}/pins/${first.requestid}`, auth, {
          cid: third.cid.toString(),
          origins: third.origins,
        })
        expect(res.status).toBe(202)
        const replaced = (await res.json()) as PinStatus
        expect(replaced.requestid).not.toBe(first.requestid)
        expect((await fetch(`${host.url}/pins/${first.requestid}`, { headers: auth })).status).toBe(404)
        await waitForStatus(host, auth, replaced.requestid, ['pinned'])
        expect(await host.helia.pins.isPinned(third.cid)).toBe(true)
        expect(await host.helia.pins.isPinned(second.cid)).toBe(false)
        // Unpinned content is no longer served: the gateway is not an open cache.
        expect((await fetch(`${host.url}/ipfs/${second.cid}?format=raw`)).status).toBe(404)
      } finally {
        await third.node.stop()
      }
    } finally {
      await second.node.stop()
    }
  })

  it('answers 401 without a token or with a wrong one, and pins nothing', async () => {
    const before = host.pins.counts()
    const body = { cid: publisher.cid.toString() }
    for (const headers of [
      {},
      { Authorization: 'Bearer p2pcdn_wrong' },
      { Authorization: 'Basic abc' },
    ] as Array<Record<string, string>>) {
      const res = await post(`${host.url}/pins`, headers, body)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      expect(((await res.json()) as { error: { reason: string } }).error.reason).toBe('UNAUTHORIZED')
      expect((await fetch(`${host.url}/pins`, { headers })).status).toBe(401)
    }
    expect(host.pins.counts()).toEqual(before)
  })

  it('a token sees only its own pin requests', async () => {
    const { createToken } = await import('../../src/host/index.js')
    const other = await createToken(host.repo.path, 'other') // created while the host runs: valid at once
    const otherAuth = { Authorization: `Bearer ${other.token}` }
    const mine = (await (await fetch(`${host.url}/pins`, { headers: auth })).json()) as { count: number }
    expect(mine.count).toBeGreaterThan(0)
    const theirs = (await (await fetch(`${host.url}/pins`, { headers: otherAuth })).json()) as {
      count: number
    }
    expect(theirs.count).toBe(0)
  })
})

describe('storage quota', () => {
  afterEach(() => dirs.cleanup())

  it('fails a pin that does not fit, with the reason in info.status_details, and keeps serving', async () => {
    const publisher = await startPublisher(randomBytes(2 * 1024 * 1024))
    const { host, auth } = await startTestHost(await dirs.make('quota'), { storageMax: 512 * 1024 })
    try {
      const created = (await (
        await post(`${host.url}/pins`, auth, { cid: publisher.cid.toString(), origins: publisher.origins })
      ).json()) as PinStatus
      const done = await waitForStatus(host, auth, created.requestid, ['pinned', 'failed'])
      expect(done.status).toBe('failed')
      expect(done.info?.status_details).toMatch(/quota/)
      expect(host.repo.blockstore.used).toBeLessThanOrEqual(512 * 1024)
      expect((await fetch(`${host.url}/healthz`)).status).toBe(200)
    } finally {
      await host.stop()
      await publisher.node.stop()
    }
  })
})
