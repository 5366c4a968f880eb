/**
 * The IPNS records a host holds: one per name, the highest sequence it has seen (a host never goes
 * back to an older version), kept in the host's datastore so that a restart serves them again. Every
 * record is verified ({@link verifySiteRecord}: the name's key signed it, it is valid, it names an
 * `/ipfs/` root) before it is kept; an accepted record is also put into the DHT (best effort) where
 * the node has one, so that peers and Kubo resolve the name without asking this host.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import { Key } from 'interface-datastore'
import {
  compareRecords,
  IpnsRecordError,
  parseIpnsName,
  type SiteRecord,
  verifySiteRecord,
} from '../ipns/site-record.js'

const PREFIX = '/p2pcdn/ipns/'

/** What {@link IpnsStore.put} did with a record. */
export type IpnsPutOutcome = 'stored' | 'same' | 'older' | 'conflict-kept'

/** What the store needs of the node's routing (e.g. `helia.routing`): DHT put and get of records. */
export interface IpnsRouting {
  put(key: Uint8Array, value: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>
  get(key: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array>
}

export interface IpnsStoreOptions {
  datastore: Pick<Datastore, 'get' | 'put' | 'has' | 'query'>
  /** Where accepted records go (best effort) and {@link IpnsStore.resolveFromDht} asks; none: no DHT. */
  routing?: IpnsRouting
  /** How long a DHT put or get may take. @default 30_000 */
  dhtTimeoutMs?: number
  /** The clock records are checked against. @default Date.now */
  now?: () => number
}

export interface IpnsStoreEvents {
  /** A record was stored: a new name, or a newer version of one. */
  record: CustomEvent<SiteRecord>
  /** A DHT put of a stored record failed (the record is kept all the same). */
  error: CustomEvent<Error>
}

const keyOf = (name: string) => new Key(PREFIX + name)

/** A host's IPNS records; see the file comment. */
export class IpnsStore extends TypedEventEmitter<IpnsStoreEvents> {
  readonly #options: IpnsStoreOptions
  /** Verified records by canonical name (a cache of the datastore). */
  readonly #records = new Map<string, SiteRecord>()
  /** Names this host follows: a record for them is accepted without a token. */
  readonly #followed = new Set<string>()
  /** Per name, the put in progress: puts of one name run one after another. */
  readonly #queue = new Map<string, Promise<unknown>>()

  constructor(options: IpnsStoreOptions) {
    super()
    this.#options = options
  }

  #now(): number {
    return (this.#options.now ?? Date.now)()
  }

  /**
   * The record held for `name` (any form {@link parseIpnsName} reads), verified again now;
   * undefined when there is none or it has expired (an expired one still counts for sequences).
   */
  async get(name: string): Promise<SiteRecord | undefined> {
    const stored = await this.#stored(parseIpnsName(name).name)
    if (!stored || !(stored.validity.getTime() > this.#now())) return undefined
    return stored
  }

  /** The record held, expired or not (what a new one is compared with). */
  async #stored(name: string): Promise<SiteRecord | undefined> {
    const cached = this.#records.get(name)
    if (cached) return cached
    const key = keyOf(name)
    if (!(await this.#options.datastore.has(key))) return undefined
    const bytes = await this.#options.datastore.get(key)
    try {
      // Checked with time 0: the signature and value still matter, the validity is checked by get().
      const record = await verifySiteRecord(name, bytes, 0)
      this.#records.set(name, record)
      return record
    } catch {
      return undefined
    }
  }

  /**
   * Verifies a record for `name` and keeps it when it is newer than the one held (higher
   * sequence; at the same sequence with another root, the one valid longer, as Kubo's selector).
   * `stored` and `same` records (the latter when its validity is longer) are put into the DHT.
   * Throws {@link IpnsRecordError} when the record is invalid (the reason says why).
   */
  async put(name: string, bytes: Uint8Array): Promise<{ outcome: IpnsPutOutcome; record: SiteRecord }> {
    const canonical = parseIpnsName(name).name
    const record = await verifySiteRecord(canonical, bytes, this.#now())
    const previous = this.#queue.get(canonical) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(() => this.#keep(record))
    this.#queue.set(canonical, run)
    try {
      return await run
    } finally {
      if (this.#queue.get(canonical) === run) this.#queue.delete(canonical)
    }
  }

  async #keep(record: SiteRecord): Promise<{ outcome: IpnsPutOutcome; record: SiteRecord }> {
    const current = await this.#stored(record.name)
    const order = compareRecords(record, current)
    if (current && (order === 'older' || (order !== 'newer' && !(record.validity > current.validity)))) {
      return {
        outcome: order === 'older' ? 'older' : order === 'same' ? 'same' : 'conflict-kept',
        record: current,
      }
    }
    await this.#options.datastore.put(keyOf(record.name), record.bytes)
    this.#records.set(record.name, record)
    this.#publish(record)
    if (order === 'same') return { outcome: 'same', record }
    this.safeDispatchEvent('record', { detail: record })
    return { outcome: 'stored', record }
  }

  /**
   * Puts every record held (and still valid) into the DHT again, as Kubo republishes: DHT peers
   * drop values after a day or two. Resolves with how many were sent; failures are `error` events.
   */
  async republish(): Promise<number> {
    let sent = 0
    for (const name of await this.names()) {
      const record = await this.get(name).catch(() => undefined)
      if (!record) continue
      this.#publish(record)
      sent++
    }
    return sent
  }

  /** Puts a record into the DHT without waiting; a failure is an `error` event. */
  #publish(record: SiteRecord): void {
    const routing = this.#options.routing
    if (!routing) return
    const { routingKey } = parseIpnsName(record.name)
    const signal = AbortSignal.timeout(this.#options.dhtTimeoutMs ?? 30_000)
    routing.put(routingKey, record.bytes, { signal }).catch((cause: unknown) => {
      this.safeDispatchEvent('error', {
        detail: new Error(
          `Could not put the IPNS record of ${record.name} into the DHT: ${(cause as Error).message}`,
          { cause },
        ),
      })
    })
  }

  /**
   * Asks the DHT for `name`'s record and verifies it; undefined when nobody has one (or no DHT).
   * The record is returned, not stored: {@link put} it to keep it. Throws {@link IpnsRecordError}
   * when what the DHT gave is not a valid record for the name.
   */
  async resolveFromDht(
    name: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<SiteRecord | undefined> {
    const routing = this.#options.routing
    if (!routing) return undefined
    const parsed = parseIpnsName(name)
    const timeout = AbortSignal.timeout(this.#options.dhtTimeoutMs ?? 30_000)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    let bytes: Uint8Array
    try {
      bytes = await routing.get(parsed.routingKey, { signal })
    } catch (err) {
      if (options.signal?.aborted) throw err
      return undefined
    }
    return verifySiteRecord(parsed.name, bytes, this.#now())
  }

  /** The names of every record held (expired ones too). */
  async names(): Promise<string[]> {
    const names: string[] = []
    for await (const key of this.#options.datastore.query({ prefix: PREFIX })) {
      names.push(key.key.toString().slice(PREFIX.length))
    }
    return names
  }

  /** Marks a name as followed: records for it are then accepted without a token. */
  follow(name: string): void {
    this.#followed.add(parseIpnsName(name).name)
  }

  unfollow(name: string): void {
    this.#followed.delete(parseIpnsName(name).name)
  }

  /** True when this host holds a record for the name or follows it (a PUT needs no token then). */
  async knows(name: string): Promise<boolean> {
    const canonical = parseIpnsName(name).name
    return this.#followed.has(canonical) || (await this.#stored(canonical)) !== undefined
  }
}

export { IpnsRecordError }
