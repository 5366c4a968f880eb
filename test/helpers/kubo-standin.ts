/**
 * A stand-in for Kubo's RPC API, for the Kubo host adapter's tests.
 *
 * Kubo is a Go binary that no package registry reachable here ships, so it cannot run in this test
 * environment. This server follows Kubo's documented RPC API instead, for the commands the adapter
 * uses, with Kubo's request and response shapes:
 * - https://docs.ipfs.tech/reference/kubo/rpc/ — "HTTP status codes", `/api/v0/version`,
 *   `/api/v0/dag/import`, `/api/v0/pin/ls`, `/api/v0/pin/add`, `/api/v0/pin/rm`, `/api/v0/pin/update`,
 *   `/api/v0/routing/provide`: POST only, arguments as repeated `arg` query parameters, flags as
 *   query parameters, files as multipart/form-data, JSON answers (NDJSON for streamed output),
 *   errors as `{"Message", "Code", "Type": "error"}` with 500 (400 for a client error, `Code` 1).
 * - https://github.com/ipfs/kubo/blob/master/docs/config.md#apiauthorizations — with
 *   `API.Authorizations` set, a request without a matching `Authorization` header gets 403
 *   (`withAuthSecrets` in kubo's core/corehttp/commands.go; any valid header may call `version`).
 * - Error texts are Kubo's where its source shows them (core/commands/pin/pin.go,
 *   core/commands/routing.go, boxo's pinner).
 *
 * Blocks and pins live in a real Helia node (memory stores, no network): every block of an imported
 * CAR is re-hashed against its CID before it is stored, and pins are Helia pins.
 *
 * Not modelled: `AllowedPaths` (a valid header may call everything), Origin/CORS checks, errors
 * sent in a stream's trailer, text encodings (`enc=text`), the DHT (`routing/provide` checks its
 * arguments and the blocks, then answers as `provide` says).
 */
import '../../src/utils/promise-with-resolvers.js'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable, Transform } from 'node:stream'
import { CarBlockIterator } from '@ipld/car/iterator'
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { createHeliaLight, type Helia } from 'helia'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { BLOCK_HASHERS } from '../../src/utils/block-hashers.js'

/** The RPC commands the stand-in answers. */
export type KuboCommand =
  | 'version'
  | 'dag/import'
  | 'pin/ls'
  | 'pin/add'
  | 'pin/rm'
  | 'pin/update'
  | 'routing/provide'

/** One injected failure: the request's body is read, then answered with a Kubo error of this status. */
export interface KuboFault {
  status: number
  message?: string
}

export interface KuboStandinOptions {
  /** The exact `Authorization` header value expected (as `API.Authorizations` would); none: open API. */
  authorization?: string
  /** Failures answered, in order, before a command is handled for real. */
  faults?: Partial<Record<KuboCommand, KuboFault[]>>
  /**
   * What `routing/provide` does: `ok` (an empty event stream), `no-peers` (Kubo's 500 when the node
   * has no connections), `query-error` (200 with a QueryError event, as when the DHT walk fails).
   * @default 'ok'
   */
  provide?: 'ok' | 'no-peers' | 'query-error'
  /** @default '0.39.0' */
  version?: string
}

export interface RecordedRequest {
  method: string
  /** e.g. `/api/v0/dag/import` */
  path: string
  query: URLSearchParams
  /** Bytes of the request body. */
  bytes: number
}

export interface KuboStandin {
  /** Base URL of the API, e.g. `http://127.0.0.1:41234` (commands under `/api/v0/`). */
  url: string
  helia: Helia
  /** Every request, in arrival order. */
  requests: RecordedRequest[]
  /** Requests to one command, e.g. `calls('dag/import')`. */
  calls(command: KuboCommand): RecordedRequest[]
  close(): Promise<void>
}

const API = '/api/v0/'

/** A Kubo command error: `Code` 1 (client error) is answered with 400, anything else with 500. */
class RpcError extends Error {
  constructor(
    message: string,
    readonly code: 0 | 1 = 0,
  ) {
    super(message)
  }
}

function sendError(res: ServerResponse, status: number, message: string, code: number): void {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(`${JSON.stringify({ Message: message, Code: code, Type: 'error' })}\n`)
}

/** Go's `http.Error`: a plain-text body. */
function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' })
  res.end(`${text}\n`)
}

/** One JSON value, or several as NDJSON (Kubo's channel output, flagged with `X-Chunked-Output`). */
function sendJson(res: ServerResponse, values: unknown[], chunked = false): void {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    ...(chunked ? { 'X-Chunked-Output': '1', Trailer: 'X-Stream-Error' } : {}),
  })
  res.end(values.map((value) => `${JSON.stringify(value)}\n`).join(''))
}

/** Kubo's boolean flags: absent → default; `true`/`false`/`1`/`0`…; anything else is a 400. */
function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name)
  if (value === null) return fallback
  if (['true', '1', 't', 'T', 'TRUE', 'True', ''].includes(value)) return true
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(value)) return false
  throw new RpcError(`Could not convert value "${value}" to type "bool" (for option "-${name}")`, 1)
}

function requiredArgs(query: URLSearchParams, name: string): string[] {
  const args = query.getAll('arg')
  if (args.length === 0) throw new RpcError(`argument "${name}" is required`, 1)
  return args
}

/** `/ipfs/<cid>` or `<cid>`: Kubo's `PathOrCidPath`, without sub-paths. */
function toCid(arg: string): CID {
  const text = arg.replace(/^\/ipfs\//, '').replace(/\/+$/, '')
  try {
    return CID.parse(text)
  } catch (err) {
    throw new RpcError(`invalid path "${arg}": ${(err as Error).message}`)
  }
}

export async function startKuboStandin(options: KuboStandinOptions = {}): Promise<KuboStandin> {
  const helia = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() })
  await helia.start()
  const requests: RecordedRequest[] = []
  const faults = new Map(Object.entries(options.faults ?? {}).map(([k, v]) => [k, [...(v ?? [])]]))

  const recursivelyPinned = async (cid: CID): Promise<boolean> => {
    try {
      return (await helia.pins.get(cid)).depth === Number.POSITIVE_INFINITY
    } catch {
      return false
    }
  }
  const pinType = async (cid: CID): Promise<'recursive' | 'direct' | 'indirect' | undefined> => {
    try {
      return (await helia.pins.get(cid)).depth === Number.POSITIVE_INFINITY ? 'recursive' : 'direct'
    } catch {
      return (await helia.pins.isPinned(cid)) ? 'indirect' : undefined
    }
  }
  /** The first block of the DAG that is not here (the stand-in has no network to fetch it from). */
  const missingBlock = async (root: CID): Promise<CID | undefined> => {
    const seen = new Set<string>()
    const stack = [root]
    for (let cid = stack.pop(); cid; cid = stack.pop()) {
      if (seen.has(cid.toString())) continue
      seen.add(cid.toString())
      if (cid.multihash.code === identity.code) continue
      if (!(await helia.blockstore.has(cid))) return cid
      if (cid.code !== dagPb.code) continue
      const chunks: Uint8Array[] = []
      for await (const chunk of helia.blockstore.get(cid)) chunks.push(chunk)
      for (const link of dagPb.decode(Buffer.concat(chunks)).Links) stack.push(link.Hash)
    }
    return undefined
  }
  const pin = async (cid: CID): Promise<void> => {
    if (await recursivelyPinned(cid)) return
    const missing = await missingBlock(cid)
    if (missing) throw new RpcError(`block was not found locally (offline): ipld: could not find ${missing}`)
    try {
      for await (const _ of helia.pins.add(cid)) {
        // walks the DAG; every block must already be here (the stand-in has no network)
      }
    } catch (err) {
      throw new RpcError(`pin: ${(err as Error).message}`)
    }
  }
  const unpin = async (cid: CID): Promise<void> => {
    if (!(await recursivelyPinned(cid))) throw new RpcError('not pinned or pinned indirectly')
    for await (const _ of helia.pins.rm(cid)) {
      // walks the DAG to drop its block references
    }
  }

  const commands: Record<
    KuboCommand,
    (query: URLSearchParams, req: Readable, res: ServerResponse) => Promise<void>
  > = {
    async version(_query, _body, res) {
      sendJson(res, [
        {
          Version: options.version ?? '0.39.0',
          Commit: '',
          Repo: '18',
          System: `${process.arch}/${process.platform}`,
          Golang: 'go1.25.4',
        },
      ])
    },

    async 'dag/import'(query, body, res) {
      const pinRoots = flag(query, 'pin-roots', true)
      const stats = flag(query, 'stats', false)
      const silent = flag(query, 'silent', false)
      const files: File[] = []
      try {
        const form = await new Request('http://127.0.0.1/', {
          method: 'POST',
          headers: { 'content-type': String(res.req.headers['content-type'] ?? '') },
          body: Readable.toWeb(body) as ReadableStream,
          duplex: 'half',
        } as RequestInit).formData()
        for (const value of form.values()) if (typeof value !== 'string') files.push(value)
      } catch {
        // not multipart/form-data, or no file part: Kubo's argument parser reports the file argument
      }
      if (files.length === 0) throw new RpcError(`file argument 'path' is required`, 1)
      const roots: CID[] = []
      let blockCount = 0
      let blockBytes = 0
      for (const file of files) {
        let blocks: CarBlockIterator
        try {
          blocks = await CarBlockIterator.fromBytes(new Uint8Array(await file.arrayBuffer()))
        } catch (err) {
          throw new RpcError(`failed to read CAR header: ${(err as Error).message}`)
        }
        for (const root of await blocks.getRoots()) if (!roots.some((r) => r.equals(root))) roots.push(root)
        try {
          for await (const { cid, bytes } of blocks) {
            const hasher = BLOCK_HASHERS.get(cid.multihash.code)
            if (!hasher)
              throw new RpcError(
                `block ${cid}: unsupported hash function 0x${cid.multihash.code.toString(16)}`,
              )
            const { digest } = await hasher.digest(bytes)
            if (Buffer.compare(Buffer.from(digest), Buffer.from(cid.multihash.digest)) !== 0)
              throw new RpcError(`block ${cid}: its data does not match its CID`)
            await helia.blockstore.put(cid, bytes)
            blockCount++
            blockBytes += bytes.byteLength
          }
        } catch (err) {
          if (err instanceof RpcError) throw err
          throw new RpcError(`failed to read CAR: ${(err as Error).message}`)
        }
      }
      const out: unknown[] = []
      if (pinRoots) {
        for (const root of roots) {
          let error = ''
          try {
            await pin(root)
          } catch (err) {
            error = (err as Error).message
          }
          out.push({ Root: { Cid: { '/': root.toString() }, PinErrorMsg: error } })
        }
      }
      if (stats) out.push({ Stats: { BlockCount: blockCount, BlockBytesCount: blockBytes } })
      sendJson(res, silent ? [] : out, true)
    },

    async 'pin/ls'(query, body, res) {
      await drain(body)
      const type = query.get('type') ?? 'all'
      if (!['direct', 'indirect', 'recursive', 'all'].includes(type))
        throw new RpcError(`invalid type '${type}', must be one of {direct, indirect, recursive, all}`)
      const stream = flag(query, 'stream', false)
      const found: Array<{ Cid: string; Type: string }> = []
      const args = query.getAll('arg')
      if (args.length > 0) {
        for (const arg of args) {
          const cid = toCid(arg)
          const actual = await pinType(cid)
          if (!actual || (type !== 'all' && type !== actual))
            throw new RpcError(`path '${arg}' is not pinned`)
          found.push({ Cid: cid.toString(), Type: actual })
        }
      } else {
        for await (const p of helia.pins.ls()) {
          const actual = p.depth === Number.POSITIVE_INFINITY ? 'recursive' : 'direct'
          if (type === 'all' || type === actual) found.push({ Cid: p.cid.toString(), Type: actual })
        }
      }
      if (stream) sendJson(res, found, true)
      else
        sendJson(res, [{ Keys: Object.fromEntries(found.map((p) => [p.Cid, { Type: p.Type, Name: '' }])) }])
    },

    async 'pin/add'(query, body, res) {
      await drain(body)
      const args = requiredArgs(query, 'ipfs-path')
      if (!flag(query, 'recursive', true)) throw new RpcError('the stand-in pins recursively only')
      const pins: string[] = []
      for (const arg of args) {
        const cid = toCid(arg)
        await pin(cid)
        pins.push(cid.toString())
      }
      sendJson(res, [{ Pins: pins }])
    },

    async 'pin/rm'(query, body, res) {
      await drain(body)
      const args = requiredArgs(query, 'ipfs-path')
      flag(query, 'recursive', true)
      const pins: string[] = []
      for (const arg of args) {
        const cid = toCid(arg)
        await unpin(cid)
        pins.push(cid.toString())
      }
      sendJson(res, [{ Pins: pins }])
    },

    async 'pin/update'(query, body, res) {
      await drain(body)
      const args = query.getAll('arg')
      if (args.length < 1) throw new RpcError('argument "from-path" is required', 1)
      if (args.length < 2) throw new RpcError('argument "to-path" is required', 1)
      const unpinOld = flag(query, 'unpin', true)
      const from = toCid(args[0] as string)
      const to = toCid(args[1] as string)
      if (!from.equals(to)) {
        if (!(await recursivelyPinned(from)))
          throw new RpcError("'from' cid was not recursively pinned already")
        await pin(to)
        if (unpinOld) await unpin(from)
      }
      sendJson(res, [{ Pins: [from.toString(), to.toString()] }])
    },

    async 'routing/provide'(query, body, res) {
      await drain(body)
      const mode = options.provide ?? 'ok'
      if (mode === 'no-peers') throw new RpcError('cannot provide, no connected peers')
      const args = requiredArgs(query, 'key')
      flag(query, 'recursive', false)
      for (const arg of args) {
        let cid: CID
        try {
          cid = CID.parse(arg)
        } catch (err) {
          throw new RpcError((err as Error).message)
        }
        if (!(await helia.blockstore.has(cid)))
          throw new RpcError(`block ${cid} not found locally, cannot provide`)
      }
      // routing.QueryError is event type 3 (go-libp2p core/routing/query.go)
      const events =
        mode === 'query-error'
          ? [{ Extra: 'failed to find any peer in table', ID: '', Responses: null, Type: 3 }]
          : []
      sendJson(res, events, true)
    },
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      bytes: 0,
    }
    requests.push(record)
    const body = req.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          record.bytes += chunk.byteLength
          done(null, chunk)
        },
      }),
    )
    const command = url.pathname.startsWith(API) ? (url.pathname.slice(API.length) as KuboCommand) : undefined
    if (
      options.authorization !== undefined &&
      command !== undefined &&
      req.headers.authorization !== options.authorization
    ) {
      await drain(body)
      return sendText(
        res,
        403,
        'Kubo RPC Access Denied: Please provide a valid authorization token as defined in the API.Authorizations configuration.',
      )
    }
    if (command === undefined || !Object.hasOwn(commands, command)) {
      await drain(body)
      return sendText(res, 404, '404 page not found')
    }
    if (req.method !== 'POST') {
      await drain(body)
      return sendText(res, 405, '405 - Method Not Allowed')
    }
    const fault = faults.get(command)?.shift()
    if (fault) {
      await drain(body)
      return sendError(
        res,
        fault.status,
        fault.message ?? `injected fault ${fault.status}`,
        fault.status === 400 ? 1 : 0,
      )
    }
    try {
      await commands[command](url.searchParams, body, res)
    } catch (err) {
      if (!(err instanceof RpcError)) throw err
      await drain(body)
      sendError(res, err.code === 1 ? 400 : 500, err.message, err.code)
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy(err as Error)
      else sendError(res, 500, (err as Error).message ?? String(err), 0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    helia,
    requests,
    calls: (command) => requests.filter((r) => r.path === `${API}${command}`),
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await helia.stop()
    },
  }
}

/** Reads what is left of a request body (so its bytes are counted); a body already read or torn down is left alone. */
async function drain(body: Readable): Promise<void> {
  if (body.readableEnded || body.destroyed) return
  try {
    for await (const _ of body) {
      // counted by the recording transform
    }
  } catch {
    // the client went away
  }
}
