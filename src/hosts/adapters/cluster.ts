/**
 * The IPFS Cluster REST API (default port 9094), as documented at
 * https://ipfscluster.io/documentation/reference/api/ and in the cluster's own `api/rest` and
 * `api/types.go`: `GET /id`, `POST /add?format=car` (a CAR imported and its root pinned),
 * `POST /pins/{cid}` (pin options as query parameters), `GET /pins/{cid}` (a `GlobalPinInfo`
 * with one status per cluster peer) and `DELETE /pins/{cid}`; `GET /peers` and `GET /health/alerts`
 * to name the peers that are down (./cluster-peers.ts). Errors are `{ code, message }`. Checked
 * against a real IPFS Cluster v1.1.6 of two CRDT peers (test/hosts/cluster-adapter.test.ts).
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { SITE_META_KEY } from '../../push/site-identity.js'
import { HostError, type HostRequest, hostRequest, type RetryPolicy } from '../http.js'
import type { HostAdapter, HostCheck, HostTarget, PushJob, PushOutcome } from '../types.js'
import {
  assessPin,
  type ClusterCid,
  describeLost,
  downPeers,
  type GlobalPinInfo,
  type PinAssessment,
} from './cluster-peers.js'

export interface ClusterAdapterOptions {
  retry?: Partial<RetryPolicy>
  /** First interval of the status polling (doubles up to 5 s). @default 500 */
  pollMs?: number
  /**
   * How long an allocated peer may report `cluster_error` (its cluster daemon not answering)
   * before it counts as down rather than restarting. @default 10_000
   */
  peerDownMs?: number
}

/** One line (or array item) of `POST /add`. */
interface AddedOutput {
  name?: string
  cid: ClusterCid
  size?: number
  allocations?: string[]
}

const cidString = (cid: ClusterCid): string | undefined => (typeof cid === 'string' ? cid : cid?.['/'])
const describe = (host: HostTarget) => `Host "${host.name}" (${host.url})`

/**
 * Cluster takes either basic auth (`user:password`, its `basic_auth_credentials`) or a JWT from
 * `POST /token` as a bearer token. A JWT never contains a colon, so the token says which.
 */
const authOf = (host: HostTarget): HostRequest['auth'] => (host.token?.includes(':') ? 'basic' : 'bearer')

/**
 * An IPFS Cluster host. `push` uploads the site's CAR (`/add?format=car`, streamed from its
 * files); with `wait` it polls the pin's
 * status until `replicationMin` peers (every allocated peer that is not down when unset) report
 * `pinned`. A peer that is down is named: in the error when too few peers are left to reach
 * `replicationMin` (or the cluster cannot allocate the pin), else in the outcome's `detail`.
 */
export function clusterAdapter(host: HostTarget, options: ClusterAdapterOptions = {}): HostAdapter {
  return {
    check: (signal) => checkCluster(host, options, signal),
    // The Cluster REST API has no way to take an IPNS record (its peers' Kubo nodes do: register
    // one as a `kubo` host to put it there).
    push: async (job) => {
      const outcome = await pushCluster(host, job, options)
      return job.record ? { ...outcome, record: 'unsupported' } : outcome
    },
  }
}

async function checkCluster(
  host: HostTarget,
  options: ClusterAdapterOptions,
  signal?: AbortSignal,
): Promise<HostCheck> {
  const started = performance.now()
  try {
    const res = await hostRequest(host, {
      path: '/id',
      auth: authOf(host),
      retry: { retries: 1, ...options.retry },
      timeoutMs: 10_000,
      ...(signal ? { signal } : {}),
    })
    const latencyMs = performance.now() - started
    let id: { version?: string; error?: string; ipfs?: { error?: string } }
    try {
      id = res.json()
    } catch {
      const error = `${describe(host)} answered GET /id with something that is not IPFS Cluster's peer information. Check that the URL is the cluster's REST API (port 9094 by default).`
      return { reachable: true, authorised: false, latencyMs, error }
    }
    const problem = id.error || (id.ipfs?.error ? `its IPFS daemon: ${id.ipfs.error}` : '')
    return {
      reachable: true,
      authorised: true,
      ...(id.version ? { version: id.version } : {}),
      latencyMs,
      ...(problem ? { error: `${describe(host)} reports a problem with ${problem}` } : {}),
    }
  } catch (err) {
    const latencyMs = performance.now() - started
    const error = (err as Error).message
    if (err instanceof HostError && err.code !== 'ERR_HOST_UNREACHABLE') {
      return { reachable: true, authorised: false, latencyMs, error }
    }
    return { reachable: false, authorised: false, latencyMs, error }
  }
}

async function pushCluster(
  host: HostTarget,
  job: PushJob,
  options: ClusterAdapterOptions,
): Promise<PushOutcome> {
  const root = job.root.toString()
  let bytesSent = 0
  const request = async (req: HostRequest) => {
    const res = await hostRequest(host, {
      auth: authOf(host),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(job.signal ? { signal: job.signal } : {}),
      ...req,
    })
    bytesSent += res.bytesSent
    return res
  }
  const status = async (): Promise<GlobalPinInfo> => {
    const res = await request({ path: `/pins/${root}`, accept: [404] })
    return res.status === 404 ? { cid: root } : parse<GlobalPinInfo>(host, res.text, `GET /pins/${root}`)
  }

  const downSince = new Map<string, number>()
  const before = assessPin(await status(), host.replicationMin, downSince, 0)
  if (before.done) {
    const down = lostNote(root, before)
    return { status: 'already-pinned', bytesSent, requestid: root, ...(down ? { detail: down } : {}) }
  }

  const pinOptions = new URLSearchParams({ name: job.name, mode: 'recursive' })
  if (host.replicationMin !== undefined) pinOptions.set('replication-min', String(host.replicationMin))
  if (host.replicationMax !== undefined) pinOptions.set('replication-max', String(host.replicationMax))
  // Cluster keeps `meta-<key>` query parameters as the pin's metadata.
  if (job.site) pinOptions.set(`meta-${SITE_META_KEY}`, job.site)
  let detail: string
  try {
    const size = await job.blocks.carBytes()
    await uploadCar(host, job, root, pinOptions, request)
    detail = `uploaded the CAR (${size} bytes)`
  } catch (err) {
    throw await withDownPeers(err, request)
  }

  // Cluster has no "replace": the new pin is added, then the old one removed. With `wait` the old
  // one stays until the new one is pinned, so a failed push never leaves the site unpinned.
  const previous = job.previous?.root && job.previous.root !== root ? job.previous.root : undefined
  let replaced: string | undefined
  const unpinPrevious = async () => {
    if (!previous) return
    try {
      const res = await request({ method: 'DELETE', path: `/pins/${previous}`, accept: [404] })
      if (res.status === 404) return // not pinned here (any more): nothing replaced
      replaced = previous
      detail += `, removed the previous pin ${previous}`
    } catch (err) {
      if (!(err instanceof HostError)) throw err
      detail += `, but could not remove the previous pin ${previous} (${err.message}); remove it with \`ipfs-cluster-ctl pin rm ${previous}\``
    }
  }

  if (!job.wait) {
    await unpinPrevious()
    return { status: 'queued', bytesSent, requestid: root, ...(replaced ? { replaced } : {}), detail }
  }
  const done = await waitPinned(host, job, root, options, status, downSince)
  const down = lostNote(root, done, await downPeers(getText(request)))
  if (down) detail += `; ${down}`
  await unpinPrevious()
  return { status: 'pinned', bytesSent, requestid: root, ...(replaced ? { replaced } : {}), detail }
}

type Request = (req: HostRequest) => Promise<{ text: string }>

/** `POST /add?format=car`: the CAR streamed from the site's files as multipart/form-data, its root pinned. */
async function uploadCar(
  host: HostTarget,
  job: PushJob,
  root: string,
  pinOptions: URLSearchParams,
  request: Request,
): Promise<void> {
  const query = new URLSearchParams(pinOptions)
  query.set('format', 'car')
  // Buffered output: a failed import is then an HTTP error with a `{ code, message }` body instead
  // of an `X-Stream-Error` trailer after a 200, which fetch cannot read.
  query.set('stream-channels', 'false')
  const boundary = `p2pcdn-${randomBytes(12).toString('hex')}`
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="site.car"\r\nContent-Type: application/vnd.ipld.car\r\n\r\n`,
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const res = await request({
    method: 'POST',
    path: `/add?${query}`,
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body: async function* () {
      yield head
      yield* job.blocks.car(job.signal ? { signal: job.signal } : {})
      yield tail
    },
    // an import of a large site takes longer than an API call
    timeoutMs: Math.max(job.timeoutMs, 120_000),
  })
  const added = parseAdded(host, res.text)
  if (!added.some((a) => cidString(a.cid) === root)) {
    const got = added.map((a) => cidString(a.cid)).join(', ') || 'nothing'
    throw new HostError(
      'ERR_HOST_FAILED',
      `${describe(host)} answered POST /add with ${got} instead of the site's root ${root}. Check the cluster peer's log for the import error.`,
    )
  }
}

/**
 * Polls `GET /pins/{cid}` until enough allocated peers report `pinned` ({@link assessPin}). Fails
 * as soon as too many peers are lost (`pin_error`, or down for `peerDownMs`) for that ever to
 * happen, naming them; else at `job.timeoutMs` with every peer's state.
 */
async function waitPinned(
  host: HostTarget,
  job: PushJob,
  root: string,
  options: ClusterAdapterOptions,
  status: () => Promise<GlobalPinInfo>,
  downSince: Map<string, number>,
): Promise<PinAssessment> {
  const deadline = Date.now() + job.timeoutMs
  const graceMs = options.peerDownMs ?? 10_000
  let interval = options.pollMs ?? 500
  for (;;) {
    const info = await status()
    const now = Date.now()
    const state = assessPin(info, host.replicationMin, downSince, graceMs, now)
    if (state.done) return state
    if (state.impossible) {
      const lost = state.lost.map((peer) => describeLost(root, peer)).join('; ')
      const min = host.replicationMin
      const wanted = min ? `${min} peers (replication-min)` : 'any peer'
      throw new HostError(
        'ERR_HOST_FAILED',
        `${describe(host)} cannot pin ${root} on ${wanted}: ${state.pinned} pinned it; ${lost}. Bring ${state.lost.length === 1 ? 'that peer' : 'those peers'} back (the cluster daemon and its IPFS daemon), then push again or run \`ipfs-cluster-ctl recover ${root}\`${min ? '; or lower replicationMin (--replication-min)' : ''}.`,
      )
    }
    if (now >= deadline) {
      const states = Object.entries(info.peer_map ?? {})
        .filter(([, p]) => p.status !== 'remote')
        .map(
          ([peer, p]) =>
            `${p.peername || peer}: ${p.status}${p.error ? ` (${p.error.replace(/\s+/g, ' ')})` : ''}`,
        )
        .join(', ')
      throw new HostError(
        'ERR_HOST_FAILED',
        `${describe(host)} did not pin ${root} within ${Math.round(job.timeoutMs / 1000)} s (${state.pinned} of ${state.needed} peers pinned${states ? `; ${states}` : ''}). It may still finish; check with \`p2pcdn hosts check\` or \`ipfs-cluster-ctl status ${root}\`, or use --no-wait.`,
      )
    }
    const wait = Math.max(0, Math.min(interval, deadline - now))
    await sleep(wait, undefined, job.signal ? { signal: job.signal } : undefined)
    interval = Math.min(interval * 2, 5_000)
  }
}

/**
 * For the `detail` of a pin that is pinned enough: its lost peers, and the cluster's other peers
 * that are down (gone from `GET /pins` once their heartbeat expired).
 */
function lostNote(root: string, state: PinAssessment, down = new Map<string, string>()): string {
  const notes = state.lost.map((peer) => describeLost(root, peer))
  for (const [peer, note] of down) if (!state.lost.some(([lost]) => lost === peer)) notes.push(note)
  if (notes.length === 0) return ''
  return `pinned on ${state.pinned} peer${state.pinned === 1 ? '' : 's'}; ${notes.join('; ')}`
}

const getText =
  (request: Request) =>
  async (path: string): Promise<string> =>
    (await request({ path, retry: { retries: 0 }, timeoutMs: 10_000 })).text

/**
 * A failed `/add` or `POST /pins` (typically "not enough peers to allocate CID") with the peers
 * that are down appended, from `GET /peers` and `GET /health/alerts`.
 */
async function withDownPeers(err: unknown, request: Request): Promise<unknown> {
  if (!(err instanceof HostError) || err.code !== 'ERR_HOST_FAILED') return err
  const down = await downPeers(getText(request))
  if (down.size === 0) return err
  return new HostError(
    'ERR_HOST_FAILED',
    `${err.message} Cluster peers down: ${[...down.values()].join('; ')}.`,
    err.status,
    {
      cause: err,
    },
  )
}

/** `/add` answers NDJSON, or one JSON array with `stream-channels=false`. */
function parseAdded(host: HostTarget, text: string): AddedOutput[] {
  const trimmed = text.trim()
  if (trimmed === '') return []
  if (trimmed.startsWith('[')) return parse<AddedOutput[]>(host, trimmed, 'POST /add')
  return trimmed.split('\n').map((line) => parse<AddedOutput>(host, line, 'POST /add'))
}

function parse<T>(host: HostTarget, text: string, what: string): T {
  try {
    return JSON.parse(text) as T
  } catch (cause) {
    throw new HostError(
      'ERR_HOST_FAILED',
      `${describe(host)} answered ${what} with something that is not IPFS Cluster JSON: ${text.slice(0, 120)}. Check that the URL is the cluster's REST API (port 9094 by default).`,
      undefined,
      { cause },
    )
  }
}
