import fs from 'node:fs/promises'
import { CarReader, CarWriter } from '@ipld/car'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

/** Reads a CAR file, checks every block against its CID, and returns its roots and blocks. */
export async function readCar(file: string): Promise<{ roots: CID[]; store: MemoryBlockstore; cids: CID[] }> {
  const reader = await CarReader.fromBytes(await fs.readFile(file))
  const store = new MemoryBlockstore()
  const cids: CID[] = []
  for await (const { cid, bytes } of reader.blocks()) {
    const digest = await sha256.digest(bytes)
    if (Buffer.compare(digest.digest, cid.multihash.digest) !== 0)
      throw new Error(`block ${cid} does not match its CID`)
    await store.put(cid, bytes)
    cids.push(cid)
  }
  return { roots: await reader.getRoots(), store, cids }
}

/** The bytes of `/ipfs/<root>/<path>`, read from the blocks alone. */
export async function catFromBlocks(store: MemoryBlockstore, ipfsPath: string): Promise<Buffer> {
  const entry = await exporter(ipfsPath, store)
  if (entry.type !== 'file' && entry.type !== 'raw') throw new Error(`${ipfsPath} is a ${entry.type}`)
  const chunks: Uint8Array[] = []
  for await (const chunk of entry.content()) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** A CARv1's bytes: `roots`, then `blocks` as given (tampered or partial ones included: nothing is checked). */
export async function carBytes(
  roots: CID[],
  blocks: Iterable<{ cid: CID; bytes: Uint8Array }> | AsyncIterable<{ cid: CID; bytes: Uint8Array }>,
): Promise<Buffer> {
  const { writer, out } = CarWriter.create(roots)
  const chunks: Uint8Array[] = []
  const collected = (async () => {
    for await (const chunk of out) chunks.push(chunk)
  })()
  for await (const block of blocks) await writer.put(block)
  await writer.close()
  await collected
  return Buffer.concat(chunks)
}
