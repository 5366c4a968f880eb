/**
 * A site's IPNS record and a real Kubo (test profile, 127.0.0.1 only, no bootstrap, no AutoConf):
 * - Kubo accepts a record made by `createSiteRecord` (`ipfs routing put --allow-offline`), resolves
 *   the name to the site's root (`ipfs name resolve`), and serves the same bytes on its gateway port
 *   (`GET /routing/v1/ipns/<name>`, `Gateway.ExposeRoutingAPI`); a `p2pcdn host` takes Kubo's copy.
 * - A Kubo whose only router is a `p2pcdn host` (`Routing.Type=delegated`,
 *   `Routing.DelegatedRouters=[<host URL>]`) resolves the name through the host's
 *   `/routing/v1/ipns/<name>`, and serves the record on its own gateway port; it finds the host as
 *   the provider of a CID the host pins (`ipfs routing findprovs`, the host's `/routing/v1/providers`),
 *   and its gateway port's `/routing/v1/providers` gives the visitor's worker the host's gateway URL.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CAR_UPLOAD_PATH, type RunningHost } from '../../src/host/index.js'
import { createSiteRecord, ipnsNameOf, type SiteRecord } from '../../src/ipns/site-record.js'
import { askRouter } from '../../src/runtime/sw/probe.js'
import { carBytes } from '../helpers/car.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'
import { type KuboDaemon, startKubo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'

const RECORD_TYPE = 'application/vnd.ipfs.ipns-record'
const dirs = tempDirs()

/** A CIDv1 raw of some bytes: a record's root need not be fetchable for naming tests. */
async function someRoot(text: string): Promise<CID> {
  return CID.createV1(0x55, await sha256.digest(new TextEncoder().encode(text)))
}

async function siteRecord(key: PrivateKey, root: CID, sequence: bigint): Promise<SiteRecord> {
  return createSiteRecord(key, root, { sequence, lifetimeMs: 24 * 3_600_000, ttlMs: 60_000 })
}

describe.skipIf(kubo.skip)(kubo.title("Kubo and a site's IPNS record"), () => {
  let host: RunningHost
  let auth: Record<string, string>
  let plain: KuboDaemon
  let delegated: KuboDaemon

  beforeAll(async () => {
    ;({ host, auth } = await startTestHost(await dirs.make('kubo-ipns-host')))
    plain = await startKubo()
    delegated = await startKubo({
      configure: async (repo) => {
        await repo.config('Routing.Type', 'delegated')
        await repo.config('Routing.DelegatedRouters', [host.url])
        // Kubo refuses to start a delegated-only node that would provide (no DHT to provide to).
        await repo.config('Provide.Enabled', false)
      },
    })
  }, 120_000)

  afterAll(async () => {
    for (const daemon of [delegated, plain]) {
      await daemon?.stop()
      await daemon?.repo.remove()
    }
    await host?.stop()
    await dirs.cleanup()
  })

  it('accepts the record (routing put), resolves the name, serves it on /routing/v1; a host takes its copy', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const root = await someRoot('kubo routing put')
    const record = await siteRecord(key, root, 7n)
    const file = path.join(await dirs.make('kubo-ipns-record'), 'record.ipns-record')
    await fs.writeFile(file, record.bytes)

    await plain.repo.ipfs(['routing', 'put', '--allow-offline', `/ipns/${name}`, file])
    expect((await plain.repo.ipfs(['name', 'resolve', name])).trim()).toBe(`/ipfs/${root}`)
    const got = await plain.repo.ipfsBytes(['routing', 'get', `/ipns/${name}`])
    expect(Buffer.compare(got, Buffer.from(record.bytes))).toBe(0)

    const res = await fetch(`${plain.gateway}/routing/v1/ipns/${name}`, { headers: { Accept: RECORD_TYPE } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain(RECORD_TYPE)
    const served = new Uint8Array(await res.arrayBuffer())
    expect(Buffer.compare(Buffer.from(served), Buffer.from(record.bytes))).toBe(0)

    // The bytes Kubo serves are a record a p2pcdn host accepts and serves again.
    const put = await fetch(`${host.url}/routing/v1/ipns/${name}`, {
      method: 'PUT',
      headers: { ...auth, 'Content-Type': RECORD_TYPE },
      body: served,
    })
    expect(put.status, await put.clone().text()).toBe(200)
    expect((await host.ipns.get(name))?.root.toString()).toBe(root.toString())

    // A record signed by another key, or with a lower sequence, does not replace it in Kubo either
    // (its offline `routing put` exits 0 and keeps the valid, highest record).
    const forged = await siteRecord(await generateKeyPair('Ed25519'), await someRoot('forged'), 8n)
    const older = await siteRecord(key, await someRoot('older'), 6n)
    for (const bad of [forged, older]) {
      await fs.writeFile(file, bad.bytes)
      await plain.repo.ipfs(['routing', 'put', '--allow-offline', `/ipns/${name}`, file]).catch(() => '')
      expect((await plain.repo.ipfs(['name', 'resolve', name])).trim()).toBe(`/ipfs/${root}`)
    }
  }, 60_000)

  it("a Kubo whose only router is the host resolves the name through the host's /routing/v1/ipns", async () => {
    const key = await generateKeyPair('Ed25519')
    const name = ipnsNameOf(key.publicKey)
    const root = await someRoot('kubo delegated')
    // Before the host holds a record, Kubo cannot resolve the name.
    await expect(delegated.repo.ipfs(['name', 'resolve', '--timeout=10s', name])).rejects.toThrow()

    const record = await siteRecord(key, root, 1n)
    const put = await fetch(`${host.url}/routing/v1/ipns/${name}`, {
      method: 'PUT',
      headers: { ...auth, 'Content-Type': RECORD_TYPE },
      body: new Uint8Array(record.bytes),
    })
    expect(put.status).toBe(200)
    expect((await delegated.repo.ipfs(['name', 'resolve', '--nocache', name])).trim()).toBe(`/ipfs/${root}`)

    const res = await fetch(`${delegated.gateway}/routing/v1/ipns/${name}`, {
      headers: { Accept: RECORD_TYPE },
    })
    expect(res.status).toBe(200)
    const served = Buffer.from(await res.arrayBuffer())
    expect(Buffer.compare(served, Buffer.from(record.bytes))).toBe(0)

    // A newer version on the host is what Kubo resolves next (no cache between them).
    const newer = await siteRecord(key, await someRoot('kubo delegated v2'), 2n)
    expect(
      (
        await fetch(`${host.url}/routing/v1/ipns/${name}`, {
          method: 'PUT',
          headers: { 'Content-Type': RECORD_TYPE },
          body: new Uint8Array(newer.bytes),
        })
      ).status,
    ).toBe(200)
    expect((await delegated.repo.ipfs(['name', 'resolve', '--nocache', name])).trim()).toBe(
      `/ipfs/${newer.root}`,
    )
  }, 90_000)

  it("the delegated Kubo finds the host as a provider of what it pins (the host's /routing/v1/providers)", async () => {
    const bytes = new TextEncoder().encode(`a block pinned on the host ${Date.now()}`)
    const cid = CID.createV1(0x55, await sha256.digest(bytes))
    const upload = await fetch(`${host.url}${CAR_UPLOAD_PATH}`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/vnd.ipld.car' },
      body: new Uint8Array(await carBytes([cid], [{ cid, bytes }])),
    })
    expect(upload.status).toBe(201)
    const found = await delegated.repo.ipfs(['routing', 'findprovs', '--num-providers=1', cid.toString()])
    expect(found.trim().split('\n')).toEqual([host.peerId])
    const nobody = CID.createV1(0x55, await sha256.digest(new TextEncoder().encode('nobody has this')))
    expect(
      (await delegated.repo.ipfs(['routing', 'findprovs', '--num-providers=1', nobody.toString()])).trim(),
    ).toBe('')
    // The visitor's worker can use this Kubo as its router: Kubo's gateway port answers
    // /routing/v1/providers, and the worker reads the host's gateway URL out of it.
    const hints = await askRouter(fetch, delegated.gateway, cid.toString(), 10_000)
    expect(hints.map((hint) => hint.peer)).toEqual([host.peerId])
    expect(hints[0]?.urls).toEqual([host.url])
  }, 60_000)
})
