import { createHash } from 'node:crypto'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import type { ImporterOptions } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { CODEC_DAG_PB, CODEC_RAW, type ProfileName } from '../constants.js'
import type { LeafLocation } from './source-blocks.js'

const SHA2_256 = 0x12

type BufferImporter = NonNullable<ImporterOptions['bufferImporter']>

/** How each profile makes a leaf (ipfs-unixfs-importer's resolved defaults for it). */
const LEAF_FORMAT: Record<ProfileName, { rawLeaves: boolean; cidVersion: 0 | 1 }> = {
  'unixfs-v0-2015': { rawLeaves: false, cidVersion: 0 },
  'unixfs-v1-2025': { rawLeaves: true, cidVersion: 1 },
}

/** The leaf block for `data` under the profile's leaf format, with where `data` sits inside it. */
function leafBlock(data: Uint8Array, rawLeaves: boolean) {
  if (rawLeaves) return { block: data, unixfs: undefined, pre: undefined, post: undefined }
  const block = dagPb.encode({ Data: new UnixFS({ type: 'file', data }).marshal(), Links: [] })
  // The envelope is a few bytes of protobuf fields; the data sits between them, whole.
  const at = Buffer.from(block.buffer, block.byteOffset, block.byteLength).indexOf(data)
  return {
    block,
    // What the importer's reducer reads of a leaf is its size: a UnixFS without the data says it
    // (as `fileSize()`), so the layout does not hold every pending leaf's bytes a second time.
    unixfs: new UnixFS({ type: 'file', blockSizes: [BigInt(data.byteLength)] }),
    pre: block.slice(0, at),
    post: block.slice(at + data.byteLength),
  }
}

/**
 * The importer's leaf step (its `bufferImporter` option) for `profile`, making the same leaves as
 * its default one, but writing none of them: each leaf is hashed (off the main thread when
 * large), and `record` is told where it sits in its file (offset, length, envelope), so it can be
 * read back from the file later instead of being stored twice. Inner nodes still go to the
 * blockstore the importer is given.
 */
export function locatingBufferImporter(
  profile: ProfileName,
  record: (file: string, leaf: LeafLocation) => void,
  /** Hashes a raw leaf elsewhere (a thread reading the file itself); `undefined`: here. */
  hashRawLeaf?: (file: string, offset: number, length: number) => Promise<Uint8Array> | undefined,
): BufferImporter {
  const { rawLeaves, cidVersion } = LEAF_FORMAT[profile]
  return async function* (file) {
    let offset = 0
    for await (const data of file.content) {
      const at = offset
      offset += data.byteLength
      yield async () => {
        const { block, unixfs, pre, post } = leafBlock(data, rawLeaves)
        const elsewhere = rawLeaves ? hashRawLeaf?.(file.path ?? '', at, data.byteLength) : undefined
        // Here, on this thread: the importer already runs 16 of these at once, and handing each
        // block to WebCrypto's thread pool would copy it (a second copy of the file in flight).
        const digest = createDigest(
          SHA2_256,
          await (elsewhere ?? createHash('sha256').update(block).digest()),
        )
        const cid =
          rawLeaves || cidVersion === 1
            ? CID.createV1(rawLeaves ? CODEC_RAW : CODEC_DAG_PB, digest)
            : CID.createV0(digest as never)
        record(file.path ?? '', {
          cid,
          offset: at,
          length: data.byteLength,
          ...(pre?.byteLength ? { pre } : {}),
          ...(post?.byteLength ? { post } : {}),
        })
        return { cid, size: BigInt(block.byteLength), block, ...(unixfs ? { unixfs } : {}) }
      }
    }
  }
}
