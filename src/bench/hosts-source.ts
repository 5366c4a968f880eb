/**
 * The `hosts` source: one file from several host gateways at once, exactly as the visitor's service
 * worker fetches it (`src/runtime/sw/`): its root block, then the blocks under it spread over the
 * gateways (`?format=raw`, at most 6 in flight each, the faster gateway taking more), each hashed
 * against its CID, a failed or wrong block asked of the next gateway. A fresh pool per sample, so
 * no sample inherits what the previous one measured.
 */
import type { CID } from 'multiformats/cid'
import { openFile, readFile } from '../runtime/sw/assemble-file.js'
import { BlockFetcher } from '../runtime/sw/fetch-block.js'
import { SourcePool } from '../runtime/sw/sources.js'
import { type SourceStats, sourceStats } from '../runtime/sw/stats.js'
import { type ContentDigest, DigestStream } from './content-check.js'
import type { SourceShare } from './types.js'

/** The service worker's wait before racing a second gateway for a file's first block. */
const ROOT_HEDGE_MS = 300

/** What a hosts sample delivered. */
export interface HostsFetch {
  digest: ContentDigest
  blocks: number
  /** By gateway URL. */
  shares: Record<string, SourceShare>
}

/** A promise that rejects with the signal's reason when it aborts first. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason)
    signal.addEventListener('abort', stop, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', stop)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', stop)
        reject(error)
      },
    )
  })
}

/** A hosts sample that failed, with what each gateway had sent by then. */
export class HostsFetchError extends Error {
  override readonly name = 'HostsFetchError'
  constructor(
    cause: unknown,
    readonly shares: Record<string, SourceShare>,
  ) {
    const troubles = Object.entries(shares)
      .filter(([, share]) => share.failures > 0 || share.mismatches > 0)
      .map(([url, share]) => {
        const what = [
          share.failures > 0 ? `${share.failures} failed` : '',
          share.mismatches > 0 ? `${share.mismatches} wrong` : '',
        ]
        return `${url}: ${what.filter(Boolean).join(', ')}`
      })
    const message = cause instanceof Error ? cause.message : String(cause)
    super(troubles.length > 0 ? `${message} (block requests: ${troubles.join('; ')})` : message, { cause })
  }
}

/**
 * Fetches the file `cid` over `urls` (gateway base URLs, no trailing slash). `blockTimeout`: ms a
 * gateway may take to answer a block request, and then between two chunks of its body. Rejects with
 * {@link HostsFetchError}.
 */
export async function fetchFromHosts(
  urls: string[],
  cid: CID,
  options: { blockTimeout: number; signal: AbortSignal },
): Promise<HostsFetch> {
  const before = new Map(urls.map((url) => [url, { ...sourceStats(url) }]))
  const sharesSoFar = () => {
    const shares: Record<string, SourceShare> = {}
    for (const url of urls) {
      const now = sourceStats(url)
      const then = before.get(url) as SourceStats
      shares[url] = {
        blocks: now.blocks - then.blocks,
        bytes: now.bytes - then.bytes,
        mismatches: now.mismatches - then.mismatches,
        failures: now.failures - then.failures,
      }
    }
    return shares
  }
  const pool = new SourcePool(urls)
  const fetcher = new BlockFetcher(pool, options.blockTimeout)
  const stream = new DigestStream()
  let chunks: AsyncGenerator<Uint8Array> | undefined
  try {
    const root = await abortable(openFile(cid, fetcher, { hedge: ROOT_HEDGE_MS }), options.signal)
    chunks = readFile(root, { start: 0, end: root.size }, fetcher, pool.capacity)
    for (;;) {
      const next = await abortable(chunks.next(), options.signal)
      if (next.done) break
      stream.update(next.value)
    }
  } catch (error) {
    // The generator may be waiting for a block: it stops once that settles.
    void chunks?.return(undefined).catch(() => {})
    throw new HostsFetchError(options.signal.aborted ? options.signal.reason : error, sharesSoFar())
  }
  const shares = sharesSoFar()
  const blocks = Object.values(shares).reduce((n, share) => n + share.blocks, 0)
  return { digest: stream.digest(), blocks, shares }
}
