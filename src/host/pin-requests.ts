import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import type { Helia } from '@helia/interface'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import { Key } from 'interface-datastore'
import { CID } from 'multiformats/cid'
import { walkDag } from '../car/write-car.js'
import { pinWalker } from './pin-walker.js'
import { QuotaExceededError } from './quota-blockstore.js'

/**
 * Pin requests as the IPFS Pinning Service API v1.0.0 models them
 * (https://ipfs.github.io/pinning-services-api-spec/), kept in the repo's datastore so that a
 * restart (or a kill -9) loses none: a request found `queued` or `pinning` at start is resumed.
 * Helia's own pins hold the blocks; one Helia pin per CID, however many requests name it.
 */
export type PinRequestStatus = 'queued' | 'pinning' | 'pinned' | 'failed'

export interface Pin {
  cid: string
  name?: string
  origins?: string[]
  meta?: Record<string, string>
}

export interface PinStatus {
  requestid: string
  status: PinRequestStatus
  created: string
  pin: Pin
  delegates: string[]
  info?: Record<string, string>
}

interface StoredRequest extends Omit<PinStatus, 'delegates'> {
  /** Id of the token that made the request: a token sees only its own requests. */
  owner: string
}

export interface ListFilter {
  cid?: string[]
  name?: string
  match?: 'exact' | 'iexact' | 'partial' | 'ipartial'
  status?: PinRequestStatus[]
  before?: Date
  after?: Date
  limit?: number
  meta?: Record<string, string>
}

export interface PinRequestsOptions {
  helia: Helia & { libp2p: Libp2p }
  datastore: Datastore
  /** Multiaddrs clients should connect to for transfers (`PinStatus.delegates`). */
  delegates: () => string[]
  /** Pins fetched at once. @default 4 */
  concurrency?: number
  /** A pin that has not completed in this time fails. @default 600_000 */
  pinTimeoutMs?: number
  /** Called whenever a request changes status. */
  onChange?(status: PinStatus): void
  /** Called after a CID was unpinned (its last request removed). */
  onUnpin?(cid: CID): void
}

const PREFIX = '/p2pcdn/pin-requests/'

const cidKey = (cid: string): string => {
  const parsed = CID.parse(cid)
  return (parsed.version === 0 ? parsed.toV1() : parsed).toString()
}

function matches(text: string | undefined, wanted: string, how: ListFilter['match']): boolean {
  if (text === undefined) return false
  switch (how ?? 'exact') {
    case 'iexact':
      return text.toLowerCase() === wanted.toLowerCase()
    case 'partial':
      return text.includes(wanted)
    case 'ipartial':
      return text.toLowerCase().includes(wanted.toLowerCase())
    default:
      return text === wanted
  }
}

/** The pin request book-keeping and the queue that fetches and pins. */
export class PinRequests {
  #options: PinRequestsOptions
  #requests = new Map<string, StoredRequest>()
  #queue: string[] = []
  #running = 0
  #lastCreated = 0
  #inFlight = new Map<string, Promise<void>>()
  /** Per request, aborts its fetch when the request is removed. */
  #aborts = new Map<string, AbortController>()
  #controller = (() => {
    const controller = new AbortController()
    setMaxListeners(Number.POSITIVE_INFINITY, controller.signal)
    return controller
  })()
  #idle: Array<() => void> = []

  constructor(options: PinRequestsOptions) {
    this.#options = options
  }

  /** Loads the stored requests and resumes those a stop or a crash interrupted. */
  async start(): Promise<void> {
    for await (const { value } of this.#options.datastore.query({ prefix: PREFIX })) {
      const request = JSON.parse(new TextDecoder().decode(value)) as StoredRequest
      this.#requests.set(request.requestid, request)
      this.#lastCreated = Math.max(this.#lastCreated, Date.parse(request.created))
    }
    for (const request of this.#sorted()) {
      if (request.status === 'queued' || request.status === 'pinning') this.#enqueue(request.requestid)
    }
  }

  /** Aborts pins in progress; they stay `queued` and resume at the next start. */
  async stop(): Promise<void> {
    this.#queue.length = 0
    this.#controller.abort()
    await Promise.allSettled([...this.#inFlight.values()])
  }

  /** Resolves when no pin is queued or running (tests, `--exit-when-idle`). */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #sorted(): StoredRequest[] {
    return [...this.#requests.values()].sort((a, b) => Date.parse(b.created) - Date.parse(a.created))
  }

  #view(request: StoredRequest): PinStatus {
    const { owner: _owner, ...status } = request
    return { ...status, delegates: this.#options.delegates().slice(0, 20) }
  }

  async #save(request: StoredRequest): Promise<void> {
    this.#requests.set(request.requestid, request)
    await this.#options.datastore.put(
      new Key(PREFIX + request.requestid),
      new TextEncoder().encode(JSON.stringify(request)),
    )
    this.#options.onChange?.(this.#view(request))
  }

  /** A unique, increasing creation time (the spec paginates on it). */
  #created(): string {
    this.#lastCreated = Math.max(Date.now(), this.#lastCreated + 1)
    return new Date(this.#lastCreated).toISOString()
  }

  /** Records a new request (`queued`) and queues it. */
  async add(owner: string, pin: Pin): Promise<PinStatus> {
    const request: StoredRequest = {
      requestid: randomUUID(),
      status: 'queued',
      created: this.#created(),
      pin,
      owner,
      info: { status_details: 'queued' },
    }
    await this.#save(request)
    this.#enqueue(request.requestid)
    return this.#view(request)
  }

  /**
   * Records a request for content that is already here and pinned (the CAR upload): `pinned` at once.
   */
  async addPinned(owner: string, pin: Pin, info: Record<string, string>): Promise<PinStatus> {
    const request: StoredRequest = {
      requestid: randomUUID(),
      status: 'pinned',
      created: this.#created(),
      pin,
      owner,
      info,
    }
    await this.#save(request)
    return this.#view(request)
  }

  get(owner: string, requestid: string): PinStatus | undefined {
    const request = this.#requests.get(requestid)
    return request && request.owner === owner ? this.#view(request) : undefined
  }

  /** `GET /pins`: newest first; with no filter at all, only `pinned` ones, as the spec says. */
  list(owner: string | undefined, filter: ListFilter): { count: number; results: PinStatus[] } {
    const noFilter =
      !filter.cid &&
      filter.name === undefined &&
      !filter.status &&
      !filter.before &&
      !filter.after &&
      !filter.meta
    const statuses = filter.status ?? (noFilter ? ['pinned'] : undefined)
    const cids = filter.cid?.map(cidKey)
    const found = this.#sorted().filter((r) => {
      if (owner !== undefined && r.owner !== owner) return false
      if (statuses && !statuses.includes(r.status)) return false
      if (cids && !cids.includes(cidKey(r.pin.cid))) return false
      if (filter.name !== undefined && !matches(r.pin.name, filter.name, filter.match)) return false
      const created = Date.parse(r.created)
      if (filter.before && !(created < filter.before.getTime())) return false
      if (filter.after && !(created > filter.after.getTime())) return false
      if (filter.meta && Object.entries(filter.meta).some(([k, v]) => r.pin.meta?.[k] !== v)) return false
      return true
    })
    return { count: found.length, results: found.slice(0, filter.limit ?? 10).map((r) => this.#view(r)) }
  }

  /** All requests of every owner, for status and metrics. */
  counts(): Record<PinRequestStatus, number> {
    const counts = { queued: 0, pinning: 0, pinned: 0, failed: 0 }
    for (const request of this.#requests.values()) counts[request.status]++
    return counts
  }

  /** Removes a request; the Helia pin goes when no other request names the same CID. */
  async remove(owner: string, requestid: string): Promise<boolean> {
    const request = this.#requests.get(requestid)
    if (!request || request.owner !== owner) return false
    this.#requests.delete(requestid)
    this.#queue = this.#queue.filter((id) => id !== requestid)
    this.#aborts.get(requestid)?.abort()
    await this.#options.datastore.delete(new Key(PREFIX + requestid))
    await this.#unpinIfUnused(request.pin.cid)
    return true
  }

  /**
   * `POST /pins/{requestid}`: a new request for `pin`, and the old one removed. Blocks common to both
   * stay: unpinning never deletes blocks (only `p2pcdn host gc` does, and not while the host runs).
   */
  async replace(owner: string, requestid: string, pin: Pin): Promise<PinStatus | undefined> {
    if (this.#requests.get(requestid)?.owner !== owner) return undefined
    const status = await this.add(owner, pin)
    await this.remove(owner, requestid)
    return status
  }

  async #unpinIfUnused(cid: string): Promise<void> {
    const key = cidKey(cid)
    for (const other of this.#requests.values()) {
      if (cidKey(other.pin.cid) === key && other.status !== 'failed') return
    }
    await this.#inFlight.get(key)?.catch(() => {})
    const parsed = CID.parse(cid)
    if (await this.#options.helia.pins.isPinned(parsed)) {
      for await (const _ of this.#options.helia.pins.rm(parsed, { walker: pinWalker({ offline: true }) })) {
        // drain: rm yields each block it unpinned
      }
      this.#options.onUnpin?.(parsed)
    }
  }

  #enqueue(requestid: string): void {
    this.#queue.push(requestid)
    this.#pump()
  }

  #pump(): void {
    const concurrency = this.#options.concurrency ?? 4
    while (this.#running < concurrency && this.#queue.length > 0 && !this.#controller.signal.aborted) {
      const requestid = this.#queue.shift() as string
      this.#running++
      this.#process(requestid)
        .catch(() => {})
        .finally(() => {
          this.#running--
          this.#pump()
          if (this.#running === 0 && this.#queue.length === 0)
            for (const resolve of this.#idle.splice(0)) resolve()
        })
    }
  }

  async #process(requestid: string): Promise<void> {
    const request = this.#requests.get(requestid)
    if (!request || request.status === 'pinned' || request.status === 'failed') return
    const key = cidKey(request.pin.cid)
    // One fetch per CID: a second request for the same CID waits for the first.
    while (this.#inFlight.has(key)) await this.#inFlight.get(key)?.catch(() => {})
    const run = this.#pin(request)
    this.#inFlight.set(key, run)
    try {
      await run
    } finally {
      this.#inFlight.delete(key)
    }
  }

  /** Saves a new state of a request, unless it was removed meanwhile. */
  async #update(request: StoredRequest, patch: Pick<StoredRequest, 'status' | 'info'>): Promise<void> {
    if (this.#requests.has(request.requestid)) await this.#save({ ...request, ...patch })
  }

  async #pin(request: StoredRequest): Promise<void> {
    const { helia } = this.#options
    const cid = CID.parse(request.pin.cid)
    const timeoutMs = this.#options.pinTimeoutMs ?? 600_000
    const removed = new AbortController()
    this.#aborts.set(request.requestid, removed)
    const signal = AbortSignal.any([this.#controller.signal, removed.signal, AbortSignal.timeout(timeoutMs)])
    // Shared by every block fetch of the DAG.
    setMaxListeners(Number.POSITIVE_INFINITY, signal)
    let blocks = 0
    try {
      await this.#update(request, { status: 'pinning', info: { status_details: 'fetching' } })
      await Promise.all(
        (request.pin.origins ?? []).map((origin) =>
          helia.libp2p.dial(multiaddr(origin), { signal }).catch(() => undefined),
        ),
      )
      if (!(await helia.pins.isPinned(cid))) {
        // Fetch the whole DAG first, then pin it from the local store: a fetch that fails part way
        // (timeout, quota) leaves only unpinned blocks, which `p2pcdn host gc` can remove.
        for await (const _ of walkDag(cid, helia.blockstore, { signal, trusted: () => true })) blocks++
        for await (const _ of helia.pins.add(cid, { signal, walker: pinWalker({ offline: true }) })) {
          // drain: add yields each block it pins
        }
      }
      if (!this.#requests.has(request.requestid)) {
        // Removed while it was being fetched.
        await this.#unpinIfUnused(request.pin.cid)
        return
      }
      await this.#update(request, {
        status: 'pinned',
        info: { status_details: blocks > 0 ? `pinned ${blocks} blocks` : 'already pinned' },
      })
    } catch (err) {
      if (this.#controller.signal.aborted) {
        // Stopping: leave it queued so the next start resumes it.
        await this.#update(request, { status: 'queued', info: { status_details: 'queued' } })
        return
      }
      if ((err as Error).name === 'AlreadyPinnedError') {
        await this.#update(request, { status: 'pinned', info: { status_details: 'already pinned' } })
        return
      }
      const details =
        err instanceof QuotaExceededError
          ? err.message
          : signal.aborted
            ? `content not found within ${Math.round(timeoutMs / 1000)} s; check that an origin in Pin.origins has it and is reachable`
            : (err as Error).message
      await this.#update(request, { status: 'failed', info: { status_details: details } })
    } finally {
      this.#aborts.delete(request.requestid)
    }
  }
}
