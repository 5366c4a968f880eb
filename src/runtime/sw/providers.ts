/**
 * A router's answer to `GET /routing/v1/providers/{cid}` (Delegated Routing
 * V1, IPIP-337), read defensively: JSON `{"Providers": [...]}` or NDJSON, one
 * record a line. Of each `{"Schema": "peer", "ID", "Addrs", "Protocols"}`
 * record only the addresses a browser can fetch from are kept (HTTP(S)
 * gateway addresses, IPIP-484 style): those of peers listing
 * `transport-ipfs-gateway-http`, or any `/http` address. Anything else,
 * garbage included, is no provider. The answer is a hint: every block a
 * provider sends is still verified.
 *
 * @see https://specs.ipfs.tech/routing/http-routing-v1/
 */
import { gatewayUrl } from './multiaddr.js'

/** One provider a router named, by its gateway URLs. */
export interface ProviderHint {
  /** The peer ID as the router gave it (not checked: nothing is signed). */
  peer: string
  /** Gateway base URLs from its addresses, deduplicated, at most {@link MAX_URLS_PER_PEER}. */
  urls: string[]
}

/** Records read from one answer, at most. */
export const MAX_RECORDS = 64
/** Gateway URLs kept of one record, at most. */
export const MAX_URLS_PER_PEER = 4

interface PeerRecord {
  Schema?: unknown
  ID?: unknown
  Addrs?: unknown
  Protocols?: unknown
}

/** The records of an answer's text, JSON or NDJSON; [] when it is neither. */
function recordsOf(text: string): PeerRecord[] {
  const trimmed = text.trim()
  if (trimmed === '') return []
  try {
    const body = JSON.parse(trimmed) as { Providers?: unknown } | null
    if (body && typeof body === 'object' && !Array.isArray(body) && 'Providers' in body)
      return Array.isArray(body.Providers) ? (body.Providers as PeerRecord[]) : []
    if (body && typeof body === 'object' && !Array.isArray(body) && 'Schema' in body) return [body]
    return []
  } catch {
    const records: PeerRecord[] = []
    for (const line of trimmed.split('\n').slice(0, MAX_RECORDS)) {
      try {
        const record = JSON.parse(line) as PeerRecord | null
        if (record && typeof record === 'object') records.push(record)
      } catch {}
    }
    return records
  }
}

/** The provider hints of a router's answer, in its order. */
export function parseProviders(text: string): ProviderHint[] {
  const hints: ProviderHint[] = []
  for (const record of recordsOf(text).slice(0, MAX_RECORDS)) {
    if (!record || typeof record !== 'object' || record.Schema !== 'peer') continue
    if (!Array.isArray(record.Addrs)) continue
    const urls = new Set<string>()
    for (const addr of record.Addrs) {
      const url = typeof addr === 'string' ? gatewayUrl(addr) : undefined
      if (url) urls.add(url)
      if (urls.size >= MAX_URLS_PER_PEER) break
    }
    // Whether or not its Protocols list gateway HTTP: an HTTP address is worth a probe, nothing else is.
    if (urls.size === 0) continue
    hints.push({ peer: typeof record.ID === 'string' ? record.ID.slice(0, 128) : '', urls: [...urls] })
  }
  return hints
}
