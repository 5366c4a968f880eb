/**
 * Block verification: the bytes a source sent are used only when their hash
 * is the CID's multihash. In the browser `multiformats`' SHA-2 hashers are
 * crypto.subtle.
 */
import { equals } from 'multiformats/bytes'
import type { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import type { MultihashHasher } from 'multiformats/hashes/interface'
import { sha256, sha512 } from 'multiformats/hashes/sha2'

const HASHERS = new Map<number, MultihashHasher>([
  [sha256.code, sha256],
  [sha512.code, sha512],
])

/** Whether blocks under this CID can be verified here (identity, SHA-256 or SHA-512 multihash). */
export function canVerify(cid: CID): boolean {
  return cid.multihash.code === identity.code || HASHERS.has(cid.multihash.code)
}

/** The content of an identity CID (the CID holds the bytes itself), else undefined. */
export function inlineBytes(cid: CID): Uint8Array | undefined {
  return cid.multihash.code === identity.code ? cid.multihash.digest : undefined
}

/** True when `bytes` hash to `cid`'s multihash; false for a mismatch or a hash this worker cannot compute. */
export async function verifyBlock(cid: CID, bytes: Uint8Array): Promise<boolean> {
  const inline = inlineBytes(cid)
  if (inline) return equals(inline, bytes)
  const hasher = HASHERS.get(cid.multihash.code)
  if (!hasher) return false
  const digest = await hasher.digest(bytes)
  return equals(digest.bytes, cid.multihash.bytes)
}
