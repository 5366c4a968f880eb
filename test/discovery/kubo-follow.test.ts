/**
 * The Kubo route for volunteers (issue 16): a real Kubo 0.43 daemon (`test` profile: loopback only,
 * no bootstrap, no mDNS; telemetry off) follows a site through the sidecar (`startKuboFollow`, what
 * `p2pcdn host kubo-session --follow` runs), given the name and a `p2pcdn host`'s URL only. The host
 * gets each version by CAR upload and its record by `PUT /routing/v1/ipns`; Kubo resolves the name
 * (`name resolve`, and `/routing/v1/ipns` on its gateway) to each new root, holds its pin (named
 * `follow:<name>`), keeps the previous root for the grace period and then unpins it, refuses another
 * key's record and an older one, and a restarted sidecar continues from Kubo's pins.
 */
import '../../src/utils/promise-with-resolvers.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { CID } from 'multiformats/cid'
import { afterAll, describe, expect, it } from 'vitest'
import { type KuboFollow, startKuboFollow } from '../../src/discovery/kubo-follow.js'
import { ipnsNameOf } from '../../src/ipns/site-record.js'
import { push, putRecord, recordServer, sign, siteVersion } from '../helpers/follow.js'
import { tempDirs } from '../helpers/fs.js'
import { eventually, startTestHost } from '../helpers/host.js'
import { type KuboDaemon, startKubo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'

const INTERVAL = 500
const GRACE = 4_000
const dirs = tempDirs()
const cleanups: Array<() => Promise<unknown>> = []

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  await dirs.cleanup()
})

async function rpcJson<T>(daemon: KuboDaemon, command: string, params: Array<[string, string]>): Promise<T> {
  const res = await daemon.rpc(command, params)
  const text = await res.text()
  if (!res.ok) throw new Error(`${command}: HTTP ${res.status} ${text}`)
  return JSON.parse(text) as T
}

/** What Kubo resolves the name to (`ipfs name resolve`), or undefined. */
async function resolved(daemon: KuboDaemon, name: string): Promise<string | undefined> {
  const res = await daemon.rpc('name/resolve', [
    ['arg', `/ipns/${name}`],
    ['nocache', 'true'],
  ])
  if (!res.ok) return undefined
  return ((await res.json()) as { Path?: string }).Path
}

async function pinNames(daemon: KuboDaemon): Promise<Record<string, string>> {
  const { Keys } = await rpcJson<{ Keys: Record<string, { Name: string }> }>(daemon, 'pin/ls', [
    ['type', 'recursive'],
    ['names', 'true'],
  ])
  return Object.fromEntries(Object.entries(Keys).map(([cid, { Name }]) => [cid, Name]))
}

/** Kubo prints CIDv1 roots as it got them; compare as strings of the same CID. */
const same = (a: string | undefined, root: CID) => a === `/ipfs/${root}`

describe.skipIf(kubo.skip)(kubo.title('a Kubo node follows a site through the sidecar'), () => {
  it('resolves and pins each new version with no push, unpins the previous one after the grace period, refuses bad records, resumes after a restart', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const v1 = await siteVersion({ 'index.html': '<h1>kubo version 1</h1>', 'app.js': 'shared()' })
    const v2 = await siteVersion({ 'index.html': '<h1>kubo version 2</h1>', 'app.js': 'shared()' })
    const { host, auth } = await startTestHost(await dirs.make('publisher'))
    cleanups.push(() => host.stop())
    await push(host, auth, v1.car)
    expect((await putRecord(host.url, name, (await sign(key, v1.root, 1n)).bytes, auth)).status).toBe(200)

    const daemon = await startKubo()
    cleanups.push(async () => {
      await daemon.stop()
      await daemon.repo.remove()
    })
    const other = await generateKeyPair('Ed25519')
    const forged = await recordServer((await sign(other, v2.root, 99n)).bytes, cleanups)
    const stale = await recordServer((await sign(key, v1.root, 1n)).bytes, cleanups)
    const options = { api: daemon.api, names: [name], from: [host.url], intervalMs: INTERVAL, graceMs: GRACE }
    let follow: KuboFollow = await startKuboFollow(options)
    cleanups.push(() => follow.stop())

    await eventually(
      async () => (same(await resolved(daemon, name), v1.root) ? true : undefined),
      30_000,
      'Kubo to resolve the name to version 1',
    )
    expect((await pinNames(daemon))[v1.root.toString()]).toBe(`follow:${name}`)
    // Kubo has the whole site: its gateway serves it offline.
    const page = await fetch(`${daemon.gateway}/ipfs/${v1.root}/index.html`, {
      signal: AbortSignal.timeout(10_000),
    })
    expect(await page.text()).toContain('kubo version 1')

    // Version 2, pushed to the host only.
    await push(host, auth, v2.car)
    expect((await putRecord(host.url, name, (await sign(key, v2.root, 2n)).bytes, auth)).status).toBe(200)
    await eventually(
      async () => (same(await resolved(daemon, name), v2.root) ? true : undefined),
      20_000,
      'Kubo to resolve the name to version 2',
    )
    // Several checks later, still within the grace period, version 1 is still pinned.
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL))
    const pins = await pinNames(daemon)
    expect(pins[v2.root.toString()]).toBe(`follow:${name}`)
    expect(pins[v1.root.toString()]).toMatch(new RegExp(`^follow:${name}:until:`))
    // Kubo's gateway answers Delegated Routing for the name with the record (IPIP-379).
    const routed = await fetch(`${daemon.gateway}/routing/v1/ipns/${name}`, {
      headers: { Accept: 'application/vnd.ipfs.ipns-record' },
    })
    expect(routed.status).toBe(200)

    // A restarted sidecar, now also given a lying host and a stale one: it continues at version 2.
    await follow.stop()
    follow = await startKuboFollow({ ...options, from: [forged, host.url, stale] })
    const refused = await eventually(
      async () => {
        const site = follow.status()[0]
        return site && site.refused >= 2 ? site : undefined
      },
      15_000,
      'the sidecar to refuse the two records',
    )
    expect(refused.root).toBe(v2.root.toString())
    expect(refused.lastError?.message).toMatch(/older/)
    expect(refused.lastError?.message).toMatch(/signature|not signed/)
    expect(same(await resolved(daemon, name), v2.root)).toBe(true)
    // After the grace period (its end kept in Kubo's pin name across the restart) version 1 goes.
    await eventually(
      async () => ((await pinNames(daemon))[v1.root.toString()] === undefined ? true : undefined),
      GRACE + 10_000,
      'Kubo to unpin version 1',
    )
    expect((await pinNames(daemon))[v2.root.toString()]).toBe(`follow:${name}`)
  }, 120_000)
})
