/**
 * Where a follower looks for a site's newest IPNS record, and which of the records it found it
 * takes: each source's record is verified ({@link verifySiteRecord}: the name's key, validity, an
 * `/ipfs/` root), the one with the highest sequence wins, and one that would take the follower back
 * (a lower sequence, or the same sequence naming another root) is refused with the source named.
 * Sources are hints: a lying host can only have its record refused.
 */
import type { AbortOptions } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { compareRecords, IpnsRecordError, type SiteRecord, verifySiteRecord } from '../ipns/site-record.js'

/** The record media type (IPIP-351, Delegated Routing V1 for IPNS). */
export const IPNS_RECORD_TYPE = 'application/vnd.ipfs.ipns-record'

/** Longest wait for one source's record. */
const RECORD_TIMEOUT_MS = 10_000

/** Records larger than this are not IPNS records (Kubo's limit is 10 KiB). */
const MAX_RECORD_BYTES = 10 * 1024

/** A record as one source gave it, not verified yet. */
export interface RecordCandidate {
  /** Where it came from: a URL, `dht`, or `store` (a record PUT into this host). */
  source: string
  bytes: Uint8Array
}

/**
 * The HTTP gateway base URL of a multiaddr that announces one (IPIP-484 style, ending in `/http`
 * or `/tls/http`, possibly followed by `/p2p/<id>`); undefined for any other address.
 */
export function gatewayUrlOf(address: string): string | undefined {
  const match =
    /^\/(ip4|ip6|dns|dns4|dns6)\/([^/]+)\/tcp\/(\d+)(\/tls(?:\/sni\/[^/]+)?)?\/http(?:\/p2p\/[^/]+)?\/?$/.exec(
      address,
    )
  if (!match) return undefined
  const host = match[1] === 'ip6' ? `[${match[2]}]` : match[2]
  return `${match[4] ? 'https' : 'http'}://${host}:${match[3]}`
}

/** The gateway URLs these peers announce (their addresses in the peer store). */
export async function peerGateways(
  libp2p: { peerStore: { get(peerId: never): Promise<{ addresses: Array<{ multiaddr: unknown }> }> } },
  peerIds: unknown[],
): Promise<string[]> {
  const urls = new Set<string>()
  for (const peerId of peerIds) {
    try {
      const peer = await libp2p.peerStore.get(peerId as never)
      for (const { multiaddr: address } of peer.addresses) {
        const url = gatewayUrlOf(String(address))
        if (url) urls.add(url)
      }
    } catch {}
  }
  return [...urls]
}

/** Whether `address` is a multiaddr (libp2p can dial it). */
export function isMultiaddr(address: string): boolean {
  try {
    multiaddr(address)
    return true
  } catch {
    return false
  }
}

/**
 * `GET {url}/routing/v1/ipns/{name}`: the record bytes, undefined when the source has none (404);
 * throws with the URL named when it cannot be reached or answers otherwise.
 */
export async function fetchRecord(
  url: string,
  name: string,
  options: AbortOptions = {},
): Promise<Uint8Array | undefined> {
  const target = `${url.replace(/\/+$/, '')}/routing/v1/ipns/${name}`
  const timeout = AbortSignal.timeout(RECORD_TIMEOUT_MS)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  let res: Response
  try {
    res = await fetch(target, { headers: { Accept: IPNS_RECORD_TYPE }, signal })
  } catch (cause) {
    const code = (cause as { cause?: { code?: string } }).cause?.code
    throw new Error(
      `${target} is unreachable (${timeout.aborted ? `no answer within ${RECORD_TIMEOUT_MS / 1000} s` : (code ?? (cause as Error).message)})`,
    )
  }
  if (res.status === 404) {
    await res.body?.cancel()
    return undefined
  }
  if (!res.ok) {
    await res.body?.cancel()
    throw new Error(`${target} answered HTTP ${res.status}`)
  }
  const bytes = new Uint8Array(await res.arrayBuffer())
  if (bytes.byteLength > MAX_RECORD_BYTES)
    throw new Error(`${target} sent ${bytes.byteLength} bytes, too many for an IPNS record`)
  return bytes
}

/** What {@link pickNewest} made of the candidates. */
export interface PickResult {
  /** The newest valid record, newer than `current` (undefined when none is). */
  newer?: SiteRecord & { source: string }
  /** The candidates that were the same as `current` (or as `newer`). */
  same: number
  /** Each refused candidate, as a sentence naming its source and why. */
  refused: string[]
}

/**
 * Verifies every candidate and picks the newest one, newer than `current`. A candidate that does
 * not verify, or that is older than `current` or conflicts with it, is refused.
 */
export async function pickNewest(
  name: string,
  candidates: RecordCandidate[],
  current: { sequence: bigint; root: string } | undefined,
  now: number = Date.now(),
): Promise<PickResult> {
  const result: PickResult = { same: 0, refused: [] }
  for (const { source, bytes } of candidates) {
    let record: SiteRecord
    try {
      record = await verifySiteRecord(name, bytes, now)
    } catch (err) {
      const reason = err instanceof IpnsRecordError ? err.reason : 'malformed'
      result.refused.push(`refused the record from ${source} (${reason}): ${(err as Error).message}`)
      continue
    }
    if (current && record.sequence <= current.sequence) {
      if (record.sequence < current.sequence)
        result.refused.push(
          `refused the record from ${source}: sequence ${record.sequence} is older than the ${current.sequence} this host follows (it never goes back)`,
        )
      else if (record.root.toString() === current.root) result.same++
      else
        result.refused.push(
          `refused the record from ${source}: sequence ${record.sequence} names ${record.root}, not ${current.root} as the record this host follows does`,
        )
      continue
    }
    const verdict = compareRecords(record, result.newer)
    if (verdict === 'newer') result.newer = { ...record, source }
    else if (verdict === 'same') result.same++
    else if (verdict === 'conflict')
      result.refused.push(
        `refused the record from ${source}: sequence ${record.sequence} names ${record.root}, while ${result.newer?.source} names ${result.newer?.root} under the same sequence`,
      )
  }
  return result
}
