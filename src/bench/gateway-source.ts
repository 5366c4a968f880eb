/**
 * The `gateway` source: one `GET <gateway>/ipfs/<cid>?format=car` per sample on a new connection,
 * every block of the CAR hashed against its CID as it arrives, then the file read back from those
 * blocks only. A block that does not match, a missing block or a wrong root fails the sample.
 *
 * @see https://specs.ipfs.tech/http-gateways/trustless-gateway/
 */
import { CarBlockIterator } from '@ipld/car/iterator'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import { equals } from 'multiformats/bytes'
import type { CID } from 'multiformats/cid'
import { BLOCK_HASHERS } from '../utils/block-hashers.js'
import { type ContentDigest, DigestStream } from './content-check.js'
import { timedGet } from './timed-get.js'

/** What a gateway sample delivered. */
export interface GatewayFetch {
  digest: ContentDigest
  blocks: number
  seconds: number
}

/** Fetches the file `cid` from `gateway` as a CAR and verifies it; rejects with the reason it is not the file. */
export async function fetchFromGateway(
  gateway: string,
  cid: CID,
  signal: AbortSignal,
): Promise<GatewayFetch> {
  const url = `${gateway}/ipfs/${cid}?format=car&dag-scope=all`
  const { timings, value } = await timedGet(
    url,
    { headers: { Accept: 'application/vnd.ipld.car; version=1; order=dfs; dups=n' }, signal },
    (body) => fileFromCar(body, cid, signal),
  )
  return { ...value, seconds: timings.total }
}

/** Verifies a CAR stream block by block and reads the file `cid` from its blocks. */
export async function fileFromCar(
  body: AsyncIterable<Uint8Array>,
  cid: CID,
  signal: AbortSignal,
): Promise<{ digest: ContentDigest; blocks: number }> {
  const car = await CarBlockIterator.fromIterable(body)
  const [root] = await car.getRoots()
  if (!root || !equals(root.multihash.bytes, cid.multihash.bytes))
    throw new Error(`the CAR's root is ${root ?? 'missing'}, not ${cid}`)
  const store = new MemoryBlockstore()
  let blocks = 0
  for await (const block of car) {
    const hasher = BLOCK_HASHERS.get(block.cid.multihash.code)
    if (!hasher)
      throw new Error(
        `block ${block.cid} uses hash 0x${block.cid.multihash.code.toString(16)}, which cannot be verified`,
      )
    const digest = await hasher.digest(block.bytes)
    if (!equals(digest.bytes, block.cid.multihash.bytes))
      throw new Error(`block ${block.cid} in the CAR does not match its CID (tampered or damaged)`)
    await store.put(block.cid, block.bytes)
    blocks++
  }
  const stream = new DigestStream()
  try {
    const entry = await exporter(cid, store, { signal })
    if (entry.type !== 'file' && entry.type !== 'raw' && entry.type !== 'identity')
      throw new Error(`${cid} is a UnixFS ${entry.type}, not a file`)
    for await (const chunk of entry.content({ signal })) stream.update(chunk)
  } catch (error) {
    if ((error as Error).name === 'NotFoundError')
      throw new Error(`the CAR lacks blocks of ${cid}: ${(error as Error).message}`)
    throw error
  }
  return { digest: stream.digest(), blocks }
}
