import { createReadStream } from 'node:fs'
import { CarBlockIterator } from '@ipld/car/iterator'
import * as dagPb from '@ipld/dag-pb'
import type { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { CODEC_DAG_PB } from '../constants.js'
import { blockKey } from '../utils/block-key.js'

/**
 * The first block of the DAG under `root` that the CAR at `file` lacks (the root itself included),
 * or undefined when it holds the whole DAG. One streamed read of the CAR; only dag-pb blocks are
 * decoded (raw leaves have no links), identity CIDs carry their bytes and are never missing. The
 * Kubo host adapter checks a CAR with it before `dag/import` (src/hosts/adapters/kubo.ts says why).
 */
export async function firstMissingBlock(file: string, root: CID): Promise<CID | undefined> {
  const present = new Set<string>()
  const linked = new Map<string, CID>([[blockKey(root), root]])
  for await (const { cid, bytes } of await CarBlockIterator.fromIterable(createReadStream(file))) {
    present.add(blockKey(cid))
    if (cid.code !== CODEC_DAG_PB) continue
    for (const link of dagPb.decode(bytes).Links) linked.set(blockKey(link.Hash), link.Hash)
  }
  for (const [key, cid] of linked) {
    if (cid.multihash.code !== identity.code && !present.has(key)) return cid
  }
  return undefined
}
