/**
 * Helpers of the follow tests (test/host/follow.test.ts, test/discovery/kubo-follow.test.ts): site
 * versions as UnixFS CARs, pushing one to a host, signing and PUTting its IPNS record, and a
 * stand-in host that serves a given record (a lying or stale one).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PrivateKey } from '@libp2p/interface'
import { importer } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'
import { expect } from 'vitest'
import { CAR_UPLOAD_PATH, type RunningHost } from '../../src/host/index.js'
import { createSiteRecord } from '../../src/ipns/site-record.js'
import { carBytes } from './car.js'

export const RECORD = 'application/vnd.ipfs.ipns-record'

/** A site version: a folder of files as UnixFS, and its CAR. */
export async function siteVersion(files: Record<string, string>): Promise<{ root: CID; car: Uint8Array }> {
  const blocks = new Map<string, { cid: CID; bytes: Uint8Array }>()
  const store = {
    put: async (cid: CID, bytes: Uint8Array) => {
      blocks.set(cid.toString(), { cid, bytes })
      return cid
    },
    has: async (cid: CID) => blocks.has(cid.toString()),
  }
  let root: CID | undefined
  const entries = Object.entries(files).map(([path, text]) => ({
    path: `site/${path}`,
    content: new TextEncoder().encode(text),
  }))
  for await (const entry of importer(entries, store as never, { cidVersion: 1, rawLeaves: true })) {
    if (entry.path === 'site') root = entry.cid
  }
  if (!root) throw new Error('no root')
  return { root, car: new Uint8Array(await carBytes([root], blocks.values())) }
}

export async function push(host: RunningHost, auth: Record<string, string>, car: Uint8Array) {
  const res = await fetch(`${host.url}${CAR_UPLOAD_PATH}?name=site`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/vnd.ipld.car' },
    body: new Uint8Array(car),
  })
  expect(res.status).toBeLessThan(300)
}

export async function putRecord(url: string, name: string, bytes: Uint8Array, auth: Record<string, string>) {
  return fetch(`${url}/routing/v1/ipns/${name}`, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': RECORD },
    body: new Uint8Array(bytes),
  })
}

export const sign = (key: PrivateKey, root: CID, sequence: bigint) =>
  createSiteRecord(key, root, { sequence, lifetimeMs: 3_600_000, ttlMs: 1_000 })

/** The text B serves at /ipfs/<root>/index.html, or undefined while it does not. */
export async function served(host: RunningHost | string, root: CID): Promise<string | undefined> {
  const res = await fetch(`${typeof host === 'string' ? host : host.url}/ipfs/${root}/index.html`)
  if (res.status === 200) return await res.text()
  await res.body?.cancel()
  return undefined
}

/** A stand-in host that answers every record request with `bytes` (a lying or stale host). */
export async function recordServer(
  bytes: Uint8Array,
  cleanups: Array<() => Promise<unknown>>,
): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/routing/v1/ipns/')) res.writeHead(200, { 'Content-Type': RECORD }).end(bytes)
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
