/**
 * Volunteers that follow a site (`p2pcdn host --follow <name>`): every `intervalMs` the host looks
 * for the newest IPNS record of each followed name (the hosts it follows from, the peers that
 * announce a gateway, the DHT, a record PUT into it), verifies it, and when it names a new root
 * fetches that root from whichever peers hold it (a verified CAR from a trustless gateway, else
 * bitswap), pins it as `follow:<name>`, stores the record (so this host serves and re-announces
 * it), and keeps the previous root pinned for `graceMs` before unpinning it. It never goes back to
 * an older record. State lives in the datastore ({@link FollowedSite}), so a restart continues.
 */
import { setMaxListeners } from 'node:events'
import type { AbortOptions } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import type { CID } from 'multiformats/cid'
import { IpnsRecordError, parseIpnsName, type SiteRecord } from '../ipns/site-record.js'
import type { IngestCarResult } from './car-upload.js'
import { pinRoot } from './follow-pin.js'
import { fetchRecord, peerGateways, pickNewest, type RecordCandidate } from './follow-resolve.js'
import {
  deleteFollowedSite,
  FOLLOW_OWNER,
  type FollowedSite,
  loadFollowedSites,
  newFollowedSite,
  saveFollowedSite,
} from './follow-state.js'
import type { HostPins } from './host-pins.js'
import type { PinRequests } from './pin-requests.js'

export { FOLLOW_OWNER, type FollowedSite } from './follow-state.js'

/** @default 30 s: a new version is served within a minute of its publish. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 30_000
/** @default 10 min: visitors with the previous version's pages still get its assets. */
export const DEFAULT_FOLLOW_GRACE_MS = 600_000

/** The part of the host's IPNS record store a follower uses (`src/host/ipns-store.ts`). */
export interface FollowIpnsStore {
  put(name: string, bytes: Uint8Array): Promise<unknown>
  get(name: string): Promise<SiteRecord | undefined>
  resolveFromDht?(name: string, options?: AbortOptions): Promise<SiteRecord | Uint8Array | undefined>
}

export interface FollowDeps {
  datastore: Datastore
  ipns?: FollowIpnsStore
  pins: PinRequests
  hostPins: Pick<HostPins, 'isPinned' | 'dagOf'>
  /** Stores and verifies a CAR (`ingestCar`), against the DAG of `previous` when pinned. */
  ingestCar(
    body: AsyncIterable<Uint8Array>,
    previous: CID | undefined,
    signal: AbortSignal,
  ): Promise<IngestCarResult>
  /** The peer store, for the gateway addresses peers announce. */
  libp2p: Parameters<typeof peerGateways>[0]
  /** Peers whose gateways are asked (session members, connected peers). */
  peers(): unknown[]
  /** This host's own gateway URL (never asked). */
  selfUrl(): string
}

export interface FollowOptions {
  /** IPNS names to follow (`k51…`, a peer ID, `/ipns/…`). */
  names: string[]
  /** Hosts (HTTP base URLs) asked for records and providers first. @default [] */
  from?: string[]
  /** @default DEFAULT_FOLLOW_INTERVAL_MS */
  intervalMs?: number
  /** @default DEFAULT_FOLLOW_GRACE_MS */
  graceMs?: number
  /** A new root not fetched whole in this time is tried again at the next check. @default 600_000 */
  fetchTimeoutMs?: number
}

export interface Following {
  /** The followed names, canonical (`k51…`). */
  names(): string[]
  follows(name: string): boolean
  /** Each followed site's state (a copy). */
  status(): FollowedSite[]
  /** Runs a check of every name now (also what the timer does); resolves when done. */
  checkNow(): Promise<void>
  stop(): Promise<void>
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Starts following `options.names`; the first check runs at once. Invalid names throw. */
export async function startFollowing(deps: FollowDeps, options: FollowOptions): Promise<Following> {
  const names = [...new Set(options.names.map((text) => parseIpnsName(text).name))]
  const intervalMs = options.intervalMs ?? DEFAULT_FOLLOW_INTERVAL_MS
  const stored = new Map((await loadFollowedSites(deps.datastore)).map((site) => [site.name, site]))
  const sites = new Map(names.map((name) => [name, stored.get(name) ?? newFollowedSite(name)]))
  const controller = new AbortController()
  setMaxListeners(Number.POSITIVE_INFINITY, controller.signal)
  const running = new Map<string, Promise<void>>()
  const timers = new Set<NodeJS.Timeout>()

  const checkOne = (name: string): Promise<void> => {
    const busy = running.get(name)
    if (busy) return busy
    const site = sites.get(name) as FollowedSite
    const run = checkSite(deps, options, site, controller.signal)
      .catch((err: unknown) => {
        if (!controller.signal.aborted)
          site.lastError = { message: (err as Error).message, at: iso(Date.now()) }
      })
      .then(() => (controller.signal.aborted ? undefined : saveFollowedSite(deps.datastore, site)))
      .catch(() => {})
      .finally(() => running.delete(name))
    running.set(name, run)
    return run
  }
  const loop = (name: string) => {
    if (controller.signal.aborted) return
    void checkOne(name).then(() => {
      if (controller.signal.aborted) return
      const timer = setTimeout(() => {
        timers.delete(timer)
        loop(name)
      }, intervalMs)
      timers.add(timer)
    })
  }
  for (const name of names) loop(name)

  return {
    names: () => [...names],
    follows: (name) => {
      try {
        return sites.has(parseIpnsName(name).name)
      } catch {
        return false
      }
    },
    status: () => [...sites.values()].map((site) => structuredClone(site)),
    checkNow: async () => {
      await Promise.all(names.map(checkOne))
    },
    async stop() {
      controller.abort()
      for (const timer of timers) clearTimeout(timer)
      await Promise.allSettled([...running.values()])
    },
  }
}

/**
 * Unpins the sites this host followed but no longer does (a name taken out of `--follow` or the
 * config), every version of them, and forgets their state. Runs at each start, following or not.
 * Resolves with the names dropped.
 */
export async function forgetUnfollowed(
  deps: Pick<FollowDeps, 'datastore' | 'pins'>,
  follow: string[] = [],
): Promise<string[]> {
  const keep = new Set(follow.map((text) => parseIpnsName(text).name))
  const dropped: string[] = []
  for (const site of await loadFollowedSites(deps.datastore)) {
    if (keep.has(site.name)) continue
    const requests = [site.requestid, ...site.retired.map((entry) => entry.requestid)]
    for (const requestid of requests) if (requestid) await deps.pins.remove(FOLLOW_OWNER, requestid)
    await deleteFollowedSite(deps.datastore, site.name)
    dropped.push(site.name)
  }
  return dropped
}

/** One check of one site: retire due pins, look for a newer record, serve its root. */
async function checkSite(deps: FollowDeps, options: FollowOptions, site: FollowedSite, signal: AbortSignal) {
  const now = Date.now()
  site.lastCheck = iso(now)
  await unpinRetired(deps, site, now)
  const { candidates, failures, refused } = await collectRecords(deps, options, site.name, signal)
  const current =
    site.root && site.sequence ? { root: site.root, sequence: BigInt(site.sequence) } : undefined
  const pick = await pickNewest(site.name, candidates, current)
  site.refused += refused.length + pick.refused.length
  const problems = [...refused, ...pick.refused]
  if (candidates.length === 0 && failures.length > 0) problems.push(`no record found: ${failures.join('; ')}`)
  const newer = pick.newer
  if (newer) {
    const root = newer.root.toString()
    const since = site.pending?.root === root ? site.pending.since : iso(now)
    site.pending = { root, sequence: String(newer.sequence), since }
    await saveFollowedSite(deps.datastore, site)
    try {
      await serveRoot(deps, options, site, newer, signal)
    } catch (err) {
      if (signal.aborted) throw err
      problems.push(`could not fetch ${root} (sequence ${newer.sequence}): ${(err as Error).message}`)
    }
  }
  site.lastError = problems.length > 0 ? { message: problems.join(' | '), at: iso(Date.now()) } : null
}

/** Every source's record: the store's, the follow-from hosts', peer gateways', the DHT's. */
async function collectRecords(
  deps: FollowDeps,
  options: FollowOptions,
  name: string,
  signal: AbortSignal,
): Promise<{ candidates: RecordCandidate[]; failures: string[]; refused: string[] }> {
  const candidates: RecordCandidate[] = []
  const failures: string[] = []
  const refused: string[] = []
  const held = await deps.ipns?.get(name).catch(() => undefined)
  if (held) candidates.push({ source: 'this host’s record store', bytes: held.bytes })
  const from = options.from ?? []
  const self = deps.selfUrl()
  const gateways = (await peerGateways(deps.libp2p, deps.peers())).filter(
    (url) => url !== self && !from.includes(url),
  )
  const asks: Array<Promise<void>> = [...from, ...gateways].map(async (url) => {
    try {
      const bytes = await fetchRecord(url, name, { signal })
      if (bytes) candidates.push({ source: url, bytes })
    } catch (err) {
      failures.push((err as Error).message)
    }
  })
  if (deps.ipns?.resolveFromDht) {
    const resolve = deps.ipns.resolveFromDht.bind(deps.ipns)
    asks.push(
      resolve(name, { signal }).then(
        (found) => {
          if (found)
            candidates.push({ source: 'the DHT', bytes: found instanceof Uint8Array ? found : found.bytes })
        },
        (err: unknown) => {
          if (err instanceof IpnsRecordError)
            refused.push(`refused the record from the DHT (${err.reason}): ${err.message}`)
          else failures.push(`the DHT: ${(err as Error).message}`)
        },
      ),
    )
  }
  await Promise.all(asks)
  return { candidates, failures, refused }
}

/** Fetches and pins `record.root`, stores the record, retires the previous root. */
async function serveRoot(
  deps: FollowDeps,
  options: FollowOptions,
  site: FollowedSite,
  record: SiteRecord & { source: string },
  signal: AbortSignal,
) {
  const pin = {
    cid: record.root.toString(),
    name: `follow:${site.name}`,
    meta: { ipns: site.name, sequence: String(record.sequence) },
  }
  // A new sequence for the root already served (a re-publish of the same content) pins nothing.
  const same = site.root === pin.cid && site.requestid !== null
  const requestid = same ? (site.requestid as string) : await pinRoot(deps, options, site, pin, signal)
  await deps.ipns?.put(site.name, record.bytes)
  const now = Date.now()
  if (!same && site.root && site.requestid) {
    site.retired.push({
      root: site.root,
      requestid: site.requestid,
      unpinAt: iso(now + (options.graceMs ?? DEFAULT_FOLLOW_GRACE_MS)),
    })
  }
  site.firstSeen = site.pending?.since ?? iso(now)
  site.root = pin.cid
  site.sequence = String(record.sequence)
  site.requestid = requestid
  site.servedAt = iso(now)
  site.source = record.source
  site.lagMs = now - Date.parse(site.firstSeen)
  site.pending = null
  await saveFollowedSite(deps.datastore, site)
}

/** Unpins the previous roots whose grace period is over. */
async function unpinRetired(deps: FollowDeps, site: FollowedSite, now: number) {
  const due = site.retired.filter(({ unpinAt }) => Date.parse(unpinAt) <= now)
  if (due.length === 0) return
  for (const { requestid } of due) await deps.pins.remove(FOLLOW_OWNER, requestid)
  site.retired = site.retired.filter((entry) => !due.includes(entry))
  await saveFollowedSite(deps.datastore, site)
}
