import { identity } from 'multiformats/hashes/identity'
import type { MultihashHasher } from 'multiformats/hashes/interface'
import { sha256, sha512 } from 'multiformats/hashes/sha2'

/** The hash functions a host verifies blocks with, by multihash code: sha2-256, sha2-512 and identity. */
export const BLOCK_HASHERS: ReadonlyMap<number, MultihashHasher> = new Map<number, MultihashHasher>([
  [sha256.code, sha256],
  [sha512.code, sha512],
  [identity.code, identity],
])
