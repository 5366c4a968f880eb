import type { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import type { MultihashHasher } from 'multiformats/hashes/interface'
import { sha256, sha512 } from 'multiformats/hashes/sha2'

/** The hash functions a host verifies blocks with, by multihash code: sha2-256, sha2-512 and identity. */
export const BLOCK_HASHERS: ReadonlyMap<number, MultihashHasher> = new Map<number, MultihashHasher>([
  [sha256.code, sha256],
  [sha512.code, sha512],
  [identity.code, identity],
])

/**
 * Whether `bytes` are the block `cid` names: `ok`, `mismatch`, or `unknown-hash` when its hash
 * function is not one of {@link BLOCK_HASHERS}. Each caller words its own error.
 */
export async function checkBlock(cid: CID, bytes: Uint8Array): Promise<'ok' | 'mismatch' | 'unknown-hash'> {
  const hasher = BLOCK_HASHERS.get(cid.multihash.code)
  if (!hasher) return 'unknown-hash'
  const { digest } = await hasher.digest(bytes)
  return Buffer.compare(digest, cid.multihash.digest) === 0 ? 'ok' : 'mismatch'
}
