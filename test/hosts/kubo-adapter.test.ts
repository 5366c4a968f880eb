/**
 * The Kubo RPC host adapter. Kubo itself is a Go binary that no package registry reachable here
 * ships, so it cannot run in these tests: they talk to test/helpers/kubo-standin.ts, a server on
 * 127.0.0.1 that follows Kubo's documented RPC API (POST only, `arg` query parameters, Kubo's JSON
 * and error shapes, 403 under API.Authorizations), backed by a real Helia node. The CARs come from
 * real `publish` runs on a small site.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { CarReader, CarWriter } from '@ipld/car'
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { kuboAdapter, kuboAuthorization } from '../../src/hosts/adapters/kubo.js'
import { HostError } from '../../src/hosts/http.js'
import type { HostTarget, PushJob } from '../../src/hosts/types.js'
import { publish } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'
import { type KuboStandin, type KuboStandinOptions, startKuboStandin } from '../helpers/kubo-standin.js'

const dirs = tempDirs()
const standins: KuboStandin[] = []
const FAST = { retries: 2, baseMs: 1, maxMs: 5 }

interface Site {
  root: CID
  car: string
  carBytes: number
  big: Buffer
}
let siteA: Site
let siteB: Site

async function buildSite(label: string, big: Buffer, about: string): Promise<Site> {
  const dir = await dirs.make(`${label}-in`)
  await fs.mkdir(path.join(dir, 'docs'))
  await fs.writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><title>Kubo</title><link rel="stylesheet" href="style.css">',
  )
  await fs.writeFile(path.join(dir, 'style.css'), 'body { color: #123 }\n')
  await fs.writeFile(path.join(dir, 'docs', 'about.html'), about)
  await fs.writeFile(path.join(dir, 'big.bin'), big)
  const out = path.join(await dirs.make(`${label}-out`), 'site')
  const result = await publish({ dir, out, cacheDir: false })
  if (!result.car) throw new Error('publish wrote no CAR')
  return { root: CID.parse(result.root), car: result.car, carBytes: (await fs.stat(result.car)).size, big }
}

async function standin(options: KuboStandinOptions = {}): Promise<KuboStandin> {
  const s = await startKuboStandin(options)
  standins.push(s)
  return s
}

const target = (url: string, extra: Partial<HostTarget> = {}): HostTarget => ({
  name: 'kubo-test',
  url,
  type: 'kubo',
  ...extra,
})

const job = (site: Site, extra: Partial<PushJob> = {}): PushJob => ({
  root: site.root,
  name: 'site',
  car: site.car,
  origins: [],
  wait: true,
  timeoutMs: 30_000,
  ...extra,
})

async function cat(s: KuboStandin, ipfsPath: string): Promise<Buffer> {
  const entry = await exporter(ipfsPath, s.helia.blockstore)
  if (entry.type !== 'file' && entry.type !== 'raw') throw new Error(`${ipfsPath} is a ${entry.type}`)
  const chunks: Uint8Array[] = []
  for await (const chunk of entry.content()) chunks.push(chunk)
  return Buffer.concat(chunks)
}

const recursivelyPinned = async (s: KuboStandin, cid: CID) =>
  s.helia.pins.get(cid).then(
    (pin) => pin.depth === Number.POSITIVE_INFINITY,
    () => false,
  )

const totalBytes = (s: KuboStandin) => s.requests.reduce((sum, r) => sum + r.bytes, 0)

async function rejection(promise: Promise<unknown>): Promise<HostError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(HostError)
  return err as HostError
}

beforeAll(async () => {
  const big = randomBytes(700 * 1024) // a few 256 KiB chunks: a multi-block file
  siteA = await buildSite('kubo-a', big, '<p>about, first version</p>')
  siteB = await buildSite('kubo-b', big, '<p>about, second version</p>')
  expect(siteA.root.equals(siteB.root)).toBe(false)
})

afterEach(async () => {
  await Promise.all(standins.splice(0).map((s) => s.close()))
})

afterAll(async () => {
  await dirs.cleanup()
})

describe('the stand-in answers like Kubo', () => {
  it('takes POST only, and answers unknown commands and missing arguments with Kubo statuses', async () => {
    const s = await standin()
    const get = await fetch(`${s.url}/api/v0/version`)
    expect(get.status).toBe(405)
    const unknown = await fetch(`${s.url}/api/v0/no/such/command`, { method: 'POST' })
    expect(unknown.status).toBe(404)
    const missing = await fetch(`${s.url}/api/v0/pin/rm`, { method: 'POST' })
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({
      Message: 'argument "ipfs-path" is required',
      Code: 1,
      Type: 'error',
    })
    const notPinned = await fetch(`${s.url}/api/v0/pin/ls?arg=${siteA.root}&type=recursive`, {
      method: 'POST',
    })
    expect(notPinned.status).toBe(500)
    expect(await notPinned.json()).toEqual({
      Message: `path '${siteA.root}' is not pinned`,
      Code: 0,
      Type: 'error',
    })
  })
})

describe('check()', () => {
  it("reports Kubo's version and the latency", async () => {
    const s = await standin({ version: '0.38.1' })
    const check = await kuboAdapter(target(s.url)).check()
    expect(check).toMatchObject({ reachable: true, authorised: true, version: '0.38.1' })
    expect(check.error).toBeUndefined()
    expect(check.latencyMs).toBeGreaterThanOrEqual(0)
    expect(check.latencyMs).toBeLessThan(5_000)
    expect(s.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v0/version'])
  })

  it('reports an unreachable host without throwing', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const started = Date.now()
    const check = await kuboAdapter(target(`http://127.0.0.1:${port}`), { retry: { retries: 0 } }).check()
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(check).toMatchObject({ reachable: false, authorised: false })
    expect(check.error).toContain('kubo-test')
    expect(check.error).toContain('unreachable')
  })

  it('reports a Kubo URL that is not a Kubo API (no version in the answer) as not authorised', async () => {
    const server: Server = createServer((_req, res) => res.end('<html>hello</html>'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const adapter = kuboAdapter(target(url), { retry: FAST })
      const check = await adapter.check()
      expect(check).toMatchObject({ reachable: true, authorised: false })
      expect(check.error).toMatch(/\/api\/v0\/version/)
      const err = await rejection(adapter.push(job(siteA)))
      expect(err.code).toBe('ERR_HOST_FAILED')
      expect(err.message).toContain('kubo-test')
      expect(err.message).toContain('/api/v0/pin/ls')
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

describe('tokens (API.Authorizations)', () => {
  it.each([
    ['alice:secret-pw', `Basic ${Buffer.from('alice:secret-pw').toString('base64')}`],
    ['basic:alice:secret-pw', `Basic ${Buffer.from('alice:secret-pw').toString('base64')}`],
    ['basic:YWxpY2U6c2VjcmV0LXB3', 'Basic YWxpY2U6c2VjcmV0LXB3'],
    ['secret-token123', 'Bearer secret-token123'],
    ['bearer:secret-token123', 'Bearer secret-token123'],
  ])('token %s is sent as %s', async (token, header) => {
    expect(kuboAuthorization(token)).toBe(header)
    const s = await standin({ authorization: header })
    const check = await kuboAdapter(target(s.url, { token })).check()
    expect(check).toMatchObject({ reachable: true, authorised: true })
  })

  it('a wrong token: check() says not authorised, push() fails with ERR_HOST_AUTH without the token', async () => {
    const token = 'wrong-token-6f1d2c'
    const s = await standin({ authorization: 'Bearer right-token' })
    const adapter = kuboAdapter(target(s.url, { token, tokenEnv: 'KUBO_TOKEN' }), { retry: FAST })

    const check = await adapter.check()
    expect(check).toMatchObject({ reachable: true, authorised: false })
    expect(check.error).toContain('403')
    expect(check.error).not.toContain(token)

    const err = await rejection(adapter.push(job(siteA)))
    expect(err.code).toBe('ERR_HOST_AUTH')
    expect(err.status).toBe(403)
    expect(err.message).toContain('kubo-test')
    expect(err.message).toContain(s.url)
    expect(err.message).toContain('$KUBO_TOKEN')
    expect(err.message).not.toContain(token)
    expect(s.calls('dag/import')).toHaveLength(0)
    expect(await recursivelyPinned(s, siteA.root)).toBe(false)
  })
})

describe('push()', () => {
  it('imports the CAR once, pins the root, and announces it', async () => {
    const s = await standin()
    const outcome = await kuboAdapter(target(s.url)).push(job(siteA))

    expect(outcome.status).toBe('pinned')
    expect(outcome.requestid).toBeUndefined()
    expect(await recursivelyPinned(s, siteA.root)).toBe(true)
    expect(await cat(s, `/ipfs/${siteA.root}/big.bin`)).toEqual(siteA.big)
    expect((await cat(s, `/ipfs/${siteA.root}/docs/about.html`)).toString()).toBe(
      '<p>about, first version</p>',
    )

    const imports = s.calls('dag/import')
    expect(imports).toHaveLength(1)
    expect(imports[0]?.query.get('pin-roots')).toBe('true')
    // the CAR plus the multipart framing, once
    expect(imports[0]?.bytes).toBeGreaterThan(siteA.carBytes)
    expect(imports[0]?.bytes).toBeLessThan(siteA.carBytes + 1024)
    expect(outcome.bytesSent).toBe(totalBytes(s))

    const provides = s.calls('routing/provide')
    expect(provides).toHaveLength(1)
    expect(provides[0]?.query.getAll('arg')).toEqual([siteA.root.toString()])
    expect(provides[0]?.query.get('recursive')).toBe('true')
    expect(s.requests.every((r) => r.method === 'POST')).toBe(true)
    expect(outcome.detail).toMatch(/announced to the DHT/)
    expect(outcome.detail).not.toMatch(/not announced/)
  })

  it('pins even when asked not to wait: Kubo pins before it answers', async () => {
    const s = await standin()
    const outcome = await kuboAdapter(target(s.url)).push(job(siteA, { wait: false }))
    expect(outcome.status).toBe('pinned')
    expect(await recursivelyPinned(s, siteA.root)).toBe(true)
  })

  it('sends no CAR for a root the node already pins', async () => {
    const s = await standin()
    const adapter = kuboAdapter(target(s.url))
    await adapter.push(job(siteA))
    const before = s.requests.length

    const again = await adapter.push(job(siteA, { previous: { root: siteA.root.toString() } }))
    expect(again.status).toBe('already-pinned')
    expect(again.bytesSent).toBe(0)
    const sent = s.requests.slice(before)
    expect(sent.map((r) => r.path)).toEqual(['/api/v0/pin/ls'])
    expect(sent[0]?.query.get('type')).toBe('recursive')
    expect(s.calls('dag/import')).toHaveLength(1)
    expect(await recursivelyPinned(s, siteA.root)).toBe(true)
  })

  it('replaces the previous root with the new one', async () => {
    const s = await standin()
    const adapter = kuboAdapter(target(s.url))
    await adapter.push(job(siteA))
    expect(await recursivelyPinned(s, siteA.root)).toBe(true)

    const outcome = await adapter.push(job(siteB, { previous: { root: siteA.root.toString() } }))
    expect(outcome.status).toBe('pinned')
    expect(await recursivelyPinned(s, siteB.root)).toBe(true)
    expect(await recursivelyPinned(s, siteA.root)).toBe(false)
    expect(s.calls('pin/rm').map((r) => r.query.getAll('arg'))).toEqual([[siteA.root.toString()]])
    expect(outcome.detail).toContain(`unpinned previous root ${siteA.root}`)
    expect(outcome.replaced).toBe(siteA.root.toString())
    expect((await cat(s, `/ipfs/${siteB.root}/docs/about.html`)).toString()).toBe(
      '<p>about, second version</p>',
    )
  })

  it('leaves alone a previous root that this node does not pin', async () => {
    const s = await standin()
    const outcome = await kuboAdapter(target(s.url)).push(
      job(siteB, { previous: { root: siteA.root.toString() } }),
    )
    expect(outcome.status).toBe('pinned')
    expect(outcome.replaced).toBeUndefined()
    expect(s.calls('pin/rm')).toHaveLength(0)
    expect(await recursivelyPinned(s, siteB.root)).toBe(true)
  })

  it('retries a dag/import that failed with 500, and succeeds', async () => {
    const s = await standin({
      faults: { 'dag/import': [{ status: 500, message: 'context deadline exceeded' }] },
    })
    const outcome = await kuboAdapter(target(s.url), { retry: FAST }).push(job(siteA))
    expect(outcome.status).toBe('pinned')
    expect(s.calls('dag/import')).toHaveLength(2)
    expect(await recursivelyPinned(s, siteA.root)).toBe(true)
    // the CAR went twice, and both are counted
    expect(outcome.bytesSent).toBe(totalBytes(s))
    expect(outcome.bytesSent).toBeGreaterThan(2 * siteA.carBytes)
  })

  it('does not retry a 400', async () => {
    const s = await standin({
      faults: { 'dag/import': [{ status: 400, message: 'unknown option "pin-roots"' }] },
    })
    const err = await rejection(kuboAdapter(target(s.url), { retry: FAST }).push(job(siteA)))
    expect(err.code).toBe('ERR_HOST_REJECTED')
    expect(err.status).toBe(400)
    expect(err.message).toContain('kubo-test')
    expect(err.message).toContain('unknown option "pin-roots"')
    expect(s.calls('dag/import')).toHaveLength(1)
    expect(await recursivelyPinned(s, siteA.root)).toBe(false)
  })

  it('fails when Kubo imports the CAR but cannot pin the root (PinErrorMsg)', async () => {
    // the site's CAR without one of its blocks: the DAG is incomplete, the pin walk fails
    const reader = await CarReader.fromBytes(await fs.readFile(siteA.car))
    const { writer, out } = CarWriter.create(await reader.getRoots())
    const chunks: Uint8Array[] = []
    const collected = (async () => {
      for await (const chunk of out) chunks.push(chunk)
    })()
    let index = 0
    for await (const block of reader.blocks()) if (index++ !== 3) await writer.put(block)
    await writer.close()
    await collected
    const broken = path.join(await dirs.make('kubo-broken'), 'broken.car')
    await fs.writeFile(broken, Buffer.concat(chunks))

    const s = await standin()
    const err = await rejection(kuboAdapter(target(s.url), { retry: FAST }).push(job(siteA, { car: broken })))
    expect(err.code).toBe('ERR_HOST_FAILED')
    expect(err.message).toContain('kubo-test')
    expect(err.message).toContain(`could not pin ${siteA.root}`)
    expect(s.calls('dag/import')).toHaveLength(1)
    expect(s.calls('routing/provide')).toHaveLength(0)
  })

  it.each([
    ['no-peers', /not announced to the DHT .*cannot provide, no connected peers/],
    ['query-error', /not announced to the DHT: failed to find any peer in table/],
  ] as const)('a failed provide (%s) is a note, not a failure, and is not retried', async (provide, note) => {
    const s = await standin({ provide })
    const outcome = await kuboAdapter(target(s.url), { retry: FAST }).push(job(siteA))
    expect(outcome.status).toBe('pinned')
    expect(outcome.detail).toMatch(note)
    expect(s.calls('routing/provide')).toHaveLength(1)
    expect(await recursivelyPinned(s, siteA.root)).toBe(true)
  })
})
