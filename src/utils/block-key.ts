import type { CID } from 'multiformats/cid'

/** A string key for a block: its multihash, so CIDv0 and CIDv1 of the same bytes share it. */
export function blockKey(cid: CID): string {
  const { bytes } = cid.multihash
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
