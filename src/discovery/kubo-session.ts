/**
 * The paper's session discovery on a Kubo node, with no change to Kubo (the paper ran it on go-ipfs):
 * a sidecar drives the node through its RPC API, so Kubo hosts and `p2pcdn host`s of one CDN meet.
 * Each round is what `session.ts` does on a Helia node, in RPC calls: `add` the session file of N
 * and N+1 (the same block, so the same CID, as {@link sessionBlock}), `routing/provide` it,
 * `routing/findprovs` the other providers, and `swarm/connect` plus `swarm/peering/add` each one
 * (Kubo's peering keeps the connection protected from its connection manager and re-dials it).
 *
 * Kubo's DHT: provider records go to its LAN DHT (`/ipfs/lan/kad/1.0.0`, the one `p2pcdn host
 * --dht lan` speaks) when its WAN DHT has no peers, else to the WAN DHT; `findprovs` asks both.
 */
import { setMaxListeners } from 'node:events'
import { TypedEventEmitter, type TypedEventTarget } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { P2pcdnError } from '../errors.js'
import { type KuboRpc, kuboRpc } from './kubo-rpc.js'
import type { SessionDiscoveryOptions } from './session.js'
import { resolveSessionTiming, sessionBlock, sessionContent, withReason } from './session-file.js'
import { startSessionRounds } from './session-rounds.js'

export interface KuboSessionOptions extends SessionDiscoveryOptions {
  /**
   * The Kubo node's RPC API: a URL (`http://127.0.0.1:5001`) or the multiaddr Kubo prints
   * (`/ip4/127.0.0.1/tcp/5001`).
   */
  api: string
  /**
   * One of the node's `API.Authorizations` secrets, when it has any: `bearer:<token>`,
   * `basic:<user>:<password>`, or bare (`user:password` is sent as Basic auth, anything else as a
   * Bearer token). It must allow `/api/v0/id`, `add`, `routing/provide`, `routing/findprovs`,
   * `swarm/connect` and `swarm/peering`. @default undefined (an open API)
   */
  token?: string
}

/** Events of a running Kubo session; as {@link SessionDiscoveryEvents}, with peer IDs as strings. */
export interface KuboSessionEvents {
  /** A peer became a member: found as a provider of the current or next session block. */
  member: CustomEvent<string>
  /** Kubo connected to a member, the first time since it became one (and keeps it through peering). */
  connect: CustomEvent<{ peerId: string; multiaddrs: string[] }>
  /** A member was dropped: two rounds in a row missed it; it is out of Kubo's peering. */
  leave: CustomEvent<string>
  /** A round is over: `n` is its session, `members` the number of members after it. */
  round: CustomEvent<{ n: number; members: number }>
  /** Something failed in a round (add, provide, lookup, connect); the next round runs all the same. */
  error: CustomEvent<Error>
}

export interface KuboSession {
  /** The Kubo node's peer ID. */
  readonly peerId: string
  /** The RPC API's base URL. */
  readonly api: string
  /** The members (peer IDs), Kubo itself excluded; a member stays until two rounds in a row miss it. */
  members(): string[]
  /** Stops the rounds and takes the members out of Kubo's peering (their connections stay as Kubo keeps them). */
  stop(): Promise<void>
  readonly events: TypedEventTarget<KuboSessionEvents>
}

/** go-libp2p's `routing.QueryEventType`s that matter here. */
const QUERY_ERROR = 3
const PROVIDER = 4

interface QueryEvent {
  Type?: number
  Extra?: string
  Responses?: Array<{ ID?: string; Addrs?: string[] | null }> | null
}

/**
 * `ipfs add` of the session file, each flag that shapes the block given (the node's `Import.*` config
 * could otherwise change them): a single dag-pb UnixFS file node under a CIDv0, like the host's. Not
 * pinned: a new one comes every period, and the next round adds it again should GC take it.
 */
const ADD_PARAMS: Array<[string, string]> = [
  ['cid-version', '0'],
  ['raw-leaves', 'false'],
  ['chunker', 'size-262144'],
  ['hash', 'sha2-256'],
  ['inline', 'false'],
  ['trickle', 'false'],
  ['wrap-with-directory', 'false'],
  ['pin', 'false'],
  ['progress', 'false'],
]

/** Longest wait for a quick command (`add`, `swarm/…`). */
const CALL_TIMEOUT_MS = 30_000

interface Member {
  /** The last round that found it. */
  round: number
  connected: boolean
}

/**
 * Starts session discovery on a Kubo node through its RPC API. Resolves once the node answered `id`
 * (rejects with a `HostError` naming the API's URL when it is unreachable or refuses the token); then,
 * at once and at every period boundary, a round (see the module comment). Errors of a round are
 * `error` events, never thrown. Every node of a CDN must use the same `name` and `periodMs`.
 *
 * @example
 * ```ts
 * const session = await startKuboSession({ api: 'http://127.0.0.1:5001', name: 'example.com' })
 * session.events.addEventListener('connect', (event) => console.log('met', event.detail.peerId))
 * // …
 * await session.stop()
 * ```
 */
export async function startKuboSession(options: KuboSessionOptions): Promise<KuboSession> {
  const { name, periodMs, lookupTimeoutMs, now } = resolveSessionTiming(options)
  const rpc: KuboRpc = kuboRpc(options.api, options.token)
  options.signal?.throwIfAborted()
  const [id] = await rpc.call<{ ID?: string }>('id', [], {
    timeoutMs: 10_000,
    ...(options.signal ? { signal: options.signal } : {}),
  })
  const self = id?.ID
  if (typeof self !== 'string' || self === '') {
    throw new P2pcdnError(
      'ERR_HOST_FAILED',
      `${rpc.url} answered POST /api/v0/id without a peer ID: is it a Kubo RPC API (e.g. http://127.0.0.1:5001)?`,
    )
  }

  const events = new TypedEventEmitter<KuboSessionEvents>()
  const members = new Map<string, Member>()
  let rounds = 0

  const report = (error: Error): void => {
    events.safeDispatchEvent('error', { detail: error })
  }

  /** Adds the session file of `n`; true when Kubo made the host's block of it. */
  async function add(cid: CID, n: number, signal: AbortSignal): Promise<boolean> {
    try {
      const form = new FormData()
      form.append('file', new Blob([sessionContent(n, name)]), 'session')
      const answers = await rpc.call<{ Hash?: string }>('add', ADD_PARAMS, {
        body: form,
        signal,
        timeoutMs: CALL_TIMEOUT_MS,
      })
      const made = answers.findLast((answer) => typeof answer.Hash === 'string')?.Hash
      if (made !== undefined && CID.parse(made).equals(cid)) return true
      throw new P2pcdnError(
        'ERR_HOST_FAILED',
        `Kubo made ${made ?? 'no CID'} of the session file, not ${cid} as every other node does`,
      )
    } catch (cause) {
      if (!signal.aborted) report(withReason(cause, `Could not add the block of session ${n} (${cid})`))
      return false
    }
  }

  async function announce(cid: CID, n: number, signal: AbortSignal) {
    try {
      const answers = await rpc.call<QueryEvent>('routing/provide', [['arg', cid.toString()]], {
        signal,
        timeoutMs: Math.max(periodMs, CALL_TIMEOUT_MS),
      })
      const failed = answers.find((event) => event?.Type === QUERY_ERROR)
      if (failed) throw new Error(failed.Extra || 'Kubo reported a query error')
    } catch (cause) {
      if (!signal.aborted) report(withReason(cause, `Could not provide the block of session ${n} (${cid})`))
    }
  }

  /** Records a member, connects Kubo to it and adds it to Kubo's peering; a failure is reported. */
  async function meet(peerId: string, addrs: string[], round: number, signal: AbortSignal) {
    let member = members.get(peerId)
    if (member === undefined) {
      member = { round, connected: false }
      members.set(peerId, member)
      events.safeDispatchEvent('member', { detail: peerId })
    } else {
      member.round = round
    }
    const suffix = `/p2p/${peerId}`
    const targets = addrs.length > 0 ? addrs.map((a) => (a.endsWith(suffix) ? a : `${a}${suffix}`)) : [suffix]
    const args = targets.map((target): [string, string] => ['arg', target])
    try {
      await rpc.call('swarm/connect', args, { signal, timeoutMs: CALL_TIMEOUT_MS })
      await rpc.call('swarm/peering/add', args, { signal, timeoutMs: CALL_TIMEOUT_MS })
      if (!member.connected && members.get(peerId) === member) {
        member.connected = true
        events.safeDispatchEvent('connect', { detail: { peerId, multiaddrs: targets } })
      }
    } catch (cause) {
      if (!signal.aborted) report(withReason(cause, `Kubo could not connect to session member ${peerId}`))
    }
  }

  async function find(cid: CID, n: number, round: number, signal: AbortSignal, seen: Set<string>) {
    // Kubo ends the lookup itself (`timeout`); the signal's own timeout is a backstop.
    const lookup = AbortSignal.any([signal, AbortSignal.timeout(lookupTimeoutMs + 2_000)])
    setMaxListeners(Number.POSITIVE_INFINITY, lookup)
    const dials: Promise<void>[] = []
    const params: Array<[string, string]> = [
      ['arg', cid.toString()],
      ['num-providers', '100'],
      ['timeout', `${Math.ceil(lookupTimeoutMs)}ms`],
    ]
    try {
      for await (const event of rpc.stream<QueryEvent>('routing/findprovs', params, {
        signal: lookup,
        timeoutMs: lookupTimeoutMs + 2_000,
      })) {
        if (event?.Type !== PROVIDER) continue
        for (const provider of event.Responses ?? []) {
          const peerId = provider?.ID
          if (typeof peerId !== 'string' || peerId === self || seen.has(peerId)) continue
          seen.add(peerId)
          dials.push(meet(peerId, provider.Addrs ?? [], round, signal))
        }
      }
    } catch (cause) {
      if (!lookup.aborted)
        report(withReason(cause, `Could not look up the providers of session ${n} (${cid})`))
    }
    await Promise.all(dials)
  }

  /** Takes a member out of Kubo's peering; a failure is reported unless `quiet` (the node may be gone). */
  async function release(peerId: string, quiet = false) {
    await rpc.call('swarm/peering/rm', [['arg', peerId]], { timeoutMs: 5_000 }).catch((cause: unknown) => {
      if (!quiet) report(withReason(cause, `Could not take ${peerId} out of Kubo's peering`))
    })
  }

  /** Drops the members that this round and the one before both missed. */
  async function expire(round: number) {
    const gone = [...members].filter(([, member]) => round - member.round >= 2).map(([peerId]) => peerId)
    for (const peerId of gone) {
      members.delete(peerId)
      events.safeDispatchEvent('leave', { detail: peerId })
    }
    await Promise.all(gone.map((peerId) => release(peerId)))
  }

  async function runRound(n: number, signal: AbortSignal): Promise<void> {
    const round = ++rounds
    const blocks = await Promise.all([sessionBlock(n, name), sessionBlock(n + 1, name)])
    const announced = Promise.all(
      blocks.map(async ({ cid }, i) => {
        if (await add(cid, n + i, signal)) await announce(cid, n + i, signal)
      }),
    )
    const seen = new Set<string>()
    await Promise.all(blocks.map(({ cid }, i) => find(cid, n + i, round, signal, seen)))
    if (signal.aborted) return
    await expire(round)
    events.safeDispatchEvent('round', { detail: { n, members: members.size } })
    await announced
  }

  const clock = startSessionRounds({
    periodMs,
    now,
    signal: options.signal,
    run: runRound,
    report,
    async cleanup() {
      const left = [...members.keys()]
      members.clear()
      await Promise.all(left.map((peerId) => release(peerId, true)))
    },
  })
  const stop = () => clock.stop()

  return {
    peerId: self,
    api: rpc.url,
    members: () => [...members.keys()],
    stop,
    events,
  }
}
