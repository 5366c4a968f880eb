/**
 * How a pin stands on an IPFS Cluster's peers, and which peers are down, read from the cluster's
 * REST API (`api/types.go` in ipfs-cluster): `GET /pins/{cid}` (a `GlobalPinInfo`, one
 * `PinInfoShort` per peer), `GET /peers` (one `ID` per peer, with the peer's own `error` when it
 * cannot be reached and `ipfs.error` when its IPFS daemon cannot) and `GET /health/alerts` (the
 * metrics that expired: a `ping` alert is a peer that stopped answering, which `GET /peers` no
 * longer lists).
 */

/** Cluster writes CIDs as plain strings since v1.0, as `{ "/": cid }` before. */
export type ClusterCid = string | { '/': string } | null | undefined

/** A cluster peer's status of one pin (`PinInfoShort`). */
export interface PeerPinInfo {
  peername?: string
  /**
   * `pinned`, `pinning`, `pin_queued`, `pin_error`, `unpinned`, `remote` (tracked, not allocated
   * here), `cluster_error` (the peer could not be asked: it is down), …
   */
  status: string
  error?: string
}

/** `GET /pins/{cid}`: the status of a CID on every cluster peer. */
export interface GlobalPinInfo {
  cid: ClusterCid
  name?: string
  /** Cluster peers the pin is allocated to; empty when it is pinned everywhere. */
  allocations?: string[] | null
  peer_map?: Record<string, PeerPinInfo> | null
}

/** A peer as `GET /peers` lists it (`ID`). */
interface PeerId {
  id: string
  peername?: string
  error?: string
  ipfs?: { error?: string } | null
}

/** An expired metric as `GET /health/alerts` lists it; a `GET /monitor/metrics/ping` entry has the same fields. */
interface Alert {
  name: string
  peer: string
  /** For `ping`: `{"peer_name": …, "ipfs_id": …}`. */
  value?: string
  triggered_at?: string
}

/** `"cluster-1" (12D3Koo…)`, or the ID alone when the peer has no name. */
export function peerLabel(peer: string, name?: string): string {
  return name ? `"${name}" (${peer})` : peer
}

const oneLine = (text: string) => {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

/**
 * The peers a pin is allocated to: its `allocations`, or (pinned everywhere) every peer not
 * `remote`. A peer that has not yet heard of a new pin reports `unpinned`: it is still allocated.
 */
export function allocated(info: GlobalPinInfo): Array<[string, PeerPinInfo]> {
  const entries = Object.entries(info.peer_map ?? {})
  const allocations = info.allocations ?? []
  if (allocations.length > 0) return entries.filter(([peer]) => allocations.includes(peer))
  return entries.filter(([, p]) => p.status !== 'remote')
}

export interface PinAssessment {
  /** Allocated peers that report `pinned`. */
  pinned: number
  /** Allocated peers still on their way (queued, pinning, a `cluster_error` younger than the grace). */
  pending: number
  /** How many must report `pinned`: `replication-min`, else every allocated peer that is not lost. */
  needed: number
  /** Allocated peers that will not pin it now: `pin_error`, or `cluster_error` for longer than the grace. */
  lost: Array<[string, PeerPinInfo]>
  /** `needed` peers pinned it. */
  done: boolean
  /** Too many peers are lost for `needed` ever to be reached. */
  impossible: boolean
}

/**
 * Where a pin stands. A peer in `cluster_error` (its cluster daemon is not answering) counts as
 * lost once `downSince` has seen it so for `graceMs`, so a restarting peer is waited for and a dead
 * one is not; `pin_error` is lost at once. With `replicationMin` (> 0) that many peers must pin;
 * without, every allocated peer that is not lost, and at least one (a volunteer that is offline
 * does not hold a publish back: it is named in the result instead).
 */
export function assessPin(
  info: GlobalPinInfo,
  replicationMin: number | undefined,
  downSince: Map<string, number>,
  graceMs: number,
  now = Date.now(),
): PinAssessment {
  const peers = allocated(info)
  let pinned = 0
  let pending = 0
  const lost: Array<[string, PeerPinInfo]> = []
  for (const [peer, p] of peers) {
    if (p.status === 'cluster_error') {
      const since = downSince.get(peer) ?? now
      downSince.set(peer, since)
      if (now - since >= graceMs) lost.push([peer, p])
      else pending++
      continue
    }
    downSince.delete(peer)
    if (p.status === 'pinned') pinned++
    else if (p.status === 'pin_error' || p.status === 'error') lost.push([peer, p])
    else pending++
  }
  const min = replicationMin ?? 0
  const needed = min > 0 ? Math.min(min, peers.length) : Math.max(1, pinned + pending)
  return {
    pinned,
    pending,
    needed,
    lost,
    done: peers.length > 0 && pinned >= needed,
    impossible: peers.length > 0 && pinned + pending < needed,
  }
}

/** One lost peer, for a message: `cluster peer "cluster-1" (12D3…) is down: failed to dial …`. */
export function describeLost(root: string, [peer, p]: [string, PeerPinInfo]): string {
  const who = `cluster peer ${peerLabel(peer, p.peername)}`
  const why = p.error ? oneLine(p.error) : 'no reason given'
  return p.status === 'cluster_error' ? `${who} is down: ${why}` : `${who} failed to pin ${root}: ${why}`
}

type GetText = (path: string) => Promise<string>

/** Streamed endpoints answer NDJSON (one value per line), others one JSON value or array. */
function parseList<T>(text: string): T[] {
  const trimmed = text.trim()
  if (trimmed === '') return []
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as T[]
  return trimmed.split('\n').map((line) => JSON.parse(line) as T)
}

/**
 * The cluster's peers that cannot pin, by peer ID, each as a phrase naming it: from `GET /peers`
 * (a peer that cannot be reached, or whose IPFS daemon cannot) and `GET /health/alerts` (a peer
 * whose heartbeat expired, which `GET /pins` and `GET /peers` no longer list). Best effort: an
 * endpoint that fails adds nothing.
 */
export async function downPeers(get: GetText): Promise<Map<string, string>> {
  const problems = new Map<string, string>()
  const live = new Set<string>()
  // `GET /peers` gives no name for a peer it cannot reach; its last heartbeat still has it.
  const names = await heartbeatNames(get)
  try {
    for (const p of parseList<PeerId>(await get('/peers'))) {
      const who = `cluster peer ${peerLabel(p.id, p.peername || names.get(p.id))}`
      if (p.error) problems.set(p.id, `${who} is down: ${oneLine(p.error)}`)
      else if (p.ipfs?.error) problems.set(p.id, `${who} has no IPFS daemon: ${oneLine(p.ipfs.error)}`)
      else live.add(p.id)
    }
  } catch {}
  try {
    for (const a of parseList<Alert>(await get('/health/alerts'))) {
      if (a.name !== 'ping' || live.has(a.peer) || problems.has(a.peer)) continue
      const name = pingPeerName(a.value) ?? names.get(a.peer)
      const since = a.triggered_at ? ` since ${a.triggered_at}` : ''
      problems.set(a.peer, `cluster peer ${peerLabel(a.peer, name)} is down (no heartbeat${since})`)
    }
  } catch {}
  return problems
}

/** The peer name in a `ping` metric's value (`{"peer_name": …, "ipfs_id": …}`), if any. */
function pingPeerName(value: string | undefined): string | undefined {
  try {
    return (JSON.parse(value ?? '') as { peer_name?: string }).peer_name || undefined
  } catch {
    return undefined
  }
}

/** Each peer's name from the cluster's latest `ping` metrics (`GET /monitor/metrics/ping`); best effort. */
async function heartbeatNames(get: GetText): Promise<Map<string, string>> {
  const names = new Map<string, string>()
  try {
    for (const m of parseList<Alert>(await get('/monitor/metrics/ping'))) {
      const name = pingPeerName(m.value)
      if (name) names.set(m.peer, name)
    }
  } catch {}
  return names
}
