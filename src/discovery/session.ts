/**
 * Session-based peer discovery, after Foss & Silver, "A neighborly internet: investigating the
 * possibilities of P2P CDNs" (MIT, 2020), section 3: every period (a minute) each node of the CDN
 * provides the block of a file whose content names the current session, and finds the other providers
 * of it through the DHT. The nodes of one CDN so meet before any page is loaded.
 */
import '../utils/promise-with-resolvers.js'
import { setMaxListeners } from 'node:events'
import type { Routing } from '@helia/interface'
import {
  isPeerId,
  KEEP_ALIVE,
  type Libp2p,
  type PeerId,
  TypedEventEmitter,
  type TypedEventTarget,
} from '@libp2p/interface'
import { peerIdFromCID, peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import { resolveSessionTiming, sessionBlock, sessionContent, withReason } from './session-file.js'
import { startSessionRounds } from './session-rounds.js'

export { sessionBlock, sessionContent, sessionNumber } from './session-file.js'

/** Peer store tag on session members: its `keep-alive` prefix makes libp2p keep and re-dial them. */
export const SESSION_TAG = `${KEEP_ALIVE}-p2pcdn-session`
const TAG_VALUE = 50

/** What session discovery needs of a node: a Helia node with libp2p has all three. */
export interface SessionDiscoveryComponents {
  /** Dials members and tags them in its peer store. */
  libp2p: Pick<Libp2p, 'peerId' | 'peerStore' | 'dial'>
  /**
   * Announces and finds the session blocks, e.g. `helia.routing`. When it has `cancelReprovide`, the
   * blocks of past sessions are no longer re-provided.
   */
  routing: Pick<Routing, 'provide' | 'findProviders'> & Partial<Pick<Routing, 'cancelReprovide'>>
  /** Holds the session blocks, so that peers asking for them get them. */
  blockstore: Pick<Blockstore, 'put' | 'has'>
}

export interface SessionDiscoveryOptions {
  /** The CDN's name, a salt in the session file (see {@link sessionContent}). @default undefined (the paper's file) */
  name?: string
  /** Length of a session; every node of a CDN must use the same. @default 60_000 */
  periodMs?: number
  /** How long each round looks for providers. @default half the period, at most 30 000 */
  lookupTimeoutMs?: number
  /** The clock that session numbers are read from (timers still run in real time). @default Date.now */
  now?: () => number
  /** Aborting it stops discovery, like {@link SessionDiscovery.stop}. */
  signal?: AbortSignal
}

/** Events of a running session discovery. */
export interface SessionDiscoveryEvents {
  /** A peer became a member: found as a provider of the current or next session block. */
  member: CustomEvent<PeerId>
  /** A round is over: `n` is its session, `members` the number of members after it. */
  round: CustomEvent<{ n: number; members: number }>
  /** Something failed in a round (announce, lookup, dial); the next round runs all the same. */
  error: CustomEvent<Error>
}

export interface SessionDiscovery {
  /** Stops the rounds: aborts the one in flight, clears the timer, removes the members' keep-alive tags. */
  stop(): Promise<void>
  /**
   * The members: peers found as providers of the current or next session block, self excluded. A peer
   * stays a member until two rounds in a row miss it.
   */
  members(): PeerId[]
  readonly events: TypedEventTarget<SessionDiscoveryEvents>
}

interface Member {
  peerId: PeerId
  /** The last round that found it. */
  round: number
}

/** A provider's id as a PeerId: routers give a CID (Helia's `Provider`), some a string or a PeerId. */
function providerPeerId(id: unknown): PeerId {
  if (isPeerId(id)) return id
  const cid = CID.asCID(id)
  if (cid !== null) return peerIdFromCID(cid)
  return peerIdFromString(String(id))
}

/**
 * Starts session-based peer discovery. At once, then at every period boundary, a round: put the blocks
 * of sessions N and N+1 (see {@link sessionBlock}) in the blockstore, provide them, find their other
 * providers (in parallel, for `lookupTimeoutMs`), and dial each one, tagged in the peer store with
 * {@link SESSION_TAG} so that libp2p keeps the connection and re-dials it. Providing N+1 too lets nodes
 * whose clocks differ by less than a period still meet. Errors are `error` events, never thrown.
 *
 * @example
 * ```ts
 * const discovery = startSessionDiscovery(helia, { name: 'example.com' })
 * discovery.events.addEventListener('member', (event) => console.log('met', event.detail.toString()))
 * // …
 * await discovery.stop()
 * ```
 */
export function startSessionDiscovery(
  components: SessionDiscoveryComponents,
  options: SessionDiscoveryOptions = {},
): SessionDiscovery {
  const { libp2p, routing, blockstore } = components
  const { name, periodMs, lookupTimeoutMs, now } = resolveSessionTiming(options)
  const events = new TypedEventEmitter<SessionDiscoveryEvents>()
  const members = new Map<string, Member>()
  /** Session numbers provided and not yet cancelled. */
  const provided = new Map<number, CID>()
  let rounds = 0

  const report = (error: Error): void => {
    events.safeDispatchEvent('error', { detail: error })
  }

  const tag = (peerId: PeerId, multiaddrs: Multiaddr[], signal: AbortSignal) =>
    libp2p.peerStore.merge(
      peerId,
      {
        ...(multiaddrs.length > 0 ? { multiaddrs } : {}),
        // The TTL lets the tag lapse even if this process dies without untagging.
        tags: { [SESSION_TAG]: { value: TAG_VALUE, ttl: 3 * periodMs } },
      },
      { signal },
    )

  const untag = (peerId: PeerId) => libp2p.peerStore.merge(peerId, { tags: { [SESSION_TAG]: undefined } })

  /** Records a member, tags it and dials it; a dial that fails is reported. */
  async function meet(peerId: PeerId, multiaddrs: Multiaddr[], round: number, signal: AbortSignal) {
    const key = peerId.toString()
    const known = members.has(key)
    members.set(key, { peerId, round })
    if (!known) events.safeDispatchEvent('member', { detail: peerId })
    try {
      await tag(peerId, multiaddrs, signal)
      await libp2p.dial(peerId, { signal })
    } catch (cause) {
      if (!signal.aborted) report(withReason(cause, `Could not reach session member ${key}`))
    }
  }

  async function find(cid: CID, n: number, round: number, signal: AbortSignal, seen: Set<string>) {
    const lookup = AbortSignal.any([signal, AbortSignal.timeout(lookupTimeoutMs)])
    // One signal for every lookup and dial of the round: more than Node's default 10 listeners.
    setMaxListeners(Number.POSITIVE_INFINITY, lookup)
    const dials: Promise<void>[] = []
    try {
      for await (const provider of routing.findProviders(cid, { signal: lookup })) {
        const peerId = providerPeerId(provider.id)
        if (peerId.equals(libp2p.peerId) || seen.has(peerId.toString())) continue
        seen.add(peerId.toString())
        dials.push(meet(peerId, provider.multiaddrs ?? [], round, signal))
      }
    } catch (cause) {
      // The lookup timeout ends a lookup normally.
      if (!lookup.aborted)
        report(withReason(cause, `Could not look up the providers of session ${n} (${cid})`))
    }
    await Promise.all(dials)
  }

  async function announce(cid: CID, n: number, signal: AbortSignal) {
    try {
      await routing.provide(cid, { signal })
      provided.set(n, cid)
    } catch (cause) {
      if (!signal.aborted) report(withReason(cause, `Could not provide the block of session ${n} (${cid})`))
    }
  }

  /** Forgets the blocks of sessions before `n`, so the DHT stops re-providing them. */
  async function retire(n: number) {
    for (const [old, cid] of provided) {
      if (old >= n) continue
      provided.delete(old)
      try {
        await routing.cancelReprovide?.(cid)
      } catch (cause) {
        report(withReason(cause, `Could not stop re-providing the block of session ${old} (${cid})`))
      }
    }
  }

  /** Drops (and untags) the members that this round and the one before both missed. */
  async function expire(round: number) {
    for (const [key, member] of members) {
      if (round - member.round < 2) continue
      members.delete(key)
      await untag(member.peerId).catch((cause: unknown) => {
        report(withReason(cause, `Could not remove the keep-alive tag of ${key}`))
      })
    }
  }

  async function runRound(n: number, signal: AbortSignal): Promise<void> {
    const round = ++rounds
    const blocks = await Promise.all([sessionBlock(n, name), sessionBlock(n + 1, name)])
    for (const { cid, bytes } of blocks) {
      try {
        if (!(await blockstore.has(cid, { signal }))) await blockstore.put(cid, bytes, { signal })
      } catch (cause) {
        if (!signal.aborted) report(withReason(cause, `Could not store the block of session ${n} (${cid})`))
      }
    }
    const announced = Promise.all(blocks.map(({ cid }, i) => announce(cid, n + i, signal)))
    const seen = new Set<string>()
    await Promise.all(blocks.map(({ cid }, i) => find(cid, n + i, round, signal, seen)))
    if (signal.aborted) return
    await expire(round)
    events.safeDispatchEvent('round', { detail: { n, members: members.size } })
    await announced
    await retire(n)
  }

  const clock = startSessionRounds({
    periodMs,
    now,
    signal: options.signal,
    run: runRound,
    report,
    async cleanup() {
      const left = [...members.values()]
      members.clear()
      // Best effort: the node may be stopping too.
      await Promise.allSettled(left.map(({ peerId }) => untag(peerId)))
    },
  })
  const stop = () => clock.stop()

  return {
    stop,
    members: () => [...members.values()].map(({ peerId }) => peerId),
    events,
  }
}
