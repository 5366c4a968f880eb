import { setTimeout as sleep } from 'node:timers/promises'
import { P2pcdnError } from '../../errors.js'
import { SITE_META_KEY } from '../../push/site-identity.js'
import { HostError, hostRequest, type RetryPolicy } from '../http.js'
import type { HostAdapter, HostCheck, HostTarget, PushJob, PushOutcome } from '../types.js'

/** The spec's `PinStatus` (IPFS Pinning Service API v1.0.0), as far as a client reads it. */
export interface PinStatus {
  requestid: string
  status: 'queued' | 'pinning' | 'pinned' | 'failed'
  created: string
  pin: { cid: string; name?: string; meta?: Record<string, string> }
  delegates: string[]
  info?: Record<string, string>
}

export interface PinningServiceAdapterOptions {
  retry?: Partial<RetryPolicy>
  /** First interval of the status polling (doubles up to 5 s). @default 500 */
  pollMs?: number
}

const ALL = 'queued,pinning,pinned,failed'

/** `check()` for any host that speaks the Pinning Service API: `GET /pins?limit=1`. */
export async function checkPinningService(host: HostTarget, signal?: AbortSignal): Promise<HostCheck> {
  const started = performance.now()
  try {
    await hostRequest(host, {
      path: '/pins?limit=1',
      retry: { retries: 1 },
      timeoutMs: 10_000,
      ...(signal ? { signal } : {}),
    })
    // The spec has no version endpoint: no `version` rather than the API's name in its place.
    return { reachable: true, authorised: true, latencyMs: performance.now() - started }
  } catch (err) {
    const latencyMs = performance.now() - started
    if (err instanceof HostError && err.code === 'ERR_HOST_AUTH') {
      return { reachable: true, authorised: false, latencyMs, error: err.message }
    }
    if (err instanceof HostError && err.code !== 'ERR_HOST_UNREACHABLE') {
      return { reachable: true, authorised: false, latencyMs, error: err.message }
    }
    return { reachable: false, authorised: false, latencyMs, error: (err as Error).message }
  }
}

/** The pin's `meta`: who made it, and which site it belongs to (`job.site`). */
export function pinMeta(job: PushJob): Record<string, string> {
  return { app_id: 'p2pcdn', ...(job.site ? { [SITE_META_KEY]: job.site } : {}) }
}

/**
 * Of a host's pins named `job.name`, the one for another CID that this push replaces. A pin whose
 * meta names another site is replaced only when the name was given explicitly (`job.nameGiven`);
 * otherwise this throws `ERR_SITE_NAME_TAKEN` and the other site's pin stays. A pin without a site
 * in its meta (made before sites were recorded, or by a host that keeps no meta) is taken to be
 * this site's.
 */
export function pinToReplace(host: HostTarget, job: PushJob, named: PinStatus[]): PinStatus | undefined {
  const root = job.root.toString()
  const others = named.filter((p) => p.pin.name === job.name && p.pin.cid !== root)
  if (job.site && !job.nameGiven) {
    const taken = others.find((p) => (p.pin.meta?.[SITE_META_KEY] ?? job.site) !== job.site)
    if (taken) {
      throw new P2pcdnError(
        'ERR_SITE_NAME_TAKEN',
        `Host "${host.name}" (${host.url}) already has a pin named "${job.name}" (${taken.pin.cid}) that another site made (${SITE_META_KEY} ${taken.pin.meta?.[SITE_META_KEY]}, this site is ${job.site}); it was left alone and this site was not pushed there. Give this site its own name with \`siteName\` (--site-name), or set \`siteName\` to "${job.name}" to replace that pin.`,
      )
    }
  }
  return others[0]
}

/**
 * Pushes a site through the IPFS Pinning Service API v1.0.0
 * (https://ipfs.github.io/pinning-services-api-spec/):
 * 1. `GET /pins?cid=<root>`: a request of this `name` already `pinned` means nothing is sent;
 * 2. a request of the same `name` for another CID is replaced (`POST /pins/{requestid}`) instead of
 *    piling up pins (unless another site made it: {@link pinToReplace}); otherwise `POST /pins`,
 *    with `origins` = the publishing node and the site in `meta` (IPFS Cluster, whose replace keeps
 *    the old pin's origins: `POST /pins`, then `DELETE` of the old one, {@link keepsOldOptions});
 * 3. the publisher dials the returned `delegates` (the spec's provider hints), and with `wait`,
 *    `GET /pins/{requestid}` is polled with backoff until `pinned` or `failed`.
 */
export function pinningServiceAdapter(
  host: HostTarget,
  options: PinningServiceAdapterOptions = {},
): HostAdapter {
  return {
    check: (signal) => checkPinningService(host, signal),
    // The Pinning Service API has no way to take an IPNS record.
    push: async (job) => {
      const outcome = await pushPin(host, job, options)
      return job.record ? { ...outcome, record: 'unsupported' } : outcome
    },
  }
}

/** The pin steps, shared with the p2pcdn adapter's fallback. */
export async function pushPin(
  host: HostTarget,
  job: PushJob,
  options: PinningServiceAdapterOptions = {},
  sentBefore = 0,
): Promise<PushOutcome> {
  const common = {
    ...(options.retry ? { retry: options.retry } : {}),
    ...(job.signal ? { signal: job.signal } : {}),
  }
  let bytesSent = sentBefore
  const root = job.root.toString()
  const existing = await hostRequest(host, {
    path: `/pins?cid=${encodeURIComponent(root)}&status=${ALL}&limit=1000`,
    ...common,
  })
  bytesSent += existing.bytesSent
  // Only a request of this site's name counts: another site's pin of the same CID may go any time.
  const found = existing.json<{ results: PinStatus[] }>().results.filter((p) => p.pin.name === job.name)
  const pinned = found.find((p) => p.status === 'pinned')
  if (pinned) return { status: 'already-pinned', bytesSent, requestid: pinned.requestid }

  let status = found.find((p) => p.status === 'queued' || p.status === 'pinning')
  let replaced: string | undefined
  /** A pin to remove once the new one is pinned, where the service cannot replace (see below). */
  let removeAfter: PinStatus | undefined
  if (!status) {
    const pin = { cid: root, name: job.name, origins: job.origins, meta: pinMeta(job) }
    const older = await hostRequest(host, {
      path: `/pins?name=${encodeURIComponent(job.name)}&status=${ALL}&limit=1000`,
      ...common,
    })
    bytesSent += older.bytesSent
    const previous = pinToReplace(host, job, older.json<{ results: PinStatus[] }>().results)
    if (previous && keepsOldOptions(previous)) removeAfter = previous
    const res = await hostRequest(host, {
      method: 'POST',
      path: previous && !removeAfter ? `/pins/${encodeURIComponent(previous.requestid)}` : '/pins',
      json: pin,
      ...common,
    })
    bytesSent += res.bytesSent
    status = res.json<PinStatus>()
    if (!removeAfter) replaced = previous?.pin.cid
  }
  await job.connect?.(status.delegates ?? []).catch(() => {})
  const remove = async (): Promise<Pick<PushOutcome, 'replaced' | 'detail'>> => {
    if (!removeAfter) return replaced ? { replaced } : {}
    const { requestid, pin } = removeAfter
    try {
      const res = await hostRequest(host, {
        method: 'DELETE',
        path: `/pins/${encodeURIComponent(requestid)}`,
        accept: [404],
        ...common,
      })
      bytesSent += res.bytesSent
      return res.status === 404 ? {} : { replaced: pin.cid, detail: `removed the previous pin ${pin.cid}` }
    } catch (err) {
      if (!(err instanceof HostError)) throw err
      return { detail: `could not remove the previous pin ${pin.cid} (${err.message})` }
    }
  }
  if (!job.wait) {
    if (status.status === 'failed') throw failed(host, status)
    const removed = await remove()
    return {
      status: status.status === 'pinned' ? 'pinned' : 'queued',
      bytesSent,
      requestid: status.requestid,
      ...removed,
    }
  }
  const deadline = Date.now() + job.timeoutMs
  let interval = options.pollMs ?? 500
  while (status.status !== 'pinned') {
    if (status.status === 'failed') throw failed(host, status)
    if (Date.now() > deadline) {
      throw new HostError(
        'ERR_HOST_FAILED',
        `Host "${host.name}" (${host.url}) did not pin ${root} within ${Math.round(job.timeoutMs / 1000)} s (still ${status.status}${status.info?.status_details ? `: ${status.info.status_details}` : ''}). It may still finish; check with \`p2pcdn hosts check\`, or use --no-wait.`,
      )
    }
    await sleep(interval, undefined, job.signal ? { signal: job.signal } : undefined)
    interval = Math.min(interval * 2, 5_000)
    const res = await hostRequest(host, { path: `/pins/${encodeURIComponent(status.requestid)}`, ...common })
    bytesSent += res.bytesSent
    status = res.json<PinStatus>()
  }
  const removed = await remove()
  return { status: 'pinned', bytesSent, requestid: status.requestid, ...removed }
}

/**
 * IPFS Cluster's Pinning Service API (it names itself in each pin's `info.source`) answers a
 * replace (`POST /pins/{requestid}`) with a copy of the old pin's options, `origins` and `meta`
 * included (`PinUpdate` in ipfs-cluster's cluster.go), and its `delegates` are empty: its peers
 * would look for the new DAG at the previous publish's node, long gone. There the new pin is
 * added (`POST /pins`) and the old one removed (`DELETE`) once the new one is pinned.
 */
function keepsOldOptions(previous: PinStatus): boolean {
  return /ipfs cluster/i.test(previous.info?.source ?? '')
}

function failed(host: HostTarget, status: PinStatus): HostError {
  return new HostError(
    'ERR_HOST_FAILED',
    `Host "${host.name}" (${host.url}) failed to pin ${status.pin.cid}: ${status.info?.status_details ?? 'no reason given'}.`,
  )
}
