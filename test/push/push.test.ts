/**
 * Pushing a published site to real `p2pcdn host` nodes on 127.0.0.1 (the CAR fast path and the
 * Pinning Service API path), with faults injected by a proxy: a host that is down, a slow one, one
 * that answers 500 and then recovers. Replication, the per-host results, re-publish sending only
 * what changed, and tokens never showing in errors.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningHost } from '../../src/host/index.js'
import { type HostTarget, openPublishedSite, publish, pushSite } from '../../src/index.js'
import { deadUrl, startFaultProxy } from '../helpers/fault-proxy.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'

const dirs = tempDirs()
const FAST_RETRY = { retries: 4, baseMs: 50, maxMs: 400 }
const LISTEN = ['/ip4/127.0.0.1/tcp/0']
const hosts: Array<{ host: RunningHost; token: string }> = []
const closers: Array<() => Promise<void>> = []
let site: string

async function makeSite(): Promise<string> {
  const dir = await dirs.make('push-site')
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><title>push</title><img src="a.bin">')
  await fs.writeFile(path.join(dir, 'a.bin'), randomBytes(600_000))
  await fs.writeFile(path.join(dir, 'b.bin'), randomBytes(300_000))
  await fs.writeFile(path.join(dir, 'style.css'), 'body { color: red }')
  return dir
}

beforeAll(async () => {
  site = await makeSite()
  for (let i = 0; i < 3; i++) {
    const started = await startTestHost(await dirs.make(`push-host-${i}`))
    hosts.push(started)
    closers.push(() => started.host.stop())
  }
})
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {})
  await dirs.cleanup()
})

/** The published output's blocks, read back from its files, as a push takes them. */
const blocksOf = async (out: string) => (await openPublishedSite(out)).blocks

const target = (i: number, url?: string, type: HostTarget['type'] = 'p2pcdn'): HostTarget => ({
  name: `host-${i}`,
  url: url ?? (hosts[i] as { host: RunningHost }).host.url,
  type,
  tokenEnv: `HOST_${i}_TOKEN`,
  token: (hosts[i] as { token: string }).token,
})

describe('pushSite', () => {
  it('meets replication 2 with one host down, one slow, one answering 500 then recovering', async () => {
    const out = path.join(await dirs.make('out'), 'site')
    const published = await publish({ dir: site, out, cacheDir: false, car: true })
    expect(published.car).toBe(`${out}.car`)
    const blocks = await blocksOf(out)
    const flaky = await startFaultProxy(hosts[0]?.host.url as string, { fail500: 2 })
    const slow = await startFaultProxy(hosts[1]?.host.url as string, { delayMs: 150 })
    closers.push(flaky.close, slow.close)
    const down = await deadUrl()
    const result = await pushSite({
      hosts: [target(0, flaky.url), target(1, slow.url), { ...target(2, down), name: 'host-down' }],
      root: published.root,
      blocks,
      name: 'push-test',
      replication: 2,
      listen: LISTEN,
      retry: FAST_RETRY,
      timeoutMs: 20_000,
    })
    expect(result.replication).toEqual({ required: 2, achieved: 2, met: true })
    expect(result.hosts.map((h) => [h.name, h.status])).toEqual([
      ['host-0', 'pinned'],
      ['host-1', 'pinned'],
      ['host-down', 'failed'],
    ])
    expect(flaky.state.injected).toBe(2) // both 500s were met and retried
    expect(result.hosts[2]?.code).toBe('ERR_HOST_UNREACHABLE')
    expect(result.hosts[2]?.reason).toContain('host-down')
    for (const i of [0, 1]) {
      expect(await hosts[i]?.host.helia.pins.isPinned(CID.parse(published.root))).toBe(true)
    }
    // The CAR went up whole, once per host: bytes sent are about the CAR's size each (the CAR
    // publish wrote when asked, and the one streamed from the files, are the same size).
    const carBytes = (await fs.stat(published.car as string)).size
    expect(await blocks.carBytes()).toBe(carBytes)
    expect(result.hosts[0]?.bytesSent).toBeGreaterThan(carBytes)
    expect(result.hosts[0]?.bytesSent).toBeLessThan(carBytes * 1.5)

    // Replication 3 is not met, and says so.
    const strict = await pushSite({
      hosts: [target(0), { ...target(2, down), name: 'host-down' }],
      root: published.root,
      blocks,
      name: 'push-test',
      listen: LISTEN,
      retry: { retries: 0 },
    })
    expect(strict.replication).toEqual({ required: 2, achieved: 1, met: false })
    expect(strict.hosts[0]?.status).toBe('already-pinned')
  })

  it('re-publish with nothing changed sends nothing; one changed file sends only its new blocks and replaces the pin', async () => {
    const dir = await makeSite()
    const out = path.join(await dirs.make('out'), 'site')
    const first = await publish({ dir, out, cacheDir: false })
    const push = async (root: string) =>
      pushSite({
        hosts: [target(2)],
        root,
        blocks: await blocksOf(out),
        name: 'republish',
        listen: LISTEN,
        retry: FAST_RETRY,
      })
    const initial = await push(first.root)
    expect(initial.hosts[0]?.status).toBe('pinned')

    const again = await publish({ dir, out, cacheDir: false })
    expect(again.root).toBe(first.root)
    const unchanged = await push(again.root)
    expect(unchanged.hosts[0]?.status).toBe('already-pinned')
    expect(unchanged.hosts[0]?.bytesSent).toBeLessThan(2_000) // one small API request, no CAR

    await fs.writeFile(path.join(dir, 'style.css'), 'body { color: blue }')
    const changed = await publish({ dir, out, cacheDir: false })
    const delta = await push(changed.root)
    expect(delta.hosts[0]?.status).toBe('pinned')
    // style.css's block and the root directory: 2 of the site's blocks.
    expect(delta.hosts[0]?.detail).toMatch(/^sent 2 of \d+ blocks$/)
    expect(delta.hosts[0]?.replaced).toBe(first.root)
    expect(delta.hosts[0]?.bytesSent).toBeLessThan(20_000)
    const host = hosts[2]?.host as RunningHost
    expect(await host.helia.pins.isPinned(CID.parse(changed.root))).toBe(true)
    expect(await host.helia.pins.isPinned(CID.parse(first.root))).toBe(false)
  })

  it('pins through the Pinning Service API, the host fetching from the publishing node over bitswap', async () => {
    const dir = await makeSite()
    const out = path.join(await dirs.make('out'), 'site')
    const published = await publish({ dir, out, cacheDir: false })
    const result = await pushSite({
      hosts: [target(1, undefined, 'pinning-service')],
      root: published.root,
      blocks: await blocksOf(out),
      name: 'psa-test',
      listen: LISTEN,
      retry: FAST_RETRY,
      timeoutMs: 30_000,
    })
    expect(result.hosts[0]?.status, result.hosts[0]?.reason).toBe('pinned')
    expect(result.hosts[0]?.bytesSent).toBeLessThan(5_000) // JSON only: the blocks went over bitswap
    const host = hosts[1]?.host as RunningHost
    expect(await host.helia.pins.isPinned(CID.parse(published.root))).toBe(true)
    const served = await fetch(`${host.url}/ipfs/${published.root}/b.bin`)
    expect(Buffer.from(await served.arrayBuffer()).equals(await fs.readFile(path.join(dir, 'b.bin')))).toBe(
      true,
    )
  })

  it('honours Retry-After on 429, and --no-wait counts an accepted pin', async () => {
    const dir = await makeSite()
    const out = path.join(await dirs.make('out'), 'site')
    const published = await publish({ dir, out, cacheDir: false })
    const limited = await startFaultProxy(hosts[2]?.host.url as string, { fail429: 1, retryAfter: '1' })
    closers.push(limited.close)
    const started = performance.now()
    const result = await pushSite({
      hosts: [target(2, limited.url, 'pinning-service')],
      root: published.root,
      blocks: await blocksOf(out),
      name: 'no-wait-test',
      wait: false,
      listen: LISTEN,
      retry: FAST_RETRY, // backoff alone would retry within 400 ms
      timeoutMs: 20_000,
    })
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000)
    expect(limited.state.injected).toBe(1)
    expect(['queued', 'pinned']).toContain(result.hosts[0]?.status)
    expect(result.replication.met).toBe(true)
  })

  it('a wrong token fails that host at once (no retries) with an error naming it, never the token', async () => {
    const out = path.join(await dirs.make('out'), 'site')
    const published = await publish({ dir: site, out, cacheDir: false })
    const secret = 'p2pcdn_this-is-a-wrong-secret-token-value'
    const counting = await startFaultProxy(hosts[0]?.host.url as string, {})
    closers.push(counting.close)
    const result = await pushSite({
      hosts: [{ ...target(0, counting.url), token: secret }],
      root: published.root,
      blocks: await blocksOf(out),
      name: 'auth-test',
      listen: LISTEN,
      retry: FAST_RETRY,
    })
    expect(result.hosts[0]?.status).toBe('failed')
    expect(result.hosts[0]?.code).toBe('ERR_HOST_AUTH')
    expect(result.hosts[0]?.reason).toContain('Host "host-0"')
    expect(result.hosts[0]?.reason).toContain('$HOST_0_TOKEN')
    expect(JSON.stringify(result)).not.toContain(secret)
    expect(counting.state.requests).toBe(1)
  })
})
