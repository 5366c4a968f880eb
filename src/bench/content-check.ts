/**
 * What a sample delivered, and whether it is the asset's file: byte count and SHA-256 of the body,
 * compared with the manifest's `size` and `integrity`, or else with the first verified P2P copy.
 */
import { createHash } from 'node:crypto'

/** Size and SHA-256 (hex) of the bytes a sample delivered. */
export interface ContentDigest {
  bytes: number
  sha256: string
}

/** Hashes a body as it streams. */
export class DigestStream {
  readonly #hash = createHash('sha256')
  #bytes = 0

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk)
    this.#bytes += chunk.length
  }

  digest(): ContentDigest {
    return { bytes: this.#bytes, sha256: this.#hash.digest('hex') }
  }
}

/** The hex SHA-256 of a Subresource Integrity value (`sha256-<base64>`), or undefined if it is none. */
export function sha256OfIntegrity(integrity: string): string | undefined {
  const match = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(integrity.trim())
  return match ? Buffer.from(match[1] as string, 'base64').toString('hex') : undefined
}

/**
 * The expected content of one asset: size and SHA-256 from the manifest, or learnt from the first
 * P2P sample whose blocks all matched the CID (which makes it the CID's file).
 */
export class ContentReference {
  size: number | undefined
  sha256: string | undefined
  /** Where `sha256` came from. */
  from: 'manifest' | 'cid' | undefined

  constructor(size: number | undefined, sha256: string | undefined) {
    this.size = size
    this.sha256 = sha256
    this.from = sha256 ? 'manifest' : undefined
  }

  /** Takes a CID-verified copy as the reference when there is none yet. */
  learn(digest: ContentDigest): void {
    if (this.sha256) return
    this.sha256 = digest.sha256
    this.size ??= digest.bytes
    this.from = 'cid'
  }

  /** Why `digest` is not the asset's file (`what` names the sender), or undefined when it is, as far as known. */
  mismatch(digest: ContentDigest, what: string): string | undefined {
    if (this.size !== undefined && digest.bytes !== this.size)
      return `${what} sent ${digest.bytes} bytes, the file has ${this.size}`
    if (this.sha256 && digest.sha256 !== this.sha256)
      return `${what} sent bytes whose SHA-256 is not the file's (${this.from === 'manifest' ? "the manifest's integrity" : 'the CID’s content'})`
    return undefined
  }
}
