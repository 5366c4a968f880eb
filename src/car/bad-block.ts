import type { CID } from 'multiformats/cid'

/** A block that is missing from the store or whose bytes do not hash to its CID. */
export class BadBlockError extends Error {
  override readonly name = 'BadBlockError'
  constructor(
    readonly cid: CID,
    readonly reason: 'missing' | 'mismatch',
    /** The site file the block is read from, when it comes from one. */
    readonly file?: string,
  ) {
    super(
      file !== undefined
        ? `block ${cid} does not match ${file}: the file changed or went away after it was imported`
        : `block ${cid} is ${reason === 'missing' ? 'missing from the block store' : 'damaged (its bytes do not match its CID)'}`,
    )
  }
}
