import { createReadStream } from 'node:fs'
import { CarBlockIterator, CarCIDIterator } from '@ipld/car/iterator'
import { CarWriter } from '@ipld/car/writer'
import { CAR_UPLOAD_PATH, MISSING_BLOCKS_PATH } from '../../constants.js'
import { HostError, hostRequest, type RetryPolicy } from '../http.js'
import type { HostAdapter, HostTarget, PushJob, PushOutcome } from '../types.js'
import { checkPinningService, pushPin } from './pinning-service.js'

export interface P2pcdnAdapterOptions {
  retry?: Partial<RetryPolicy>
  pollMs?: number
}

interface PinStatus {
  requestid: string
  status: string
  pin: { cid: string }
}

/** The CAR's blocks whose CIDs are in `wanted`, as a CARv1 stream rooted at `root`. */
async function* partialCar(file: string, wanted: Set<string>): AsyncGenerator<Uint8Array> {
  const blocks = await CarBlockIterator.fromIterable(createReadStream(file))
  const { writer, out } = CarWriter.create(await blocks.getRoots())
  const feeding = (async () => {
    try {
      for await (const block of blocks) if (wanted.has(block.cid.toString())) await writer.put(block)
    } finally {
      await writer.close()
    }
  })()
  feeding.catch(() => {})
  yield* out
  await feeding
}

/**
 * Pushes a site to a `p2pcdn host`: the CAR upload fast path, sending only the blocks the host
 * lacks (it answers `POST /p2pcdn/v1/blocks/missing`), and replacing the previous site of the
 * same name. A host without the upload endpoint is driven through the Pinning Service API.
 */
export function p2pcdnAdapter(host: HostTarget, options: P2pcdnAdapterOptions = {}): HostAdapter {
  return {
    check: (signal) => checkPinningService(host, signal),
    push: (job) => pushCar(host, job, options),
  }
}

async function pushCar(host: HostTarget, job: PushJob, options: P2pcdnAdapterOptions): Promise<PushOutcome> {
  const common = {
    ...(options.retry ? { retry: options.retry } : {}),
    ...(job.signal ? { signal: job.signal } : {}),
  }
  const root = job.root.toString()
  let bytesSent = 0
  const pins = await hostRequest(host, {
    path: `/pins?cid=${encodeURIComponent(root)}&status=pinned&limit=1`,
    ...common,
  })
  bytesSent += pins.bytesSent
  const pinned = pins.json<{ results: PinStatus[] }>().results[0]
  if (pinned) return { status: 'already-pinned', bytesSent, requestid: pinned.requestid }

  const cids: string[] = []
  for await (const cid of await CarCIDIterator.fromIterable(createReadStream(job.car)))
    cids.push(cid.toString())
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
  const wanted = new Set(missing.json<{ missing: string[] }>().missing)

  const older = await hostRequest(host, {
    path: `/pins?name=${encodeURIComponent(job.name)}&status=queued,pinning,pinned,failed&limit=1000`,
    ...common,
  })
  bytesSent += older.bytesSent
  const previous = older.json<{ results: PinStatus[] }>().results.find((p) => p.pin.cid !== root)
  const query = new URLSearchParams({ name: job.name })
  if (previous) query.set('replace', previous.requestid)
  const upload = await hostRequest(host, {
    method: 'POST',
    path: `${CAR_UPLOAD_PATH}?${query}`,
    headers: { 'Content-Type': 'application/vnd.ipld.car' },
    body: () => partialCar(job.car, wanted),
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
  const notes = [`sent ${wanted.size} of ${cids.length} blocks`]
  if (previous) notes.push(`replaced ${previous.pin.cid}`)
  return {
    status: 'pinned',
    bytesSent,
    ...(result.pins[0] ? { requestid: result.pins[0].requestid } : {}),
    detail: notes.join('; '),
  }
}
