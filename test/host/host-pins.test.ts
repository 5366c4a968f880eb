/**
 * The host's batched pins (src/host/host-pins.ts) on a real host on 127.0.0.1: a CAR upload that
 * replaces the previous version of a site moves the pin counts only for the blocks that differ,
 * keeps the shared blocks pinned, survives a restart and leaves `gc` exactly the old blocks; a bad
 * block in a replacing upload changes nothing; a repo pinned by Helia's own `pins.add` (earlier
 * versions of the host) opens and is replaced correctly.
 */
import '../../src/utils/promise-with-resolvers.js'
import { MemoryBlockstore } from 'blockstore-core/memory'
import * as cborg from 'cborg'
import { createHeliaLight } from 'helia'
import { Key } from 'interface-datastore'
import { importer } from 'ipfs-unixfs-importer'
import { base36 as multiformatsBase36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { afterAll, describe, expect, it } from 'vitest'
import { base36, pinnedBlockKey } from '../../src/host/host-pins.js'
import { CAR_UPLOAD_PATH, gcRepo, type PinStatus } from '../../src/host/index.js'
import { openRepo } from '../../src/host/repo.js'
import { carBytes } from '../helpers/car.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

interface Site {
  root: CID
  /** Every block, by CID string. */
  blocks: Map<string, { cid: CID; bytes: Uint8Array }>
}

/** A UnixFS site of `files` small files (raw leaves), one of them with `changed` bytes. */
async function makeSite(files: number, changed = 0): Promise<Site> {
  // Every block as the importer writes it (a MemoryBlockstore's listing would give raw CIDs).
  const blocks = new Map<string, { cid: CID; bytes: Uint8Array }>()
  const store = new MemoryBlockstore()
  const recording = {
    put: async (cid: CID, bytes: Uint8Array) => {
      blocks.set(cid.toString(), { cid, bytes })
      return store.put(cid, bytes)
    },
    has: (cid: CID) => store.has(cid),
  }
  const entries = Array.from({ length: files }, (_, i) => ({
    path: `site/assets/file-${i}.txt`,
    content: new TextEncoder().encode(`file ${i} ${i === 7 ? `version ${changed}` : ''}`.padEnd(2000, '.')),
  }))
  let root: CID | undefined
  for await (const entry of importer(entries, recording as never, { cidVersion: 1, rawLeaves: true })) {
    if (entry.path === 'site') root = entry.cid
  }
  return { root: root as CID, blocks }
}

async function carOf(root: CID, blocks: Iterable<{ cid: CID; bytes: Uint8Array }>): Promise<Uint8Array> {
  return carBytes([root], blocks)
}

async function upload(url: string, auth: Record<string, string>, car: Uint8Array, query = '') {
  const res = await fetch(`${url}${CAR_UPLOAD_PATH}${query}`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/vnd.ipld.car' },
    body: new Uint8Array(car),
  })
  return { status: res.status, body: (await res.json()) as { pins: PinStatus[]; error?: { reason: string } } }
}

/** The blocks of `a` that are not in `b`. */
const only = (a: Site, b: Site) => [...a.blocks.values()].filter(({ cid }) => !b.blocks.has(cid.toString()))

type Db = Awaited<ReturnType<typeof openRepo>>['datastore']

/** A block's Helia pin count (0 when it has no record). */
async function pinCount(datastore: Db, cid: CID): Promise<number> {
  const key = new Key(pinnedBlockKey(cid))
  if (!(await datastore.has(key))) return 0
  return (cborg.decode(await datastore.get(key)) as { pinCount: number }).pinCount
}

describe('host pins', () => {
  it('writes the keys multiformats base36 writes (leading zero bytes included)', () => {
    for (const bytes of [
      new Uint8Array([0x12, 0x20, ...Array.from({ length: 32 }, (_, i) => (i * 37) % 256)]),
      new Uint8Array([0, 0, 5, 255]),
      new Uint8Array([0, 0]),
      new Uint8Array([]),
      CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy').multihash.bytes,
    ]) {
      expect(base36(bytes)).toBe(multiformatsBase36.encode(bytes))
    }
  })

  it('a replace pins the new version against the old: shared blocks stay pinned once, only the old ones are unpinned, across a restart', async () => {
    const repo = await dirs.make('replace')
    const v1 = await makeSite(40, 1)
    const v2 = await makeSite(40, 2)
    const gone = only(v1, v2)
    const added = only(v2, v1)
    expect(gone.length).toBeGreaterThan(0)
    let { host, auth } = await startTestHost(repo)
    try {
      const first = await upload(host.url, auth, await carOf(v1.root, v1.blocks.values()))
      expect(first.status).toBe(201)
      // The client sends only what the host lacks: the changed file and the folders above it.
      const second = await upload(
        host.url,
        auth,
        await carOf(v2.root, added),
        `?replace=${first.body.pins[0]?.requestid}`,
      )
      expect(second.status).toBe(201)
      expect(host.pins.counts()).toMatchObject({ pinned: 1 })
    } finally {
      await host.stop()
    }
    ;({ host, auth } = await startTestHost(repo))
    try {
      expect(await host.helia.pins.isPinned(v2.root)).toBe(true)
      for (const { cid } of v2.blocks.values()) expect(await pinCount(host.repo.datastore, cid)).toBe(1)
      for (const { cid } of gone) expect(await pinCount(host.repo.datastore, cid)).toBe(0)
      expect((await fetch(`${host.url}/ipfs/${v1.root}?format=raw`)).status).toBe(404)
      expect((await fetch(`${host.url}/ipfs/${v2.root}?format=raw`)).status).toBe(200)
    } finally {
      await host.stop()
    }
    // gc takes exactly the old version's own blocks.
    expect((await gcRepo(repo)).removed).toBe(gone.length)
  })

  it('a replacing upload with a bad block changes nothing: the old pin and its request stay', async () => {
    const repo = await dirs.make('bad-replace')
    const v1 = await makeSite(10, 1)
    const v2 = await makeSite(10, 2)
    const { host, auth } = await startTestHost(repo)
    try {
      const first = await upload(host.url, auth, await carOf(v1.root, v1.blocks.values()))
      const requestid = first.body.pins[0]?.requestid as string
      const bad = only(v2, v1).map(({ cid, bytes }, i) => ({
        cid,
        bytes: i === 0 ? new Uint8Array([...bytes.subarray(0, -1), (bytes.at(-1) ?? 0) ^ 1]) : bytes,
      }))
      const second = await upload(host.url, auth, await carOf(v2.root, bad), `?replace=${requestid}`)
      expect(second.status).toBe(400)
      expect(second.body.error?.reason).toBe('BAD_BLOCK')
      expect((await fetch(`${host.url}/pins/${requestid}`, { headers: auth })).status).toBe(200)
      expect(host.pins.counts()).toMatchObject({ pinned: 1 })
      expect(await host.helia.pins.isPinned(v1.root)).toBe(true)
      expect(await host.helia.pins.isPinned(v2.root)).toBe(false)
      for (const { cid } of only(v2, v1)) expect(await host.repo.blockstore.has(cid)).toBe(false)
      for (const { cid } of v1.blocks.values()) expect(await pinCount(host.repo.datastore, cid)).toBe(1)
    } finally {
      await host.stop()
    }
  })

  it('opens a repo pinned by Helia’s own pins.add, and replaces that pin correctly', async () => {
    const repo = await dirs.make('helia-pinned')
    const v1 = await makeSite(20, 1)
    const v2 = await makeSite(20, 2)
    // What earlier versions of the host wrote: blocks in the store, Helia's per-block pin records.
    const old = await openRepo(repo)
    const helia = createHeliaLight({ blockstore: old.blockstore, datastore: old.datastore })
    await helia.start()
    for (const { cid, bytes } of v1.blocks.values()) await old.blockstore.put(cid, bytes)
    for await (const _ of helia.pins.add(v1.root)) {
      // drain
    }
    await helia.stop()
    await old.close()

    const { host, auth } = await startTestHost(repo)
    try {
      expect((await fetch(`${host.url}/ipfs/${v1.root}?format=raw`)).status).toBe(200)
      // Pinned again by an upload (a request for it), then replaced by v2.
      const first = await upload(host.url, auth, await carOf(v1.root, []))
      expect(first.status).toBe(201)
      const second = await upload(
        host.url,
        auth,
        await carOf(v2.root, only(v2, v1)),
        `?replace=${first.body.pins[0]?.requestid}`,
      )
      expect(second.status).toBe(201)
      for (const { cid } of v2.blocks.values()) expect(await pinCount(host.repo.datastore, cid)).toBe(1)
      for (const { cid } of only(v1, v2)) expect(await pinCount(host.repo.datastore, cid)).toBe(0)
    } finally {
      await host.stop()
    }
  })
})
