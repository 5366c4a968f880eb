/**
 * The two requests discovery makes, both bounded in time and size: a
 * router's providers of the site root (`GET <router>/routing/v1/providers/
 * <cid>`, Delegated Routing V1), and the trustless gateway probe of a
 * candidate (`GET <gateway>/ipfs/bafkqaaa?format=raw`: the empty identity
 * CID, answered 200 with an empty body by every trustless gateway), timed.
 *
 * @see https://specs.ipfs.tech/routing/http-routing-v1/
 * @see https://specs.ipfs.tech/http-gateways/trustless-gateway/#dedicated-probe-paths
 */
import { type ProviderHint, parseProviders } from './providers.js'

/** The probe path: the empty identity CID as a raw block. */
export const PROBE_PATH = '/ipfs/bafkqaaa?format=raw'
/** A router's answer is read up to this many bytes. */
export const MAX_ANSWER_BYTES = 256 * 1024

/** The `fetch` discovery uses (the worker's own; a test may give another). */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>

/** At most `limit` bytes of a response's body, as text (the rest is not read). */
async function boundedText(response: Response, limit: number): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    length += value.length
    if (length >= limit) {
      void reader.cancel()
      break
    }
  }
  const bytes = new Uint8Array(Math.min(length, limit))
  let at = 0
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - at)
    bytes.set(part, at)
    at += part.length
  }
  return new TextDecoder().decode(bytes)
}

const init = (accept: string, signal: AbortSignal): RequestInit => ({
  headers: { Accept: accept },
  mode: 'cors',
  credentials: 'omit',
  cache: 'no-store',
  signal,
})

/**
 * The provider hints a router gives for `cid`: [] for a 404 (no providers)
 * or an unreadable answer; rejects when the router cannot be reached, times
 * out, or answers another status.
 */
export async function askRouter(
  fetcher: Fetch,
  router: string,
  cid: string,
  timeoutMs: number,
): Promise<ProviderHint[]> {
  const signal = AbortSignal.timeout(timeoutMs)
  const url = `${router}/routing/v1/providers/${cid}`
  const response = await fetcher(url, init('application/json, application/x-ndjson;q=0.9', signal))
  if (response.status === 404) return []
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`)
  return parseProviders(await boundedText(response, MAX_ANSWER_BYTES))
}

/** The probe's round trip in ms, or undefined when the gateway did not answer it as a trustless gateway must. */
export async function probe(fetcher: Fetch, gateway: string, timeoutMs: number): Promise<number | undefined> {
  const started = performance.now()
  try {
    const response = await fetcher(
      `${gateway}${PROBE_PATH}`,
      init('application/vnd.ipld.raw', AbortSignal.timeout(timeoutMs)),
    )
    const body = await boundedText(response, 1)
    return response.status === 200 && body === '' ? performance.now() - started : undefined
  } catch {
    return undefined
  }
}
