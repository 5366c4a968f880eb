import type { Blockstore } from 'interface-blockstore'
import { equals } from 'multiformats/bytes'
import type { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { BLOCK_HASHERS } from '../../../utils/block-hashers.js'

/** A block of a pinned DAG that the local store does not hold. */
export class MissingBlockError extends Error {
  override readonly name = 'MissingBlockError'
  constructor(readonly cid: CID) {
    super(`block ${cid} is missing from this node's block store`)
  }
}

/** A block whose bytes do not hash to its CID. */
export class DamagedBlockError extends Error {
  override readonly name = 'DamagedBlockError'
  constructor(readonly cid: CID) {
    super(`block ${cid} is damaged in this node's block store (its bytes do not match its CID)`)
  }
}

/**
 * Read access to the local store, as the gateway and ipfs-unixfs-exporter use
 * it: every block is read whole, checked against its CID, and identity CIDs
 * (whose bytes are in the CID itself) never touch the store.
 */
export interface BlockSource {
  /** The block's bytes; throws {@link MissingBlockError} or {@link DamagedBlockError}. */
  read(cid: CID, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  /** Same as `read`, in the shape of `Blockstore['get']`, for ipfs-unixfs-exporter. */
  get(cid: CID, options?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array>
  has(cid: CID): Promise<boolean>
}

/** True for CIDs whose multihash is the identity function: the block is the digest. */
export const isIdentity = (cid: CID): boolean => cid.multihash.code === identity.code

/**
 * Wraps the local store into a {@link BlockSource}. With `verify` (the default) every block read is
 * hashed against its CID; a store whose blocks were all verified on the way in may turn it off.
 */
export function blockSource(store: Pick<Blockstore, 'get' | 'has'>, verify = true): BlockSource {
  const read = async (cid: CID, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> => {
    if (isIdentity(cid)) return cid.multihash.digest
    const chunks: Uint8Array[] = []
    try {
      for await (const chunk of store.get(cid, options)) chunks.push(chunk)
    } catch (cause) {
      if ((cause as { name?: string }).name === 'NotFoundError') throw new MissingBlockError(cid)
      throw cause
    }
    const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
    const hasher = verify ? BLOCK_HASHERS.get(cid.multihash.code) : undefined
    if (hasher !== undefined) {
      const { digest } = await hasher.digest(bytes)
      const expected = cid.multihash.digest
      // Truncated digests are allowed by multihash: compare the prefix the CID carries.
      if (expected.length > digest.length || !equals(digest.subarray(0, expected.length), expected)) {
        throw new DamagedBlockError(cid)
      }
    }
    return bytes
  }
  return {
    read,
    async *get(cid, options) {
      yield await read(cid, options)
    },
    async has(cid) {
      return isIdentity(cid) || (await store.has(cid))
    },
  }
}

/**
 * One request's view of a {@link BlockSource} that keeps the last few blocks it read, so that a
 * small file's single block, read to learn what it is, to sniff its type and to send it, comes
 * from the store once.
 */
export function memoized(source: BlockSource, limit = 4): BlockSource {
  const recent = new Map<string, Promise<Uint8Array>>()
  const read = (cid: CID, options?: { signal?: AbortSignal }): Promise<Uint8Array> => {
    const key = cid.toString()
    let pending = recent.get(key)
    if (pending === undefined) {
      pending = source.read(cid, options)
      recent.set(key, pending)
      pending.catch(() => recent.delete(key))
      if (recent.size > limit) recent.delete(recent.keys().next().value as string)
    }
    return pending
  }
  return {
    read,
    async *get(cid, options) {
      yield await read(cid, options)
    },
    has: (cid) => source.has(cid),
  }
}
