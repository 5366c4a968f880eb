/**
 * A stand-in for an IPFS Cluster peer's REST API, because IPFS Cluster is a Go binary that no
 * registry reachable here ships, so it cannot be installed or run in these tests. It follows the
 * documented API and its shapes:
 * - https://ipfscluster.io/documentation/reference/api/ (endpoints; "/add works like IPFS's add")
 * - ipfs-cluster `api/rest/restapi.go` (routes), `api/common/api.go` (basic auth or JWT bearer,
 *   the `{ code, message }` errors, 401 texts), `api/types.go` (`GlobalPinInfo`, `PinInfoShort`,
 *   `Pin`, `PinOptions.FromQuery`: `replication-min`, `replication-max`, `name`, `mode`, `origins`
 *   that must carry a `/p2p/` peer ID) and `api/add.go` (`format=car`, `stream-channels`, `AddedOutput`).
 *
 * One HTTP server on 127.0.0.1 plays the peer that receives requests; `peers` simulated cluster peers
 * appear in `peer_map`. Blocks and pins are real: a started Helia node verifies every CAR block
 * against its CID, stores it, and pins the root. Each allocated peer's status goes `pin_queued` →
 * `pinning` → `pinned` over `pinDelayMs` (+ `pinStaggerMs` per further peer). The stand-in's Helia
 * is offline, so a pin by CID only completes when its blocks are already in `helia.blockstore`.
 */
import '../../src/utils/promise-with-resolvers.js'
import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { CarReader } from '@ipld/car'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { createHeliaLight, type Helia } from 'helia'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'

/** The version `GET /id` reports. */
export const STANDIN_VERSION = '1.1.4'

export interface ClusterStandinOptions {
  /** `user:password` (Cluster's `basic_auth_credentials`): then Basic auth or a JWT signed with the password is required. */
  authorization?: string
  /** Simulated cluster peers in `peer_map`. @default 3 */
  peers?: number
  /** Time until an allocated peer reports `pinned` (`pin_queued` for the first half, then `pinning`). @default 0 */
  pinDelayMs?: number
  /** Extra time per further allocated peer, so peers finish one after another. @default 0 */
  pinStaggerMs?: number
  faults?: {
    /** HTTP statuses answered to the next `POST /add` requests, in order, before they are served. */
    addFailures?: number[]
    /** The first allocated peer reports `pin_error` with this message instead of pinning. */
    pinError?: string
  }
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  /** Size of the request body. */
  bytes: number
}

export interface ClusterStandin {
  url: string
  helia: Helia
  /** The simulated cluster peers' IDs, in allocation order. */
  peers: string[]
  requests: RecordedRequest[]
  close(): Promise<void>
}

interface PinRecord {
  cid: string
  name: string
  min: number
  max: number
  /** Allocated peers; empty = pinned everywhere (replication -1). */
  allocations: string[]
  origins: string[]
  created: Date
  /** Helia holds and pins the DAG. */
  ready: boolean
  error?: string
}

/** A JWT as Cluster's `POST /token` issues it: HS256, signed with the user's password, `iss` = user. */
export function clusterToken(user: string, password: string): string {
  const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const unsigned = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ iss: user })}`
  return `${unsigned}.${createHmac('sha256', password).update(unsigned).digest('base64url')}`
}

function verifyAuth(header: string | undefined, credentials: string): string | undefined {
  const [user = '', ...rest] = credentials.split(':')
  const password = rest.join(':')
  const same = (a: string, b: string) =>
    a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
  if (header?.startsWith('Basic ')) {
    return same(Buffer.from(header.slice(6), 'base64').toString(), credentials)
      ? undefined
      : 'unauthorized: access denied'
  }
  if (header?.toLowerCase().startsWith('bearer ')) {
    const [h, p, sig] = header.slice(7).split('.')
    if (!h || !p || !sig) return 'unauthorized: invalid token'
    let claims: { iss?: string }
    try {
      claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    } catch {
      return 'unauthorized: invalid token'
    }
    const expected = createHmac('sha256', password).update(`${h}.${p}`).digest('base64url')
    return claims.iss === user && same(sig, expected) ? undefined : 'unauthorized: invalid token'
  }
  return 'unauthorized: no auth provided'
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

export async function startClusterStandin(options: ClusterStandinOptions = {}): Promise<ClusterStandin> {
  const helia = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() })
  await helia.start()
  const peers: string[] = []
  for (let i = 0; i < (options.peers ?? 3); i++) {
    peers.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
  }
  const self = peers[0] ?? ''
  const pins = new Map<string, PinRecord>()
  const requests: RecordedRequest[] = []
  const addFailures = [...(options.faults?.addFailures ?? [])]
  const delay = options.pinDelayMs ?? 0
  const stagger = options.pinStaggerMs ?? 0

  const peerStatus = (pin: PinRecord | undefined, peer: string) => {
    const base = { peername: `cluster-${peers.indexOf(peer)}`, ipfs_peer_id: peer, error: '' }
    if (!pin) return { ...base, status: 'unpinned', timestamp: new Date().toISOString() }
    const order = pin.allocations.length > 0 ? pin.allocations.indexOf(peer) : peers.indexOf(peer)
    if (order < 0) return { ...base, status: 'remote', timestamp: pin.created.toISOString() }
    const elapsed = Date.now() - pin.created.getTime()
    const at = delay + order * stagger
    if (pin.error)
      return { ...base, status: 'pin_error', error: pin.error, timestamp: new Date().toISOString() }
    if (order === 0 && options.faults?.pinError && elapsed >= delay / 2) {
      return {
        ...base,
        status: 'pin_error',
        error: options.faults.pinError,
        timestamp: new Date().toISOString(),
      }
    }
    const status = elapsed < at / 2 ? 'pin_queued' : elapsed < at || !pin.ready ? 'pinning' : 'pinned'
    return { ...base, status, timestamp: new Date().toISOString(), attempt_count: 1, priority_pin: false }
  }
  const globalPinInfo = (cid: string) => {
    const pin = pins.get(cid)
    return {
      cid,
      name: pin?.name ?? '',
      allocations: pin?.allocations ?? [],
      origins: pin?.origins ?? [],
      created: (pin?.created ?? new Date(0)).toISOString(),
      metadata: null,
      peer_map: Object.fromEntries(peers.map((p) => [p, peerStatus(pin, p)])),
    }
  }
  const pinObject = (pin: PinRecord) => ({
    cid: pin.cid,
    type: 'pin',
    allocations: pin.allocations,
    max_depth: -1,
    reference: null,
    timestamp: pin.created.toISOString(),
    replication_factor_min: pin.min,
    replication_factor_max: pin.max,
    name: pin.name,
    mode: 'recursive',
    shard_size: 0,
    user_allocations: null,
    expire_at: '0001-01-01T00:00:00Z',
    metadata: null,
    origins: pin.origins,
  })

  /** `PinOptions.FromQuery` and the allocator: `replication` sets both; -1 (or nothing) = everywhere. */
  const pinRecord = (cid: string, q: URLSearchParams): PinRecord => {
    const int = (name: string) => {
      const v = q.get(name) ?? q.get('replication') ?? ''
      if (v === '') return 0
      if (!/^-?\d+$/.test(v)) throw new ApiError(400, `parameter ${name} invalid`)
      return Number(v)
    }
    const min = int('replication-min')
    const max = int('replication-max')
    const origins = (q.get('origins') ?? '').split(',').filter(Boolean)
    for (const o of origins) {
      if (!o.startsWith('/')) throw new ApiError(400, `error decoding multiaddress: invalid multiaddr "${o}"`)
      if (!o.includes('/p2p/')) throw new ApiError(400, 'multiaddress does not contain peer ID')
    }
    let allocations: string[] = []
    if (!(min === -1 || max === -1 || (min === 0 && max === 0))) {
      const wantMin = min || 1
      const wantMax = max || peers.length
      if (wantMin > wantMax) throw new ApiError(400, 'replication-min is greater than replication-max')
      if (wantMin > peers.length) {
        throw new ApiError(
          500,
          `not enough peers to allocate CID. Needed at least: ${wantMin}. Wanted at most: ${wantMax}. Available candidates: ${peers.length}.`,
        )
      }
      allocations = peers.slice(0, Math.min(wantMax, peers.length))
    }
    return {
      cid,
      name: q.get('name') ?? '',
      min,
      max,
      allocations,
      origins,
      created: new Date(),
      ready: false,
    }
  }

  const heliaPin = async (cid: CID) => {
    try {
      for await (const _ of helia.pins.add(cid, { signal: AbortSignal.timeout(5_000) })) {
        // drain: yields each block pinned
      }
    } catch (err) {
      if ((err as Error).name !== 'AlreadyPinnedError') throw err
    }
  }

  const parseCid = (s: string) => {
    try {
      return CID.parse(s)
    } catch (err) {
      throw new ApiError(400, `error decoding Cid: ${(err as Error).message}`)
    }
  }

  /** `POST /add?format=car`: every part a CAR with one root; blocks verified, stored, root pinned. */
  const checkAdd = (contentType: string, q: URLSearchParams) => {
    if (!contentType.startsWith('multipart/form-data')) {
      throw new ApiError(400, "request Content-Type isn't multipart/form-data")
    }
    const format = q.get('format') ?? ''
    if (!['car', 'unixfs', ''].includes(format)) throw new ApiError(400, 'format parameter is invalid')
    if (format !== 'car') throw new ApiError(400, 'this stand-in only imports format=car')
  }
  const add = async (body: Buffer, contentType: string, q: URLSearchParams) => {
    const form = await new Request('http://standin/add', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    }).formData()
    const out: object[] = []
    for (const [, part] of form) {
      if (typeof part === 'string') continue
      const reader = await CarReader.fromBytes(new Uint8Array(await part.arrayBuffer()))
      const roots = await reader.getRoots()
      const root = roots[0]
      if (roots.length !== 1 || !root) throw new ApiError(500, 'car file must have exactly one root')
      for await (const { cid, bytes } of reader.blocks()) {
        const hasher =
          cid.multihash.code === sha256.code
            ? sha256
            : cid.multihash.code === identity.code
              ? identity
              : undefined
        if (!hasher) throw new ApiError(500, `unsupported hash function in block ${cid}`)
        const digest = await hasher.digest(bytes)
        if (Buffer.compare(digest.digest, cid.multihash.digest) !== 0) {
          throw new ApiError(500, `block ${cid} does not match its CID`)
        }
        await helia.blockstore.put(cid, bytes)
      }
      const record = pinRecord(root.toString(), q)
      await heliaPin(root)
      record.ready = true
      pins.set(record.cid, record)
      out.push({ name: part.name, cid: record.cid, size: part.size, allocations: record.allocations })
    }
    return out
  }

  /** `POST /pins/{cid}`: Cluster fetches from IPFS (and `origins`); this Helia is offline. */
  const pin = (cid: CID, q: URLSearchParams) => {
    const record = pinRecord(cid.toString(), q)
    pins.set(record.cid, record)
    heliaPin(cid).then(
      () => {
        record.ready = true
      },
      (err: Error) => {
        record.error = `error pinning ${cid}: ${err.message}`
      },
    )
    return pinObject(record)
  }

  const route = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL) => {
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(`${JSON.stringify(value)}\n`)
    }
    const { pathname: path, searchParams: q } = url
    const method = req.method ?? 'GET'
    const pinPath = /^\/pins\/(?:ipfs\/)?([^/]+)$/.exec(path)
    if (method === 'GET' && path === '/id') {
      return send(200, {
        id: self,
        addresses: [`/ip4/127.0.0.1/tcp/9096/p2p/${self}`],
        cluster_peers: peers,
        cluster_peers_addresses: [],
        version: STANDIN_VERSION,
        commit: '',
        rpc_protocol_version: '/ipfscluster/1.0/rpc',
        error: '',
        ipfs: { id: self, addresses: [], error: '' },
        peername: 'cluster-0',
      })
    }
    if (method === 'GET' && path === '/version') return send(200, { version: STANDIN_VERSION })
    if (method === 'POST' && path === '/token' && options.authorization) {
      const [user, ...rest] = options.authorization.split(':')
      return send(200, { token: clusterToken(user ?? '', rest.join(':')) })
    }
    if (method === 'POST' && path === '/add') {
      const failure = addFailures.shift()
      if (failure) throw new ApiError(failure, 'service unavailable (stand-in fault)')
      const contentType = req.headers['content-type'] ?? ''
      checkAdd(contentType, q)
      // Buffered: errors are HTTP errors. Streamed (the default): 200 at once, NDJSON, errors in a trailer.
      if (q.get('stream-channels') === 'false') return send(200, await add(body, contentType, q))
      res.writeHead(200, { 'Content-Type': 'application/json', Trailer: 'X-Stream-Error' })
      let streamError = ''
      try {
        for (const item of await add(body, contentType, q)) res.write(`${JSON.stringify(item)}\n`)
      } catch (err) {
        streamError = (err as Error).message
      }
      res.addTrailers({ 'X-Stream-Error': streamError })
      return res.end()
    }
    if (pinPath?.[1] && method === 'GET') return send(200, globalPinInfo(parseCid(pinPath[1]).toString()))
    if (pinPath?.[1] && method === 'POST') return send(200, pin(parseCid(pinPath[1]), q))
    if (pinPath?.[1] && method === 'DELETE') {
      const cid = parseCid(pinPath[1])
      const record = pins.get(cid.toString())
      if (!record) throw new ApiError(404, 'not found')
      pins.delete(record.cid)
      try {
        for await (const _ of helia.pins.rm(cid)) {
          // drain
        }
      } catch {}
      return send(200, pinObject(record))
    }
    throw new ApiError(404, 'not found')
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin')
    const body = Buffer.concat(await req.toArray())
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      bytes: body.length,
    })
    try {
      if (options.authorization) {
        const denied = verifyAuth(req.headers.authorization, options.authorization)
        if (denied) {
          res.setHeader('WWW-Authenticate', 'Basic realm="Restricted IPFS Cluster API"')
          throw new ApiError(401, denied)
        }
      }
      await route(req, res, body, url)
    } catch (err) {
      const code = err instanceof ApiError ? err.code : 500
      if (!res.headersSent) {
        res.writeHead(code, { 'Content-Type': 'application/json' })
        res.end(`${JSON.stringify({ code, message: (err as Error).message })}\n`)
      } else res.destroy(err as Error)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    helia,
    peers,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await helia.stop()
    },
  }
}
