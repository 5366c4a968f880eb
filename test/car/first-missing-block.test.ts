/**
 * firstMissingBlock: whether a CAR holds the whole DAG under a root, on CARs from a real `publish`
 * with blocks taken out, and on a root linking to an identity CID (its bytes are in the CID).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { CarReader, CarWriter } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { firstMissingBlock } from '../../src/car/first-missing-block.js'
import { CODEC_DAG_PB, CODEC_RAW } from '../../src/constants.js'
import { publish } from '../../src/index.js'
import { FIXTURE_SITE, tempDirs } from '../helpers/fs.js'

const dirs = tempDirs()
let car: string
let root: CID
let blocks: Array<{ cid: CID; bytes: Uint8Array }>

/** Writes a CAR with `roots` and `list` to a new file. */
async function writeCarFile(roots: CID[], list: Array<{ cid: CID; bytes: Uint8Array }>): Promise<string> {
  const { writer, out } = CarWriter.create(roots)
  const chunks: Uint8Array[] = []
  const collected = (async () => {
    for await (const chunk of out) chunks.push(chunk)
  })()
  for (const block of list) await writer.put(block)
  await writer.close()
  await collected
  const file = path.join(await dirs.make('car'), 'test.car')
  await fs.writeFile(file, Buffer.concat(chunks))
  return file
}

beforeAll(async () => {
  const out = path.join(await dirs.make('out'), 'site')
  const result = await publish({ dir: FIXTURE_SITE, out, cacheDir: false })
  car = result.car as string
  root = CID.parse(result.root)
  blocks = []
  for await (const block of (await CarReader.fromBytes(await fs.readFile(car))).blocks()) blocks.push(block)
  expect(blocks.length).toBeGreaterThan(4)
})
afterAll(() => dirs.cleanup())

describe('firstMissingBlock', () => {
  it('finds nothing missing in publish’s CAR', async () => {
    expect(await firstMissingBlock(car, root)).toBeUndefined()
  })

  it.each([1, 3, -1])('names the block taken out (index %i)', async (index) => {
    const dropped = blocks.at(index)?.cid as CID
    const file = await writeCarFile(
      [root],
      blocks.filter((block) => !block.cid.equals(dropped)),
    )
    expect((await firstMissingBlock(file, root))?.toString()).toBe(dropped.toString())
  })

  it('names the root when the CAR lacks it, and takes a CIDv0 root for its CIDv1 block', async () => {
    const file = await writeCarFile([root], blocks.slice(1))
    expect((await firstMissingBlock(file, root))?.equals(root)).toBe(true)
    expect(await firstMissingBlock(car, root.toV0())).toBeUndefined()
  })

  it('never counts an identity CID as missing', async () => {
    const inline = CID.createV1(CODEC_RAW, identity.digest(new TextEncoder().encode('inline')))
    const bytes = dagPb.encode(
      dagPb.prepare({ Data: new Uint8Array([8, 1]), Links: [{ Hash: inline, Name: 'a' }] }),
    )
    const dir = CID.createV1(CODEC_DAG_PB, await sha256.digest(bytes))
    const file = await writeCarFile([dir], [{ cid: dir, bytes }])
    expect(await firstMissingBlock(file, dir)).toBeUndefined()
  })
})
