import { CID } from 'multiformats/cid'
import {
  CAR_UPLOAD_PATH,
  IPNS_RECORD_MEDIA_TYPE,
  MISSING_BLOCKS_PATH,
  ROUTING_IPNS_PATH,
  STATUS_PATH,
} from '../../constants.js'
import { blockKey } from '../../utils/block-key.js'
import { withoutSecret } from '../../utils/without-secret.js'
import { HostError, hostRequest, type RetryPolicy } from '../http.js'
import type { HostAdapter, HostCheck, HostTarget, IpnsRecordJob, PushJob, PushOutcome } from '../types.js'
import { checkPinningService, type PinStatus, pinMeta, pinToReplace, pushPin } from './pinning-service.js'

export interface P2pcdnAdapterOptions {
  retry?: Partial<RetryPolicy>
  pollMs?: number
}

/**
 * Pushes a site to a `p2pcdn host`: the CAR upload fast path, sending only the blocks the host
 * lacks (it answers `POST /p2pcdn/v1/blocks/missing`), and replacing the previous site of the
 * same name (unless another site made it: `pinToReplace`); the site goes into the pin's meta. A
 * host without the upload endpoint is driven through the Pinning Service API. Then the site's IPNS
 * record, when the job has one, is put on the host (`PUT /routing/v1/ipns/<name>`, Delegated
 * Routing V1): a host that refuses it fails the push.
 */
export function p2pcdnAdapter(host: HostTarget, options: P2pcdnAdapterOptions = {}): HostAdapter {
  return {
    check: (signal) => checkP2pcdn(host, signal),
    push: async (job) => {
      const outcome = await pushCar(host, job, options)
      if (!job.record) return outcome
      const put = await putRecord(host, job.record, options, job.signal)
      return { ...outcome, bytesSent: outcome.bytesSent + put.bytesSent, record: put.record }
    },
  }
}

/** A host's reason from an error body (`{"error": {"reason", "details"}}`, `{"message"}` or text), shortened, token removed. */
function reasonOf(text: string, host: HostTarget): string {
  let reason = text.trim()
  try {
    const body = JSON.parse(text) as {
      error?: { reason?: unknown; details?: unknown } | string
      message?: unknown
    }
    const said =
      typeof body.error === 'object'
        ? (body.error.details ?? body.error.reason)
        : (body.error ?? body.message)
    if (typeof said === 'string') reason = said
  } catch {}
  reason = withoutSecret(reason.replace(/\s+/g, ' '), host.token)
  return reason.length > 300 ? `${reason.slice(0, 300)}…` : reason
}

/**
 * `PUT /routing/v1/ipns/<name>` with the record and the token. 409 (the host holds a record with
 * a higher sequence) and 400 (invalid) fail with the host's reason; a host too old to have the
 * route (404, 405, 501) takes no records, which is not a failure.
 */
async function putRecord(
  host: HostTarget,
  record: IpnsRecordJob,
  options: P2pcdnAdapterOptions,
  signal: AbortSignal | undefined,
): Promise<{ record: 'stored' | 'unsupported'; bytesSent: number }> {
  const res = await hostRequest(host, {
    method: 'PUT',
    path: `${ROUTING_IPNS_PATH}/${record.name}`,
    headers: { 'Content-Type': IPNS_RECORD_MEDIA_TYPE },
    body: async function* () {
      yield record.bytes
    },
    accept: [400, 404, 405, 409, 501],
    ...(options.retry ? { retry: options.retry } : {}),
    ...(signal ? { signal } : {}),
  })
  if (res.status === 404 || res.status === 405 || res.status === 501) {
    return { record: 'unsupported', bytesSent: res.bytesSent }
  }
  if (res.status === 400 || res.status === 409) {
    const advice =
      res.status === 409
        ? 'It holds a newer record for this name (a higher sequence): push the newest output, or publish again to sign a record above it.'
        : 'Publish again to sign a new record.'
    throw new HostError(
      'ERR_HOST_REJECTED',
      `Host "${host.name}" (${host.url}) refused the site's IPNS record for ${record.name} (HTTP ${res.status}: ${reasonOf(res.text, host)}). ${advice}`,
      res.status,
    )
  }
  return { record: 'stored', bytesSent: res.bytesSent }
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
