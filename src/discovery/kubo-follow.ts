/**
 * The Kubo route for volunteers: a sidecar that makes a Kubo node follow a site, through its RPC
 * API, with no change to Kubo. Every `intervalMs`, for each name: the newest record from the
 * `from` hosts (`GET /routing/v1/ipns/{name}`) and from Kubo itself (`routing/get`), verified as a
 * `p2pcdn host` verifies it (never back to an older sequence, never another key's record); for a
 * new root, Kubo is connected to its providers (`swarm/connect`, from `/routing/v1/providers`),
 * its pin is moved (`pin/update` from the previous root, `unpin=false`; `pin/add` the first time),
 * and the record is put into Kubo (`routing/put`, `allow-offline`), so that Kubo answers `name
 * resolve` and its own `/routing/v1` for the name. The previous root stays pinned for `graceMs`.
 *
 * The state lives in Kubo's pin names, so a restarted sidecar continues: the served root is pinned
 * as `follow:<name>`, a previous one as `follow:<name>:until:<ISO time>` until it is unpinned.
 */
import { setMaxListeners } from 'node:events'
import { TypedEventEmitter, type TypedEventTarget } from '@libp2p/interface'
import { findProviders } from '../host/follow-fetch.js'
import { fetchRecord, pickNewest, type RecordCandidate } from '../host/follow-resolve.js'
import { type FollowedSite, newFollowedSite } from '../host/follow-state.js'
import { followedNames, verifySiteRecord } from '../ipns/site-record.js'
import { hostUrls } from '../utils/gateway-url.js'
import { type KuboRpc, kuboRpc } from './kubo-rpc.js'

export interface KuboFollowOptions {
  /** The Kubo node's RPC API (a URL or Kubo's multiaddr). */
  api: string
  /** One of its `API.Authorizations` secrets, when it has any (as `startKuboSession` takes it). */
  token?: string
  /** IPNS names to follow. */
  names: string[]
  /** Hosts (HTTP base URLs) asked for records and providers. @default [] */
  from?: string[]
  /** @default 30_000 */
  intervalMs?: number
  /** @default 600_000 */
  graceMs?: number
  /** Longest wait for Kubo to pin a new root; it is tried again at the next check. @default 600_000 */
  fetchTimeoutMs?: number
}

/** A followed site as the sidecar sees it: a host's {@link FollowedSite} without what Kubo's pins keep. */
export type KuboFollowedSite = Pick<
  FollowedSite,
  'name' | 'root' | 'sequence' | 'lastCheck' | 'firstSeen' | 'lagMs' | 'pending' | 'lastError' | 'refused'
>

export interface KuboFollowEvents {
  /** A followed site now serves a new root. */
  update: CustomEvent<KuboFollowedSite>
  /** A check found a problem (a refused record, a failed fetch); the next check runs all the same. */
  error: CustomEvent<Error>
}

export interface KuboFollow {
  readonly api: string
  status(): KuboFollowedSite[]
  checkNow(): Promise<void>
  stop(): Promise<void>
  readonly events: TypedEventTarget<KuboFollowEvents>
}

const PIN_PREFIX = 'follow:'
const UNTIL = ':until:'
const iso = (ms: number) => new Date(ms).toISOString()

/** Starts following `names` on the Kubo node; the first check runs at once. */
export async function startKuboFollow(options: KuboFollowOptions): Promise<KuboFollow> {
  const rpc = kuboRpc(options.api, options.token)
  const names = followedNames(options.names)
  const checked: KuboFollowOptions = { ...options, from: hostUrls(options.from ?? [], 'follow-from') }
  const sites = new Map(names.map((name): [string, KuboFollowedSite] => [name, newSite(name)]))
  const events = new TypedEventEmitter<KuboFollowEvents>()
  const controller = new AbortController()
  setMaxListeners(Number.POSITIVE_INFINITY, controller.signal)
  let running: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined

  const checkAll = (): Promise<void> => {
    running ??= (async () => {
      for (const site of sites.values()) {
        if (controller.signal.aborted) return
        try {
          const served = site.root
          await checkSite(rpc, checked, site, controller.signal)
          if (site.root !== served) events.safeDispatchEvent('update', { detail: { ...site } })
        } catch (err) {
          if (controller.signal.aborted) return
          site.lastError = { message: (err as Error).message, at: iso(Date.now()) }
        }
        if (site.lastError) events.safeDispatchEvent('error', { detail: new Error(site.lastError.message) })
      }
    })().finally(() => {
      running = undefined
    })
    return running
  }
  const loop = () => {
    void checkAll().then(() => {
      if (!controller.signal.aborted) timer = setTimeout(loop, options.intervalMs ?? 30_000)
    })
  }
  loop()
  return {
    api: rpc.url,
    status: () => [...sites.values()].map((site) => ({ ...site })),
    checkNow: async () => {
      await running
      await checkAll()
    },
    async stop() {
      controller.abort()
      clearTimeout(timer)
      await running
    },
    events,
  }
}

/** A site not served yet: a host's {@link newFollowedSite} without what Kubo's pins keep. */
function newSite(name: string): KuboFollowedSite {
  const { servedAt, source, requestid, retired, ...site } = newFollowedSite(name)
  return site
}

/** Kubo's recursive pins and their names. */
async function pinNames(rpc: KuboRpc, signal: AbortSignal): Promise<Map<string, string>> {
  const [answer] = await rpc.call<{ Keys?: Record<string, { Name?: string }> }>(
    'pin/ls',
    [
      ['type', 'recursive'],
      ['names', 'true'],
    ],
    { signal },
  )
  return new Map(Object.entries(answer?.Keys ?? {}).map(([cid, pin]) => [cid, pin.Name ?? '']))
}

/** Kubo's own record of `name` (`routing/get`: its store, then the DHT), undefined when it has none. */
async function kuboRecord(rpc: KuboRpc, name: string, signal: AbortSignal): Promise<Uint8Array | undefined> {
  try {
    const [answer] = await rpc.call<{ Extra?: string }>('routing/get', [['arg', `/ipns/${name}`]], {
      signal,
      timeoutMs: 15_000,
    })
    return answer?.Extra ? new Uint8Array(Buffer.from(answer.Extra, 'base64')) : undefined
  } catch (err) {
    if (signal.aborted) throw err
    return undefined
  }
}

/** One check of one site (see the file comment). */
async function checkSite(
  rpc: KuboRpc,
  options: KuboFollowOptions,
  site: KuboFollowedSite,
  signal: AbortSignal,
) {
  const now = Date.now()
  site.lastCheck = iso(now)
  const pins = await pinNames(rpc, signal)
  await unpinDue(rpc, pins, site.name, now, signal)
  const current = [...pins].find(([, pinName]) => pinName === PIN_PREFIX + site.name)?.[0]
  const held = await kuboRecord(rpc, site.name, signal)
  if (site.root === null && current && held) {
    // A restarted sidecar: Kubo's record of the root it has pinned is where it stands.
    const record = await verifySiteRecord(site.name, held).catch(() => undefined)
    if (record && record.root.toString() === current) {
      site.root = current
      site.sequence = String(record.sequence)
    }
  }
  const candidates: RecordCandidate[] = held ? [{ source: `Kubo at ${rpc.url}`, bytes: held }] : []
  const failures: string[] = []
  await Promise.all(
    (options.from ?? []).map(async (url) => {
      try {
        const bytes = await fetchRecord(url, site.name, { signal })
        if (bytes) candidates.push({ source: url, bytes })
      } catch (err) {
        failures.push((err as Error).message)
      }
    }),
  )
  const state = site.root && site.sequence ? { root: site.root, sequence: BigInt(site.sequence) } : undefined
  const pick = await pickNewest(site.name, candidates, state)
  site.refused += pick.refused.length
  const problems = [...pick.refused]
  if (candidates.length === 0 && failures.length > 0) problems.push(`no record found: ${failures.join('; ')}`)
  if (pick.newer) {
    const root = pick.newer.root.toString()
    const since = site.pending?.root === root ? site.pending.since : iso(now)
    site.pending = { root, sequence: String(pick.newer.sequence), since }
    try {
      await moveTo(rpc, options, site, current, pins, pick.newer.root, signal)
      const form = new FormData()
      form.append('file', new Blob([pick.newer.bytes as Uint8Array<ArrayBuffer>]), 'record')
      await rpc.call(
        'routing/put',
        [
          ['arg', `/ipns/${site.name}`],
          ['allow-offline', 'true'],
        ],
        { body: form, signal },
      )
      const served = Date.now()
      Object.assign(site, {
        root,
        sequence: String(pick.newer.sequence),
        firstSeen: since,
        lagMs: served - Date.parse(since),
        pending: null,
      })
    } catch (err) {
      if (signal.aborted) throw err
      problems.push(
        `could not pin ${root} (sequence ${pick.newer.sequence}) on Kubo: ${(err as Error).message}`,
      )
    }
  }
  site.lastError = problems.length > 0 ? { message: problems.join(' | '), at: iso(Date.now()) } : null
}

/** Connects Kubo to the root's providers and moves the `follow:<name>` pin to it. */
async function moveTo(
  rpc: KuboRpc,
  options: KuboFollowOptions,
  site: KuboFollowedSite,
  current: string | undefined,
  pins: Map<string, string>,
  root: { toString(): string },
  signal: AbortSignal,
) {
  const target = root.toString()
  if (target === current) return
  const providers = await findProviders(options.from ?? [], root as never, signal)
  await Promise.all(
    providers.origins.map((origin) =>
      rpc.call('swarm/connect', [['arg', origin]], { signal, timeoutMs: 10_000 }).catch(() => {}),
    ),
  )
  const timeoutMs = options.fetchTimeoutMs ?? 600_000
  const pinName = PIN_PREFIX + site.name
  if (current && !pins.has(target)) {
    await rpc.call(
      'pin/update',
      [
        ['arg', current],
        ['arg', target],
        ['unpin', 'false'],
      ],
      { signal, timeoutMs },
    )
  }
  // Names the new pin (`pin/update` keeps the old name; a retired root coming back is renamed).
  await rpc.call(
    'pin/add',
    [
      ['arg', target],
      ['name', pinName],
    ],
    { signal, timeoutMs },
  )
  if (current) {
    const until = iso(Date.now() + (options.graceMs ?? 600_000))
    await rpc.call(
      'pin/add',
      [
        ['arg', current],
        ['name', `${pinName}${UNTIL}${until}`],
      ],
      { signal },
    )
  }
}

/** Unpins the previous roots of `name` whose grace period is over. */
async function unpinDue(
  rpc: KuboRpc,
  pins: Map<string, string>,
  name: string,
  now: number,
  signal: AbortSignal,
) {
  const prefix = `${PIN_PREFIX}${name}${UNTIL}`
  for (const [cid, pinName] of pins) {
    if (!pinName.startsWith(prefix) || !(Date.parse(pinName.slice(prefix.length)) <= now)) continue
    await rpc.call('pin/rm', [['arg', cid]], { signal })
    pins.delete(cid)
  }
}
