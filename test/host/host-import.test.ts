/**
 * `p2pcdn host import <car...>`: CARs loaded into a host repo are served by a host started on it.
 * A whole UnixFS DAG is pinned with its root; a CAR holding part of a DAG, or blocks of other codecs
 * (what the IPFS gateway-conformance fixtures hold), has each block pinned alone, so every block is
 * servable as `?format=raw`. A block that does not match its CID refuses the CAR, naming it.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { CarReader } from '@ipld/car'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, describe, expect, it } from 'vitest'
import { importCars } from '../../src/host/index.js'
import { publish } from '../../src/index.js'
import { carBytes } from '../helpers/car.js'
import { runCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

async function writeCar(
  file: string,
  roots: CID[],
  blocks: { cid: CID; bytes: Uint8Array }[],
): Promise<void> {
  await fs.writeFile(file, await carBytes(roots, blocks))
}

async function publishedSite(label: string, text: string) {
  const dir = await dirs.make(`${label}-in`)
  await fs.writeFile(path.join(dir, 'index.html'), `<!doctype html><p>${text}</p>`)
  await fs.writeFile(path.join(dir, 'big.bin'), Buffer.alloc(2 * 1024 * 1024 + 5, text))
  const out = path.join(await dirs.make(`${label}-out`), 'site')
  const result = await publish({ dir, out, cacheDir: false, car: true })
  return { root: result.root, car: result.car as string, out }
}

describe('host import', () => {
  it('serves a whole site, every block of a partial DAG, and a dag-cbor block', async () => {
    const whole = await publishedSite('whole', 'whole')
    const partialSite = await publishedSite('partial', 'partial')
    const reader = await CarReader.fromBytes(await fs.readFile(partialSite.car))
    const all: { cid: CID; bytes: Uint8Array }[] = []
    for await (const block of reader.blocks()) all.push(block)
    const kept = all.filter((_, i) => i !== all.length - 1) // drop one leaf
    const partialCar = path.join(await dirs.make('partial-car'), 'partial.car')
    await writeCar(partialCar, await reader.getRoots(), kept)
    const cborBytes = dagCbor.encode({ hello: 'conformance', n: 1 })
    const cborCid = CID.create(1, dagCbor.code, await sha256.digest(cborBytes))
    const cborCar = path.join(await dirs.make('cbor-car'), 'cbor.car')
    await writeCar(cborCar, [cborCid], [{ cid: cborCid, bytes: cborBytes }])

    const repo = await dirs.make('import-repo')
    // A repo made by a host first (start and stop one), as an operator's would be.
    const first = await startTestHost(repo)
    await first.host.stop()
    const results = await importCars(repo, [whole.car, partialCar, cborCar])
    expect(results[0]).toMatchObject({ pinnedRoots: [whole.root], partialRoots: [], directPins: 0 })
    expect(results[1]).toMatchObject({
      pinnedRoots: [],
      partialRoots: [partialSite.root],
      directPins: kept.length,
    })
    expect(results[2]).toMatchObject({ pinnedRoots: [], partialRoots: [cborCid.toString()], directPins: 1 })

    const { host } = await startTestHost(repo)
    try {
      const big = await fetch(`${host.url}/ipfs/${whole.root}/big.bin`)
      expect(big.status).toBe(200)
      expect(
        Buffer.from(await big.arrayBuffer()).equals(await fs.readFile(path.join(whole.out, 'big.bin'))),
      ).toBe(true)
      for (const block of kept) {
        const raw = await fetch(`${host.url}/ipfs/${block.cid}?format=raw`)
        expect(raw.status, String(block.cid)).toBe(200)
        expect(Buffer.from(await raw.arrayBuffer()).equals(Buffer.from(block.bytes))).toBe(true)
      }
      const missing = all.at(-1) as { cid: CID }
      expect((await fetch(`${host.url}/ipfs/${missing.cid}?format=raw`)).status).toBe(404)
      const cbor = await fetch(`${host.url}/ipfs/${cborCid}?format=raw`)
      expect(cbor.status).toBe(200)
      expect(Buffer.from(await cbor.arrayBuffer()).equals(Buffer.from(cborBytes))).toBe(true)
    } finally {
      await host.stop()
    }
  }, 120_000)

  it('the CLI refuses a tampered CAR naming the file and the block, and a repo in use', async () => {
    const site = await publishedSite('tamper', 'tamper')
    const bytes = await fs.readFile(site.car)
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff
    const tampered = path.join(await dirs.make('tampered'), 'tampered.car')
    await fs.writeFile(tampered, bytes)
    const repo = await dirs.make('tamper-repo')
    const refused = await runCli(['host', 'import', tampered, '--repo', repo])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain(tampered)
    expect(refused.stderr).toContain('does not match its CID')
    expect(refused.stderr).not.toMatch(/\n\s+at /)

    const ok = await runCli(['host', 'import', site.car, '--repo', repo, '--json'])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ roots: [site.root], pinnedRoots: [site.root] })

    const { host } = await startTestHost(repo)
    try {
      const busy = await runCli(['host', 'import', site.car, '--repo', repo])
      expect(busy.code).toBe(2)
      expect(busy.stderr).toMatch(/in use|locked|running/i)
    } finally {
      await host.stop()
    }
  }, 120_000)
})
