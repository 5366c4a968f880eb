/**
 * Volunteers that follow a site (issue 16): real hosts on 127.0.0.1 (`startHost`, what `p2pcdn host`
 * runs). Publisher host A gets each version by CAR upload and its IPNS record by `PUT
 * /routing/v1/ipns/{name}` (records signed here with a generated Ed25519 key); follower B is only
 * given the name and A's URL, is never pushed to, and serves each version within its check interval
 * plus the fetch; keeps the previous version pinned for the grace period, then unpins it; refuses
 * a record signed by another key and one with a lower sequence; continues from its persisted state
 * after a restart; and `host status` shows the followed site. A follower with no `followFrom`
 * finds the record and the content through the DHT (A as its bootstrap peer), and A then lists it
 * among the root's providers; with no gateway serving CARs, a follower fetches over bitswap.
 */
import '../../src/utils/promise-with-resolvers.js'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { withHostConfig } from '../../cli/commands/host.js'
import { createProgram, runCli } from '../../cli/run-cli.js'
import {
  type FollowedSite,
  HOST_CONFIG_KEYS,
  loadHostConfig,
  type RunningHost,
  repoStatus,
} from '../../src/host/index.js'
import { ipnsNameOf } from '../../src/ipns/site-record.js'
import { push, putRecord, recordServer, served, sign, siteVersion } from '../helpers/follow.js'
import { tempDirs } from '../helpers/fs.js'
import { eventually, startTestHost } from '../helpers/host.js'

const INTERVAL = 500
const GRACE = 4_000
const dirs = tempDirs()
const cleanups: Array<() => Promise<unknown>> = []

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  await dirs.cleanup()
})

const followed = (host: RunningHost): FollowedSite => host.status().follow[0] as FollowedSite

describe('a host that follows a site', () => {
  it('serves each new version with no push, keeps the previous one for the grace period, refuses other keys and older records, and resumes after a restart', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const v1 = await siteVersion({ 'index.html': '<h1>version 1</h1>', 'app.js': 'shared()' })
    const v2 = await siteVersion({ 'index.html': '<h1>version 2</h1>', 'app.js': 'shared()' })

    const { host: a, auth } = await startTestHost(await dirs.make('a'))
    cleanups.push(() => a.stop())
    await push(a, auth, v1.car)
    expect((await putRecord(a.url, name, (await sign(key, v1.root, 1n)).bytes, auth)).status).toBe(200)

    const repoB = await dirs.make('b')
    const options = { follow: [name], followFrom: [a.url], followIntervalMs: INTERVAL, followGraceMs: GRACE }
    let b = (await startTestHost(repoB, options)).host
    cleanups.push(() => b.stop())
    expect(await eventually(() => served(b, v1.root), 15_000, 'B to serve version 1')).toContain('version 1')
    // B holds and serves the record too (IPIP-351), so it can be followed in its turn.
    const record = await fetch(`${b.url}/ipns/${name}?format=ipns-record`)
    expect(record.status).toBe(200)
    expect(followed(b)).toMatchObject({ name, root: v1.root.toString(), sequence: '1', pending: null })

    // Version 2: pushed to A only. B serves it within one interval plus the fetch.
    await push(a, auth, v2.car)
    const published = Date.now()
    expect((await putRecord(a.url, name, (await sign(key, v2.root, 2n)).bytes, auth)).status).toBe(200)
    await eventually(() => served(b, v2.root), 15_000, 'B to serve version 2')
    const lag = Date.now() - published
    expect(lag).toBeLessThan(INTERVAL + 3_000)
    const site = followed(b)
    expect(site).toMatchObject({
      root: v2.root.toString(),
      sequence: '2',
      pending: null,
      lastError: null,
      source: a.url,
    })
    expect(site.lagMs).toBeGreaterThanOrEqual(0)
    expect(site.lagMs).toBeLessThan(3_000)
    // Version 1 stays pinned through the grace period (visitors with its pages still get its assets).
    expect(await b.helia.pins.isPinned(v1.root)).toBe(true)
    // Still there several checks later, within the grace period.
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL))
    expect(await b.helia.pins.isPinned(v1.root)).toBe(true)
    expect(await served(b, v1.root)).toContain('version 1')
    expect(site.retired.map((r) => r.root)).toEqual([v1.root.toString()])

    // A restart during the grace period, now also asked by a host with another key's record and
    // one with an older one: B continues at version 2, refuses both, and still unpins version 1.
    await b.stop()
    const other = await generateKeyPair('Ed25519')
    const forged = await recordServer((await sign(other, v1.root, 99n)).bytes, cleanups)
    const stale = await recordServer((await sign(key, v1.root, 1n)).bytes, cleanups)
    b = (await startTestHost(repoB, { ...options, followFrom: [forged, a.url, stale] })).host
    expect(followed(b)).toMatchObject({ root: v2.root.toString(), sequence: '2' })
    const refusedSite = await eventually(
      async () => (followed(b).refused >= 2 ? followed(b) : undefined),
      10_000,
      'B to refuse the two records',
    )
    expect(refusedSite.lastError?.message).toMatch(/signature|not signed/)
    expect(refusedSite.lastError?.message).toMatch(/older/)
    expect(refusedSite.root).toBe(v2.root.toString())
    expect(await served(b, v2.root)).toContain('version 2')
    await eventually(
      async () => ((await b.helia.pins.isPinned(v1.root)) ? undefined : true),
      GRACE + 5_000,
      'B to unpin version 1 after the grace period',
    )
    expect(await b.helia.pins.isPinned(v2.root)).toBe(true)
    // A's record store refuses the older record too (409), and B's pin of version 2 stays.
    expect((await putRecord(b.url, name, (await sign(key, v1.root, 1n)).bytes, {})).status).toBe(409)
    expect(followed(b).root).toBe(v2.root.toString())

    // `p2pcdn host status --json`: live, then from the repo with the host stopped.
    const live = await statusJson(repoB)
    expect(live.running).toBe(true)
    expect(live.follow[0]).toMatchObject({ name, root: v2.root.toString(), sequence: '2' })
    const text = await statusText(repoB)
    expect(text).toContain(
      `follows   1 site\n          ${name}\n            root ${v2.root} (sequence 2), lag `,
    )
    expect(text).toMatch(/error refused the record from http:\/\/127\.0\.0\.1:\d+ \(signature\)/)
    await b.stop()
    const offline = await repoStatus(repoB)
    expect(offline.running).toBe(false)
    expect((offline as { follow: FollowedSite[] }).follow[0]).toMatchObject({
      name,
      root: v2.root.toString(),
    })
  }, 90_000)

  it('follows with no followFrom: record and content found through its peers (a bootstrap peer’s announced gateway, or the DHT)', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const v1 = await siteVersion({ 'index.html': '<h1>dht version</h1>' })
    const { host: a, auth } = await startTestHost(await dirs.make('dht-a'), { dht: 'lan' })
    cleanups.push(() => a.stop())
    await push(a, auth, v1.car)
    expect((await putRecord(a.url, name, (await sign(key, v1.root, 1n)).bytes, auth)).status).toBe(200)
    const bootstrap = [a.multiaddrs().find((addr) => !addr.includes('/ws')) as string]
    const { host: c } = await startTestHost(await dirs.make('dht-c'), {
      dht: 'lan',
      bootstrap,
      follow: [name],
      followIntervalMs: INTERVAL,
    })
    cleanups.push(() => c.stop())
    expect(await eventually(() => served(c, v1.root), 30_000, 'C to serve the site')).toContain('dht version')
    // Found from A's announced gateway (its /http address in C's peer store) or the DHT.
    expect(followed(c)).toMatchObject({ root: v1.root.toString(), sequence: '1' })
    expect([a.url, 'the DHT']).toContain(followed(c).source)
    // The publisher's host now lists the follower among the root's providers, with its gateway
    // address: what visitors' service workers ask it (the follower provides what it pins).
    const listed = await eventually(
      async () => {
        const res = await fetch(`${a.url}/routing/v1/providers/${v1.root}`, {
          headers: { Accept: 'application/json' },
        })
        const body = (await res.json()) as { Providers: Array<{ ID: string; Addrs: string[] }> }
        return body.Providers.find((p) => p.ID === c.peerId)
      },
      30_000,
      'A to list the follower C under the providers of the root',
    )
    expect(listed?.Addrs).toEqual(expect.arrayContaining(c.httpMultiaddrs()))
    expect(c.httpMultiaddrs()[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/http$/)
  }, 90_000)

  it('fetches a new version over bitswap from the providers when no gateway serves it as a CAR', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const v1 = await siteVersion({ 'index.html': '<h1>bitswap version</h1>' })
    const { host: a, auth } = await startTestHost(await dirs.make('bitswap-a'))
    cleanups.push(() => a.stop())
    await push(a, auth, v1.car)
    expect((await putRecord(a.url, name, (await sign(key, v1.root, 1n)).bytes, auth)).status).toBe(200)
    // A stand-in for a host behind a proxy that serves no CARs (a fault A itself cannot be made
    // to show): records and providers pass, without the providers' HTTP gateway addresses.
    const proxy = await carlessProxy(a.url)
    const { host: b } = await startTestHost(await dirs.make('bitswap-b'), {
      follow: [name],
      followFrom: [proxy.url],
      followIntervalMs: INTERVAL,
    })
    cleanups.push(() => b.stop())
    expect(await eventually(() => served(b, v1.root), 30_000, 'B to serve the site')).toContain(
      'bitswap version',
    )
    expect(proxy.refusedCars).toBeGreaterThan(0)
    // The pin is served as soon as it completes; the follower records it at its next look.
    await eventually(
      async () => (followed(b).root === v1.root.toString() ? true : undefined),
      10_000,
      'B to record the root',
    )
    expect(followed(b)).toMatchObject({
      root: v1.root.toString(),
      sequence: '1',
      pending: null,
      lastError: null,
    })
  }, 60_000)

  it('unpins a site taken out of the follow list, every version, at the next start', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const v1 = await siteVersion({ 'index.html': '<h1>unfollowed</h1>' })
    const { host: a, auth } = await startTestHost(await dirs.make('unfollow-a'))
    cleanups.push(() => a.stop())
    await push(a, auth, v1.car)
    expect((await putRecord(a.url, name, (await sign(key, v1.root, 1n)).bytes, auth)).status).toBe(200)
    const repo = await dirs.make('unfollow-b')
    const following = (
      await startTestHost(repo, { follow: [name], followFrom: [a.url], followIntervalMs: INTERVAL })
    ).host
    await eventually(() => served(following, v1.root), 15_000, 'B to serve the site')
    await following.stop()
    // Restarted with nothing to follow: the site is no longer pinned, served or listed.
    const b = (await startTestHost(repo)).host
    cleanups.push(() => b.stop())
    expect(await served(b, v1.root)).toBeUndefined()
    expect(b.status().follow).toEqual([])
    expect(b.status().pins.pinned).toBe(0)
  }, 60_000)
})

describe('the host config file', () => {
  it('refuses a follow entry that is not an IPNS name, and a follow-from that is not a URL, naming the option and the value (exit code 2)', async () => {
    await expect(
      startTestHost(await dirs.make('bad-follow'), { follow: ['bogus-name'] }),
    ).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(/`follow` option must list IPNS names.*"bogus-name"/),
    })
    const name = ipnsNameOf((await generateKeyPair('Ed25519')).publicKey)
    await expect(
      startTestHost(await dirs.make('bad-follow-from'), { follow: [name], followFrom: ['cdn.example.com'] }),
    ).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(
        /`followFrom` option must list the http\(s\) URLs of hosts.*"cdn.example.com"/,
      ),
    })
  })

  it('reads the flags in camelCase, resolves paths from its folder, and names the file and key of an error', async () => {
    const dir = await dirs.make('config')
    const file = `${dir}/host.json`
    const { writeFile } = await import('node:fs/promises')
    await writeFile(
      file,
      JSON.stringify({ follow: 'k51x', followFrom: ['http://a'], followInterval: 5, repo: 'r' }),
    )
    expect(await loadHostConfig(file, true)).toEqual({
      follow: ['k51x'],
      followFrom: ['http://a'],
      followInterval: '5',
      repo: `${dir}/r`,
    })
    await writeFile(file, JSON.stringify({ folow: ['k51x'] }))
    await expect(loadHostConfig(file, true)).rejects.toThrow(/Unknown option `folow` in .*host\.json/)
    await writeFile(file, JSON.stringify({ followInterval: [5] }))
    await expect(loadHostConfig(file, true)).rejects.toThrow(/In .*host\.json, `followInterval` must be/)
    await expect(loadHostConfig(`${dir}/none.json`, true)).rejects.toThrow(/does not exist/)
    expect(await loadHostConfig(`${dir}/none.json`, false)).toEqual({})
  })

  it('has a key for every `p2pcdn host` flag, and no other', () => {
    const run = createProgram()
      .commands.find((c) => c.name() === 'host')
      ?.commands.find((c) => c.name() === 'run')
    const flags = (run?.options ?? [])
      .map((o) => o.attributeName())
      .filter((key) => !['json', 'config', 'noSession'].includes(key))
    expect([...new Set(flags)].sort()).toEqual([...HOST_CONFIG_KEYS].sort())
  })

  it('layers the command line over --config over <repo>/host.json over the defaults', async () => {
    const dir = await dirs.make('layers')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(
      `${dir}/host.json`,
      JSON.stringify({ follow: ['from-repo'], followGrace: 60, http: '0.0.0.0:1' }),
    )
    await writeFile(
      `${dir}/given.json`,
      JSON.stringify({ repo: '.', followFrom: 'http://b', http: '0.0.0.0:2' }),
    )
    const source = (cli: string[]) => ({
      getOptionValueSource: (key: string) => (cli.includes(key) ? 'cli' : 'default'),
    })
    const flags = await withHostConfig(
      { http: '127.0.0.1:4080', dht: 'lan', config: `${dir}/given.json`, followGrace: '5' },
      source(['config', 'followGrace']),
    )
    expect(flags).toMatchObject({
      repo: dir,
      http: '0.0.0.0:2',
      dht: 'lan',
      follow: ['from-repo'],
      followFrom: ['http://b'],
      followGrace: '5',
    })
  })
})

/** `p2pcdn host status --json --repo <repo>`, in this process. */
async function statusJson(repo: string): Promise<{ running: boolean; follow: FollowedSite[] }> {
  return JSON.parse(await statusText(repo, ['--json']))
}

/** `p2pcdn host status --repo <repo> [flags]`'s stdout, in this process. */
async function statusText(repo: string, flags: string[] = []): Promise<string> {
  const out: string[] = []
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk))
    return true
  })
  try {
    await runCli(['node', 'p2pcdn', 'host', 'status', ...flags, '--repo', repo])
  } finally {
    spy.mockRestore()
  }
  return out.join('')
}

/** A proxy to `target` that refuses CAR requests and strips HTTP addresses from providers answers. */
async function carlessProxy(target: string): Promise<{ url: string; refusedCars: number }> {
  const state = { url: '', refusedCars: 0 }
  const server = http.createServer(async (req, res) => {
    const path = req.url ?? '/'
    if (/format=car/.test(path) || /application\/vnd\.ipld\.car/.test(req.headers.accept ?? '')) {
      state.refusedCars++
      res.writeHead(502).end()
      return
    }
    const upstream = await fetch(`${target}${path}`, {
      headers: req.headers.accept ? { Accept: req.headers.accept } : {},
    })
    let body = Buffer.from(await upstream.arrayBuffer())
    if (path.startsWith('/routing/v1/providers/') && upstream.ok) {
      const answer = JSON.parse(body.toString()) as { Providers: Array<{ Addrs: string[] }> }
      for (const provider of answer.Providers)
        provider.Addrs = provider.Addrs.filter((a) => !a.endsWith('/http'))
      body = Buffer.from(JSON.stringify(answer))
    }
    res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? '' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(resolve)))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}
