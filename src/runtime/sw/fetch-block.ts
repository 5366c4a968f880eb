/**
 * Verified blocks from the sources: `GET <source>/ipfs/<cid>?format=raw`
 * (`Accept: application/vnd.ipld.raw`), the bytes hashed against the CID.
 * A failed, timed-out or mismatched request moves to the next source; the
 * block fails only when every source did. Concurrent requests for one block
 * share one fetch.
 *
 * @see https://specs.ipfs.tech/http-gateways/trustless-gateway/
 */
import type { CID } from 'multiformats/cid'
import type { Source, SourcePool } from './sources.js'
import { sourceStats } from './stats.js'
import { inlineBytes, verifyBlock } from './verify.js'

/** Larger responses are cut off: no block is (the bitswap limit is 2 MiB). */
const MAX_BLOCK_BYTES = 4 * 1024 * 1024

/** Every source failed, timed out or sent wrong bytes for a block. */
export class SourcesFailedError extends Error {
  constructor(cid: CID, cause: unknown) {
    super(`No source sent block ${cid}: ${(cause as Error)?.message ?? cause}`)
    this.name = 'SourcesFailedError'
  }
}

class MismatchError extends Error {}

/** Options of {@link BlockFetcher.get}. */
export interface GetOptions {
  /**
   * Race: when the first source has not answered after this many ms, ask the
   * next one too (and so on); the first verified answer wins, the others are
   * aborted. Without it, the next source is asked only after a failure.
   */
  hedge?: number
}

/** Fetches and verifies blocks over a {@link SourcePool}. */
export class BlockFetcher {
  readonly #pool: SourcePool
  readonly #timeout: number
  readonly #pending = new Map<string, Promise<Uint8Array>>()

  /** `timeout`: ms a source may take to answer, and then between two chunks of the body. */
  constructor(pool: SourcePool, timeout: number) {
    this.#pool = pool
    this.#timeout = timeout
  }

  /** The verified bytes of a block; rejects with {@link SourcesFailedError}. */
  get(cid: CID, options: GetOptions = {}): Promise<Uint8Array> {
    const inline = inlineBytes(cid)
    if (inline) return Promise.resolve(inline)
    const key = cid.toString()
    let pending = this.#pending.get(key)
    if (!pending) {
      pending = this.#race(cid, options.hedge).finally(() => this.#pending.delete(key))
      this.#pending.set(key, pending)
    }
    return pending
  }

  #race(cid: CID, hedge: number | undefined): Promise<Uint8Array> {
    const tried = new Set<Source>()
    const abort = new AbortController()
    return new Promise((resolve, reject) => {
      let active = 0
      let settled = false
      let lastError: unknown = new Error('no sources')
      const launch = async (): Promise<void> => {
        active++
        let hedgeTimer: ReturnType<typeof setTimeout> | undefined
        try {
          const source = await this.#pool.acquire(tried)
          if (!source) return
          if (hedge !== undefined) hedgeTimer = setTimeout(() => settled || void launch(), hedge)
          try {
            const bytes = await this.#attempt(source, cid, abort.signal)
            if (!settled) {
              settled = true
              abort.abort()
              resolve(bytes)
            }
          } catch (error) {
            if (settled) return
            lastError = error
            clearTimeout(hedgeTimer)
            void launch()
          }
        } finally {
          if (settled) clearTimeout(hedgeTimer)
          if (--active === 0 && !settled) {
            settled = true
            reject(new SourcesFailedError(cid, lastError))
          }
        }
      }
      void launch()
    })
  }

  /** One request to one source, its slot already taken; counts the outcome. */
  async #attempt(source: Source, cid: CID, race: AbortSignal): Promise<Uint8Array> {
    const started = performance.now()
    const concurrency = source.inFlight
    const counters = sourceStats(source.url)
    try {
      if (race.aborted) throw new Error('aborted')
      const bytes = await download(`${source.url}/ipfs/${cid}?format=raw`, this.#timeout, race)
      if (!(await verifyBlock(cid, bytes)))
        throw new MismatchError(`${source.url} sent wrong bytes for ${cid}`)
      this.#pool.succeeded(source, bytes.length, performance.now() - started, concurrency)
      counters.bytes += bytes.length
      counters.blocks++
      return bytes
    } catch (error) {
      // A race lost to another source is no failure of this one.
      if (!race.aborted) {
        const mismatch = error instanceof MismatchError
        this.#pool.failed(source, mismatch)
        if (mismatch) counters.mismatches++
        else counters.failures++
      }
      throw error
    } finally {
      this.#pool.release(source)
    }
  }
}

/** A 200 response's body, aborted after `timeout` ms without headers or without a new chunk. */
async function download(url: string, timeout: number, race: AbortSignal): Promise<Uint8Array> {
  const abort = new AbortController()
  const stop = () => abort.abort()
  race.addEventListener('abort', stop)
  let timer = setTimeout(stop, timeout)
  try {
    const response = await fetch(url, {
      headers: { Accept: 'application/vnd.ipld.raw' },
      mode: 'cors',
      credentials: 'omit',
      // Cache Storage keeps the verified files; the HTTP cache would keep their blocks a second time.
      cache: 'no-store',
      signal: abort.signal,
    })
    if (response.status !== 200 || !response.body) throw new Error(`${url}: HTTP ${response.status}`)
    const reader = response.body.getReader()
    const chunks: Uint8Array[] = []
    let length = 0
    for (;;) {
      clearTimeout(timer)
      timer = setTimeout(stop, timeout)
      const { done, value } = await reader.read()
      if (done) break
      length += value.length
      if (length > MAX_BLOCK_BYTES) throw new Error(`${url}: more than ${MAX_BLOCK_BYTES} bytes`)
      chunks.push(value)
    }
    if (chunks.length === 1) return chunks[0] as Uint8Array
    const bytes = new Uint8Array(length)
    let at = 0
    for (const chunk of chunks) {
      bytes.set(chunk, at)
      at += chunk.length
    }
    return bytes
  } finally {
    clearTimeout(timer)
    race.removeEventListener('abort', stop)
  }
}
