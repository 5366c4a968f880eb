import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import type { Helia } from '@helia/interface'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import { Key } from 'interface-datastore'
import { CID } from 'multiformats/cid'
import { walkDag } from '../car/write-car.js'
import { blockKey } from '../utils/block-key.js'
import { type DagIndex, linksOf } from './dag-index.js'
import type { HostPins, PinChange } from './host-pins.js'
import { QuotaExceededError } from './quota-blockstore.js'

/**
 * Pin requests as the IPFS Pinning Service API v1.0.0 models them
 * (https://ipfs.github.io/pinning-services-api-spec/), kept in the repo's datastore so that a
 * restart (or a kill -9) loses none: a request found `queued` or `pinning` at start is resumed.
 * The host's pins ({@link HostPins}, Helia's format) hold the blocks; one pin per CID, however many
 * requests name it. A request and the pin it makes or drops are written in one batch.
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
  /** Dials `origins` and fetches what a request names (bitswap). */
  helia: Pick<Helia, 'blockstore'> & { libp2p: Pick<Libp2p, 'dial'> }
  datastore: Datastore
  pins: HostPins
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

const recordKey = (requestid: string) => new Key(PREFIX + requestid)
const encodeRequest = (request: StoredRequest) => new TextEncoder().encode(JSON.stringify(request))

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
    await this.#options.datastore.put(recordKey(request.requestid), encodeRequest(request))
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
   * Pins content that is already here, whole (a CAR upload), with a `pinned` request for each
   * root, in one batch. With `replace`, that request goes in the same batch, and so does the unpin
   * of its CID when no other request names it: the counts then move only for the blocks that are
   * in one version and not the other.
   */
  async addPinned(
    owner: string,
    entries: Array<{ pin: Pin; dag: DagIndex }>,
    info: Record<string, string>,
    replace?: string,
  ): Promise<PinStatus[]> {
    const requests = entries.map(
      ({ pin }): StoredRequest => ({
        requestid: randomUUID(),
        status: 'pinned',
        created: this.#created(),
        pin,
        owner,
        info,
      }),
    )
    const change: PinChange = {
      add: entries.map(({ pin, dag }) => ({ root: CID.parse(pin.cid), dag })),
      put: requests.map((request) => [recordKey(request.requestid), encodeRequest(request)]),
    }
    const old = replace === undefined ? undefined : this.#requests.get(replace)
    if (old?.owner === owner) {
      change.delete = [recordKey(old.requestid)]
      const unpin = await this.#unpinChange(old.pin.cid, old.requestid, requests)
      if (unpin) change.remove = [unpin]
    }
    const { unpinned } = await this.#options.pins.commit(change)
    if (old?.owner === owner) this.#forget(old.requestid)
    for (const request of requests) {
      this.#requests.set(request.requestid, request)
      this.#options.onChange?.(this.#view(request))
    }
    await this.#unpinned(unpinned)
    return requests.map((request) => this.#view(request))
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

  /** Removes a request; its CID's pin goes in the same batch when no other request names it. */
  async remove(owner: string, requestid: string): Promise<boolean> {
    const request = this.#requests.get(requestid)
    if (!request || request.owner !== owner) return false
    this.#forget(requestid)
    await this.#release(request.pin.cid, [recordKey(requestid)])
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

  /** Drops a request from memory and the queue, and stops its fetch. */
  #forget(requestid: string): void {
    this.#requests.delete(requestid)
    this.#queue = this.#queue.filter((id) => id !== requestid)
    this.#aborts.get(requestid)?.abort()
  }

  /**
   * The unpin of `cid` once request `leaving` is gone, or undefined while another request (or one
   * of `joining`) still names it. Waits for a fetch of it in progress.
   */
  async #unpinChange(
    cid: string,
    leaving?: string,
    joining: StoredRequest[] = [],
    waitForFetch = true,
  ): Promise<NonNullable<PinChange['remove']>[number] | undefined> {
    const key = cidKey(cid)
    const names = (r: StoredRequest) =>
      r.requestid !== leaving && cidKey(r.pin.cid) === key && r.status !== 'failed'
    if ([...this.#requests.values(), ...joining].some(names)) return undefined
    if (waitForFetch) await this.#inFlight.get(key)?.catch(() => {})
    const root = CID.parse(cid)
    const dag = await this.#options.pins.dagOf(root)
    return dag ? { root, dag } : undefined
  }

  /**
   * Deletes `records`, and unpins `cid` if no request names it any more, in one batch. From inside
   * the fetch of `cid` itself, `fromFetch` keeps it from waiting for that fetch.
   */
  async #release(cid: string, records: Key[] = [], fromFetch = false): Promise<void> {
    const unpin = await this.#unpinChange(cid, undefined, [], !fromFetch)
    const { unpinned } = await this.#options.pins.commit({
      delete: records,
      ...(unpin ? { remove: [unpin] } : {}),
    })
    await this.#unpinned(unpinned)
  }

  /**
   * After an unpin: the gateway forgets what it may serve, and a request that named the CID in
   * the meantime (added while the unpin was being prepared) is fetched and pinned again.
   */
  async #unpinned(cids: CID[]): Promise<void> {
    for (const cid of cids) {
      this.#options.onUnpin?.(cid)
      const key = cidKey(cid.toString())
      for (const request of [...this.#requests.values()]) {
        if (cidKey(request.pin.cid) !== key || request.status !== 'pinned') continue
        await this.#save({ ...request, status: 'queued', info: { status_details: 'queued' } })
        this.#enqueue(request.requestid)
      }
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
      if (!(await this.#options.pins.isPinned(cid))) {
        // Fetch the whole DAG first, then pin it in one batch: a fetch that fails part way
        // (timeout, quota) leaves only unpinned blocks, which `p2pcdn host gc` can remove.
        const dag: DagIndex = new Map()
        for await (const block of walkDag(cid, helia.blockstore, { signal, trusted: () => true })) {
          dag.set(blockKey(block.cid), { cid: block.cid, links: linksOf(block.cid, block.bytes) })
        }
        blocks = dag.size
        await this.#options.pins.commit({ add: [{ root: cid, dag }] })
      }
      if (!this.#requests.has(request.requestid)) {
        // Removed while it was being fetched.
        await this.#release(request.pin.cid, [], true)
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
