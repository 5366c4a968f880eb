/**
 * The Kubo RPC host adapter against a real Kubo daemon (test/helpers/peers.ts finds it;
 * test/helpers/kubo-daemon.ts starts it with Kubo's `test` profile: 127.0.0.1 only, no bootstrap,
 * no mDNS) with `API.Authorizations` set, as a Kubo opened to a publisher should be. The sites come
 * from real `publish` runs on a small site, their blocks read back from the output folders
 * (`openPublishedSite`), as `p2pcdn push` does; each also has the CAR publish writes with `car: true`,
 * to measure what was sent against.
 *
 * A recording proxy (test/helpers/recording-proxy.ts) sits between the adapter and Kubo, to count
 * the requests and bytes the adapter sends. It also injects the few failures a healthy Kubo on
 * 127.0.0.1 cannot be made to produce — a 500 on `dag/import` (retried), a 400 (not retried), a
 * `PinErrorMsg` (a pin failing inside Kubo), a `routing/provide` stream ending in a DHT query
 * error — and each test that uses one says
 * "injected". Everything else is Kubo's own answer: the 403s of `API.Authorizations`, "is not
 * pinned", "cannot provide, no connected peers", a provide that reaches a peer.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import path from 'node:path'
import { CarReader } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { kuboAdapter, kuboAuthorization } from '../../src/hosts/adapters/kubo.js'
import { HostError } from '../../src/hosts/http.js'
import type { HostTarget, PushJob, SiteBlocks } from '../../src/hosts/types.js'
import { openPublishedSite, publish, SourceBlockstore, siteBlocks } from '../../src/index.js'
import { deadUrl } from '../helpers/fault-proxy.js'
import { tempDirs } from '../helpers/fs.js'
import { type KuboDaemon, startKubo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'
import { type RecordingProxy, startRecordingProxy } from '../helpers/recording-proxy.js'

const dirs = tempDirs()
const FAST = { retries: 2, baseMs: 1, maxMs: 5 }
/** The publisher's token: `bearer:<TOKEN>` in Kubo's `API.Authorizations`. */
const TOKEN = `ci-${randomBytes(16).toString('hex')}`

interface Site {
  root: CID
  /** The output folder. */
  out: string
  /** Its blocks, read from its files, as a push takes them. */
  blocks: SiteBlocks
  /** The CAR publish wrote beside the output (`car: true`), and its size. */
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
  const result = await publish({ dir, out, cacheDir: false, car: true })
  if (!result.car) throw new Error('publish wrote no CAR')
  const { blocks } = await openPublishedSite(out)
  const carBytes = (await fs.stat(result.car)).size
  // The CAR a push streams from the files is the one publish writes.
  expect(await blocks.carBytes()).toBe(carBytes)
  return { root: CID.parse(result.root), out, blocks, car: result.car, carBytes, big }
}

/**
 * The site's blocks as `siteBlocks` gives them over a store that holds its CAR's blocks, each
 * passed through `edit` (returning `undefined` leaves the block out).
 */
async function blocksFromCar(
  site: Site,
  edit: (block: { cid: CID; bytes: Uint8Array }, index: number) => Uint8Array | undefined,
): Promise<SiteBlocks> {
  const reader = await CarReader.fromBytes(await fs.readFile(site.car))
  const store = new SourceBlockstore(site.out)
  let index = 0
  for await (const block of reader.blocks()) {
    const bytes = edit(block, index++)
    if (bytes !== undefined) await store.put(block.cid, bytes)
  }
  return siteBlocks(site.root, store)
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
  blocks: site.blocks,
  origins: [],
  wait: true,
  timeoutMs: 30_000,
  ...extra,
})

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

afterAll(async () => {
  await dirs.cleanup()
})

describe('check() without a Kubo', () => {
  it('reports an unreachable host without throwing', async () => {
    const url = await deadUrl()
    const started = Date.now()
    const check = await kuboAdapter(target(url), { retry: { retries: 0 } }).check()
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(check).toMatchObject({ reachable: false, authorised: false })
    expect(check.error).toContain('kubo-test')
    expect(check.error).toContain('unreachable')
  })

  it('reports a Kubo URL that is not a Kubo API (no version in the answer) as not authorised', async () => {
    const server: Server = createServer((_req, res) => res.end('<html>hello</html>'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const address = server.address()
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
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

describe.skipIf(kubo.skip)(kubo.title('the kubo adapter against a real Kubo with API.Authorizations'), () => {
  let daemon: KuboDaemon
  let proxy: RecordingProxy

  beforeAll(async () => {
    daemon = await startKubo({
      authorizations: {
        ci: { AuthSecret: `bearer:${TOKEN}`, AllowedPaths: ['/api/v0'] },
        alice: { AuthSecret: 'basic:alice:secret-pw', AllowedPaths: ['/api/v0'] },
        bot: { AuthSecret: 'bearer:secret-token123', AllowedPaths: ['/api/v0'] },
        // a token that may call `version` (always allowed) and `id`, nothing a push needs
        watcher: { AuthSecret: 'bearer:watch-only-token', AllowedPaths: ['/api/v0/id'] },
      },
    })
  }, 90_000)

  afterAll(async () => {
    await daemon?.stop()
    await daemon?.repo.remove()
  })

  /** Each test starts with neither site pinned nor stored in Kubo, and a fresh proxy. */
  beforeEach(async () => {
    for (const site of [siteA, siteB]) {
      await (await daemon.rpc('pin/rm', [['arg', site.root.toString()]])).text()
    }
    const gc = await daemon.rpc('repo/gc')
    expect(gc.status, await gc.text()).toBe(200)
    proxy = await startRecordingProxy(daemon.api)
  })

  afterEach(async () => {
    await proxy?.close()
  })

  const calls = (command: string) => proxy.calls(`/api/v0/${command}`)
  const withToken = (extra: Partial<HostTarget> = {}) =>
    target(proxy.url, { token: TOKEN, tokenEnv: 'KUBO_TOKEN', ...extra })

  const recursivelyPinned = async (cid: CID): Promise<boolean> => {
    const res = await daemon.rpc('pin/ls', [
      ['arg', cid.toString()],
      ['type', 'recursive'],
    ])
    const body = (await res.json()) as { Keys?: Record<string, { Type: string }>; Message?: string }
    if (res.status === 500 && /is not pinned/.test(body.Message ?? '')) return false
    expect(res.status, body.Message).toBe(200)
    return Object.values(body.Keys ?? {}).some((key) => key.Type === 'recursive')
  }

  const cat = async (ipfsPath: string): Promise<Buffer> => {
    const res = await daemon.rpc('cat', [
      ['arg', ipfsPath],
      ['offline', 'true'],
    ])
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(res.status, bytes.toString()).toBe(200)
    return bytes
  }

  it('Kubo answers as the adapter expects: POST only, 403 without a token, Kubo error shapes', async () => {
    const get = await fetch(`${daemon.api}/api/v0/version`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    })
    expect(get.status).toBe(405)
    const none = await fetch(`${daemon.api}/api/v0/version`, { method: 'POST' })
    expect(none.status).toBe(403)
    expect(await none.text()).toContain('API.Authorizations')
    const unknown = await daemon.rpc('no/such/command')
    expect(unknown.status).toBe(404)
    // a malformed call: 400, and plain text, not Kubo's JSON error
    const missing = await daemon.rpc('pin/rm')
    expect(missing.status).toBe(400)
    expect(missing.headers.get('content-type')).toMatch(/^text\/plain/)
    expect((await missing.text()).trim()).toBe('argument "ipfs-path" is required')
    const notPinned = await daemon.rpc('pin/ls', [
      ['arg', siteA.root.toString()],
      ['type', 'recursive'],
    ])
    expect(notPinned.status).toBe(500)
    expect(await notPinned.json()).toEqual({
      Message: `path '${siteA.root}' is not pinned`,
      Code: 0,
      Type: 'error',
    })
  })

  describe('check()', () => {
    it("reports Kubo's version and the latency", async () => {
      const { Version } = (await (await daemon.rpc('version')).json()) as { Version: string }
      expect(Version).toMatch(/^\d+\.\d+\.\d+/)
      const check = await kuboAdapter(withToken()).check()
      expect(check).toMatchObject({ reachable: true, authorised: true, version: Version })
      expect(check.error).toBeUndefined()
      expect(check.latencyMs).toBeGreaterThanOrEqual(0)
      expect(check.latencyMs).toBeLessThan(5_000)
      expect(proxy.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v0/version'])
      expect(proxy.requests[0]?.authorization).toBe(`Bearer ${TOKEN}`)
    })
  })

  describe('tokens (API.Authorizations)', () => {
    it.each([
      // AuthSecret basic:alice:secret-pw
      ['alice:secret-pw', `Basic ${Buffer.from('alice:secret-pw').toString('base64')}`],
      ['basic:alice:secret-pw', `Basic ${Buffer.from('alice:secret-pw').toString('base64')}`],
      ['basic:YWxpY2U6c2VjcmV0LXB3', 'Basic YWxpY2U6c2VjcmV0LXB3'],
      // AuthSecret bearer:secret-token123
      ['secret-token123', 'Bearer secret-token123'],
      ['bearer:secret-token123', 'Bearer secret-token123'],
    ])('token %s is sent as %s, and Kubo takes it for a push', async (token, header) => {
      expect(kuboAuthorization(token)).toBe(header)
      const adapter = kuboAdapter(withToken({ token }))
      expect(await adapter.check()).toMatchObject({ reachable: true, authorised: true })
      const outcome = await adapter.push(job(siteA))
      expect(outcome.status).toBe('pinned')
      expect(await recursivelyPinned(siteA.root)).toBe(true)
      expect(new Set(proxy.requests.map((r) => r.authorization))).toEqual(new Set([header]))
      expect(proxy.requests.every((r) => r.status !== 403)).toBe(true)
    })

    it('a wrong token: check() says not authorised, push() fails with ERR_HOST_AUTH without the token', async () => {
      const token = 'wrong-token-6f1d2c'
      const adapter = kuboAdapter(withToken({ token }), { retry: FAST })

      const check = await adapter.check()
      expect(check).toMatchObject({ reachable: true, authorised: false })
      expect(check.error).toContain('403')
      expect(check.error).toContain('kubo-test')
      expect(check.error).not.toContain(token)

      const err = await rejection(adapter.push(job(siteA)))
      expect(err.code).toBe('ERR_HOST_AUTH')
      expect(err.status).toBe(403)
      expect(err.message).toContain('kubo-test')
      expect(err.message).toContain(proxy.url)
      expect(err.message).toContain('$KUBO_TOKEN')
      expect(err.message).toContain('Kubo RPC Access Denied') // Kubo's own words
      expect(err.message).not.toContain(token)
      expect(err.message).not.toContain(TOKEN)
      expect(calls('dag/import')).toHaveLength(0)
      expect(calls('pin/ls')).toHaveLength(1) // a 403 is not retried
      expect(await recursivelyPinned(siteA.root)).toBe(false)
    })

    it('no token at all: ERR_HOST_AUTH saying a token is needed', async () => {
      const err = await rejection(kuboAdapter(target(proxy.url), { retry: FAST }).push(job(siteA)))
      expect(err.code).toBe('ERR_HOST_AUTH')
      expect(err.message).toContain('kubo-test')
      expect(err.message).toContain('--token-env')
      expect(proxy.requests.every((r) => r.authorization === undefined)).toBe(true)
    })

    it('a token whose AllowedPaths leave out the pin commands: check() passes (version always does), push() fails', async () => {
      const adapter = kuboAdapter(withToken({ token: 'bearer:watch-only-token' }), { retry: FAST })
      expect(await adapter.check()).toMatchObject({ reachable: true, authorised: true })
      const err = await rejection(adapter.push(job(siteA)))
      expect(err.code).toBe('ERR_HOST_AUTH')
      expect(err.status).toBe(403)
      expect(err.message).toContain('kubo-test')
      expect(err.message).not.toContain('watch-only-token')
      expect(await recursivelyPinned(siteA.root)).toBe(false)
    })
  })

  describe('push()', () => {
    it('imports the CAR once, pins the root, and notes that Kubo, with no peers, could not announce it', async () => {
      const outcome = await kuboAdapter(withToken()).push(job(siteA))

      expect(outcome.status).toBe('pinned')
      expect(outcome.requestid).toBeUndefined()
      expect(await recursivelyPinned(siteA.root)).toBe(true)
      expect((await cat(`/ipfs/${siteA.root}/big.bin`)).equals(siteA.big)).toBe(true)
      expect((await cat(`/ipfs/${siteA.root}/docs/about.html`)).toString()).toBe(
        '<p>about, first version</p>',
      )

      const imports = calls('dag/import')
      expect(imports).toHaveLength(1)
      expect(imports[0]?.query.get('pin-roots')).toBe('true')
      expect(imports[0]?.status).toBe(200)
      // the CAR plus the multipart framing, once
      expect(imports[0]?.bytes).toBeGreaterThan(siteA.carBytes)
      expect(imports[0]?.bytes).toBeLessThan(siteA.carBytes + 1024)
      expect(outcome.bytesSent).toBe(proxy.totalBytes())
      expect(outcome.detail).toMatch(/imported \d+ blocks \(\d+ bytes\) and pinned/)

      // Kubo's own answer: the test profile has no bootstrap peers, and a provide needs one.
      const provides = calls('routing/provide')
      expect(provides).toHaveLength(1) // not retried
      expect(provides[0]?.query.getAll('arg')).toEqual([siteA.root.toString()])
      expect(provides[0]?.query.get('recursive')).toBe('true')
      expect(provides[0]?.status).toBe(500)
      expect(outcome.detail).toMatch(/not announced to the DHT \(.*cannot provide, no connected peers/)
      expect(proxy.requests.every((r) => r.method === 'POST')).toBe(true)
      expect(outcome.detail).not.toContain(TOKEN)
    })

    it('announces the root when Kubo has a peer', async () => {
      const peer = await startKubo()
      try {
        const connect = await daemon.rpc('swarm/connect', [['arg', peer.multiaddrs[0] as string]])
        expect(connect.status, await connect.text()).toBe(200)
        const outcome = await kuboAdapter(withToken()).push(job(siteA))
        expect(outcome.status).toBe('pinned')
        expect(calls('routing/provide')[0]?.status).toBe(200)
        expect(outcome.detail).toMatch(/announced to the DHT/)
        expect(outcome.detail).not.toMatch(/not announced/)
      } finally {
        // stopped, so that no later test sees a peer
        await peer.stop()
        await peer.repo.remove()
      }
    })

    it('pins even when asked not to wait: Kubo pins before it answers', async () => {
      const outcome = await kuboAdapter(withToken()).push(job(siteA, { wait: false }))
      expect(outcome.status).toBe('pinned')
      expect(await recursivelyPinned(siteA.root)).toBe(true)
    })

    it('sends no CAR for a root the node already pins', async () => {
      const adapter = kuboAdapter(withToken())
      await adapter.push(job(siteA))
      const before = proxy.requests.length

      const again = await adapter.push(job(siteA, { previous: { root: siteA.root.toString() } }))
      expect(again.status).toBe('already-pinned')
      expect(again.bytesSent).toBe(0)
      const sent = proxy.requests.slice(before)
      expect(sent.map((r) => r.path)).toEqual(['/api/v0/pin/ls'])
      expect(sent[0]?.query.get('type')).toBe('recursive')
      expect(calls('dag/import')).toHaveLength(1)
      expect(await recursivelyPinned(siteA.root)).toBe(true)
    })

    it('replaces the previous root with the new one (a re-publish)', async () => {
      const adapter = kuboAdapter(withToken())
      await adapter.push(job(siteA))
      expect(await recursivelyPinned(siteA.root)).toBe(true)

      const outcome = await adapter.push(job(siteB, { previous: { root: siteA.root.toString() } }))
      expect(outcome.status).toBe('pinned')
      expect(await recursivelyPinned(siteB.root)).toBe(true)
      expect(await recursivelyPinned(siteA.root)).toBe(false)
      expect(calls('pin/rm').map((r) => r.query.getAll('arg'))).toEqual([[siteA.root.toString()]])
      expect(outcome.detail).toContain(`unpinned previous root ${siteA.root}`)
      expect(outcome.replaced).toBe(siteA.root.toString())
      expect((await cat(`/ipfs/${siteB.root}/docs/about.html`)).toString()).toBe(
        '<p>about, second version</p>',
      )
    })

    it('leaves alone a previous root that this node does not pin', async () => {
      const outcome = await kuboAdapter(withToken()).push(
        job(siteB, { previous: { root: siteA.root.toString() } }),
      )
      expect(outcome.status).toBe('pinned')
      expect(outcome.replaced).toBeUndefined()
      expect(calls('pin/rm')).toHaveLength(0)
      expect(await recursivelyPinned(siteB.root)).toBe(true)
    })

    it('retries a dag/import that failed with 500 (injected), and succeeds', async () => {
      proxy.inject('/api/v0/dag/import', {
        status: 500,
        body: '{"Message":"context deadline exceeded","Code":0,"Type":"error"}',
      })
      const outcome = await kuboAdapter(withToken(), { retry: FAST }).push(job(siteA))
      expect(outcome.status).toBe('pinned')
      expect(calls('dag/import').map((r) => [r.status, r.injected])).toEqual([
        [500, true],
        [200, false],
      ])
      expect(await recursivelyPinned(siteA.root)).toBe(true)
      // the CAR went twice, and both are counted
      expect(outcome.bytesSent).toBe(proxy.totalBytes())
      expect(outcome.bytesSent).toBeGreaterThan(2 * siteA.carBytes)
    })

    it('does not retry a 400 (injected: an old Kubo without pin-roots)', async () => {
      proxy.inject('/api/v0/dag/import', {
        status: 400,
        body: '{"Message":"unknown option \\"pin-roots\\"","Code":1,"Type":"error"}',
      })
      const err = await rejection(kuboAdapter(withToken(), { retry: FAST }).push(job(siteA)))
      expect(err.code).toBe('ERR_HOST_REJECTED')
      expect(err.status).toBe(400)
      expect(err.message).toContain('kubo-test')
      expect(err.message).toContain('unknown option "pin-roots"')
      expect(calls('dag/import')).toHaveLength(1)
      expect(await recursivelyPinned(siteA.root)).toBe(false)
    })

    it('refuses an incomplete site before sending it: Kubo would wait for the missing block for ever', async () => {
      // The site's blocks without one of them. Kubo's dag/import pins through its online DAG
      // service, so this Kubo (no peers) would wait for the block instead of answering PinErrorMsg.
      let dropped: CID | undefined
      const incomplete = await blocksFromCar(siteA, (block, index) => {
        if (index !== 3) return block.bytes
        dropped = block.cid
        return undefined
      })
      expect(dropped).toBeDefined()
      expect((await incomplete.firstMissing())?.equals(dropped as CID)).toBe(true)

      const started = Date.now()
      const err = await rejection(
        kuboAdapter(withToken(), { retry: FAST }).push(job(siteA, { blocks: incomplete })),
      )
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(err.code).toBe('ERR_HOST_FAILED')
      expect(err.message).toContain('kubo-test')
      expect(err.message).toContain(`could not pin ${siteA.root}`)
      expect(err.message).toContain(`lacks block ${dropped}`)
      expect(err.message).toContain('nothing was sent')
      expect(calls('dag/import')).toHaveLength(0)
      expect(calls('routing/provide')).toHaveLength(0)
      expect(await recursivelyPinned(siteA.root)).toBe(false)
    })

    it('fails at once, without retrying, when Kubo refuses the CAR (a block that does not match its CID)', async () => {
      // The site's blocks with one of them changed (held in memory, so sent as they are).
      let tampered: CID | undefined
      const blocks = await blocksFromCar(siteA, (block, index) => {
        if (index !== 2) return block.bytes
        tampered = block.cid
        const bytes = new Uint8Array(block.bytes)
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff
        return bytes
      })
      expect(tampered).toBeDefined()
      expect(await blocks.firstMissing()).toBeUndefined()

      const err = await rejection(kuboAdapter(withToken(), { retry: FAST }).push(job(siteA, { blocks })))
      expect(err.code).toBe('ERR_HOST_FAILED')
      expect(err.message).toContain('kubo-test')
      expect(err.message).toContain("refused the site's CAR")
      // Kubo's own words (go-car's integrity check in dag import)
      expect(err.message).toMatch(/import failed .*mismatch in content integrity/)
      expect(calls('dag/import').map((r) => r.status)).toEqual([500])
      expect(await recursivelyPinned(siteA.root)).toBe(false)
    })

    it("fails on Kubo's PinErrorMsg (injected: a pin that fails inside Kubo, e.g. a full disk)", async () => {
      proxy.inject('/api/v0/dag/import', {
        status: 200,
        headers: { 'Content-Type': 'application/json', 'X-Chunked-Output': '1' },
        body: `${JSON.stringify({ Root: { Cid: { '/': siteA.root.toString() }, PinErrorMsg: 'no space left on device' } })}\n`,
      })
      const err = await rejection(kuboAdapter(withToken(), { retry: FAST }).push(job(siteA)))
      expect(err.code).toBe('ERR_HOST_FAILED')
      expect(err.message).toContain('kubo-test')
      expect(err.message).toContain(`could not pin ${siteA.root}: no space left on device`)
      expect(calls('dag/import')).toHaveLength(1)
      expect(calls('routing/provide')).toHaveLength(0)
    })

    it('a provide that ends in a DHT query error (injected) is a note, not a failure, and is not retried', async () => {
      proxy.inject('/api/v0/routing/provide', {
        status: 200,
        headers: { 'Content-Type': 'application/json', 'X-Chunked-Output': '1' },
        body: '{"Extra":"failed to find any peer in table","ID":"","Responses":null,"Type":3}\n',
      })
      const outcome = await kuboAdapter(withToken(), { retry: FAST }).push(job(siteA))
      expect(outcome.status).toBe('pinned')
      expect(outcome.detail).toMatch(/not announced to the DHT: failed to find any peer in table/)
      expect(calls('routing/provide')).toHaveLength(1)
      expect(await recursivelyPinned(siteA.root)).toBe(true)
    })
  })
})
