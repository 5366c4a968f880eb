import { CID } from 'multiformats/cid'
import { CAR_UPLOAD_PATH, MISSING_BLOCKS_PATH, STATUS_PATH } from '../../constants.js'
import { blockKey } from '../../utils/block-key.js'
import { HostError, hostRequest, type RetryPolicy } from '../http.js'
import type { HostAdapter, HostCheck, HostTarget, PushJob, PushOutcome } from '../types.js'
import { checkPinningService, type PinStatus, pinMeta, pinToReplace, pushPin } from './pinning-service.js'

export interface P2pcdnAdapterOptions {
  retry?: Partial<RetryPolicy>
  pollMs?: number
}

/**
 * Pushes a site to a `p2pcdn host`: the CAR upload fast path, sending only the blocks the host
 * lacks (it answers `POST /p2pcdn/v1/blocks/missing`), and replacing the previous site of the
 * same name (unless another site made it: `pinToReplace`); the site goes into the pin's meta. A
 * host without the upload endpoint is driven through the Pinning Service API.
 */
export function p2pcdnAdapter(host: HostTarget, options: P2pcdnAdapterOptions = {}): HostAdapter {
  return {
    check: (signal) => checkP2pcdn(host, signal),
    push: (job) => pushCar(host, job, options),
  }
}

/**
 * `check()`: the token through the Pinning Service API (`GET /pins?limit=1`), then the host's
 * version from its status (`GET /p2pcdn/v1/status`, best effort: a host too old to tell has none).
 */
async function checkP2pcdn(host: HostTarget, signal?: AbortSignal): Promise<HostCheck> {
  const check = await checkPinningService(host, signal)
  if (!check.reachable) return check
  try {
    const res = await hostRequest(host, {
      path: STATUS_PATH,
      auth: 'none',
      retry: { retries: 0 },
      timeoutMs: 10_000,
      ...(signal ? { signal } : {}),
    })
    const { version } = res.json<{ version?: unknown }>()
    if (typeof version === 'string' && version !== '') return { ...check, version }
  } catch {}
  return check
}

async function pushCar(host: HostTarget, job: PushJob, options: P2pcdnAdapterOptions): Promise<PushOutcome> {
  const common = {
    ...(options.retry ? { retry: options.retry } : {}),
    ...(job.signal ? { signal: job.signal } : {}),
  }
  const root = job.root.toString()
  let bytesSent = 0
  // This site's pins: already pinned under its name means nothing to send (a pin of the same CID
  // under another site's name does not count: that site may replace it any time).
  const named = await hostRequest(host, {
    path: `/pins?name=${encodeURIComponent(job.name)}&status=queued,pinning,pinned,failed&limit=1000`,
    ...common,
  })
  bytesSent += named.bytesSent
  const pins = named.json<{ results: PinStatus[] }>().results
  const pinned = pins.find((p) => p.pin.cid === root && p.pin.name === job.name && p.status === 'pinned')
  if (pinned) return { status: 'already-pinned', bytesSent, requestid: pinned.requestid }
  const previous = pinToReplace(host, job, pins)

  const cids = (await job.blocks.cids()).map((cid) => cid.toString())
  const missing = await hostRequest(host, {
    method: 'POST',
    path: MISSING_BLOCKS_PATH,
    json: { cids },
    accept: [404, 405],
    ...common,
  })
  bytesSent += missing.bytesSent
  if (missing.status === 404 || missing.status === 405) {
    // An older or other host without the fast path: pin by CID, fetched from our node over bitswap.
    return pushPin(host, job, options, bytesSent)
  }
  const wanted = new Set(missing.json<{ missing: string[] }>().missing.map((cid) => blockKey(CID.parse(cid))))

  const query = new URLSearchParams({ name: job.name, meta: JSON.stringify(pinMeta(job)) })
  if (previous) query.set('replace', previous.requestid)
  const upload = await hostRequest(host, {
    method: 'POST',
    path: `${CAR_UPLOAD_PATH}?${query}`,
    headers: { 'Content-Type': 'application/vnd.ipld.car' },
    body: () => job.blocks.car({ only: wanted, ...(job.signal ? { signal: job.signal } : {}) }),
    timeoutMs: Math.max(job.timeoutMs, 30_000),
    ...common,
  })
  bytesSent += upload.bytesSent
  const result = upload.json<{ roots: string[]; newBlocks: number; pins: PinStatus[] }>()
  if (!result.roots.includes(root)) {
    throw new HostError(
      'ERR_HOST_FAILED',
      `Host "${host.name}" (${host.url}) took the CAR but did not pin ${root}.`,
    )
  }
  return {
    status: 'pinned',
    bytesSent,
    ...(result.pins[0] ? { requestid: result.pins[0].requestid } : {}),
    ...(previous ? { replaced: previous.pin.cid } : {}),
    detail: `sent ${wanted.size} of ${cids.length} blocks`,
  }
}
