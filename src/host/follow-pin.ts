/**
 * How a follower pins a new root of a followed site (see `follow.ts`): already here (pinned for
 * another reason), else the whole DAG as a verified CAR from a gateway that has it (the followed
 * hosts, the root's providers, the peers' gateways), against the previous root's DAG so only new
 * blocks are stored, else bitswap from the providers (PinRequests' queue). The pin is a request of
 * {@link FOLLOW_OWNER} named `follow:<name>`: it survives restarts and `host gc` as any pin does.
 */
import { CID } from 'multiformats/cid'
import type { DagIndex } from './dag-index.js'
import type { FollowDeps, FollowOptions } from './follow.js'
import { fetchRootCar, findProviders } from './follow-fetch.js'
import { peerGateways } from './follow-resolve.js'
import { FOLLOW_OWNER, type FollowedSite } from './follow-state.js'

export type FollowPin = { cid: string; name: string; meta: Record<string, string> }

/** Pins `pin.cid` (already here, a CAR from a gateway, else bitswap); resolves with the request id. */
export async function pinRoot(
  deps: FollowDeps,
  options: FollowOptions,
  site: FollowedSite,
  pin: FollowPin,
  signal: AbortSignal,
): Promise<string> {
  const root = CID.parse(pin.cid)
  const pinned = (dag: DagIndex, how: string) =>
    deps.pins
      .addPinned(FOLLOW_OWNER, [{ pin, dag }], { status_details: how })
      .then(([status]) => status?.requestid as string)
  if (await deps.hostPins.isPinned(root)) {
    const dag = await deps.hostPins.dagOf(root, { signal })
    if (dag) return pinned(dag, 'already here')
  }
  const from = options.from ?? []
  const peerUrls = (await peerGateways(deps.libp2p, deps.peers())).filter((url) => url !== deps.selfUrl())
  const providers = await findProviders([...new Set([...from, ...peerUrls])], root, signal)
  const gateways = [...new Set([...from, ...providers.gateways, ...peerUrls])].filter(
    (url) => url !== deps.selfUrl(),
  )
  const previous = site.root ? CID.parse(site.root) : undefined
  const timeoutMs = options.fetchTimeoutMs ?? 600_000
  const car = await fetchRootCar(gateways, root, (body, s) => deps.ingestCar(body, previous, s), {
    signal,
    timeoutMs,
  })
  if ('ingested' in car) {
    return pinned(
      car.ingested.dags[car.ingested.roots.findIndex((r) => r.equals(root))] as DagIndex,
      `CAR from ${car.gateway}`,
    )
  }
  return pinByBitswap(deps, { ...pin, origins: providers.origins }, signal, timeoutMs, car.errors)
}

/** The bitswap route (PinRequests' queue, the providers as origins); waits until it is pinned. */
async function pinByBitswap(
  deps: FollowDeps,
  pin: FollowPin & { origins: string[] },
  signal: AbortSignal,
  timeoutMs: number,
  carErrors: string[],
): Promise<string> {
  const existing = deps.pins.list(FOLLOW_OWNER, {
    cid: [pin.cid],
    name: pin.name,
    status: ['queued', 'pinning', 'pinned'],
  }).results[0]
  const request = existing ?? (await deps.pins.add(FOLLOW_OWNER, pin))
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const state = deps.pins.get(FOLLOW_OWNER, request.requestid)
    if (state?.status === 'pinned') return request.requestid
    if (!state || state.status === 'failed' || Date.now() > deadline) {
      if (state) await deps.pins.remove(FOLLOW_OWNER, request.requestid)
      const why = state?.info?.status_details ?? 'removed'
      throw new Error(
        `no gateway had it whole (${carErrors.join('; ') || 'none known'}) and bitswap failed (${why})`,
      )
    }
    signal.throwIfAborted()
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
