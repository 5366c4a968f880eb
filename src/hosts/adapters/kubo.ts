/**
 * The `kubo` host type: a Kubo node driven through its RPC API (`/api/v0/…`), as documented at
 * https://docs.ipfs.tech/reference/kubo/rpc/ — every command is a POST, arguments are repeated `arg`
 * query parameters and flags are query parameters, files go as multipart/form-data, answers are
 * JSON (NDJSON when streamed), errors are `{"Message", "Code", "Type": "error"}` with HTTP 500 (400
 * for a malformed call).
 */
import { randomBytes } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { type SiteRecord, verifySiteRecord } from '../../ipns/site-record.js'
import { withoutSecret } from '../../utils/without-secret.js'
import { HostError, type HostRequest, type HostResponse, hostRequest, type RetryPolicy } from '../http.js'
import type { HostAdapter, HostCheck, HostTarget, IpnsRecordJob, PushJob, PushOutcome } from '../types.js'

export interface KuboAdapterOptions {
  /** How requests are retried (network errors, 5xx, 429). `check()` makes at most one retry. */
  retry?: Partial<RetryPolicy>
}

/** `version` answers quickly or not at all. */
const CHECK_TIMEOUT_MS = 10_000

/** go-libp2p's `routing.QueryError` event type, in `routing/provide`'s event stream. */
const QUERY_ERROR = 3
/** go-libp2p's `routing.Value` event type: `routing/get`'s answer, the record in `Extra` (base64). */
const ROUTING_VALUE = 5

const describe = (host: HostTarget) => `Host "${host.name}" (${host.url})`

/**
 * The `Authorization` header for a Kubo host's token. Kubo's `API.Authorizations` takes
 * `AuthSecret`s of the form `bearer:<token>` or `basic:<user>:<password>` (or
 * `basic:<base64 of user:password>`), and this accepts the same strings; besides, a bare
 * `<user>:<password>` is sent as Basic auth and any other bare token as a Bearer token.
 */
export function kuboAuthorization(token: string): string {
  const basic = (value: string) =>
    `Basic ${value.includes(':') ? Buffer.from(value).toString('base64') : value}`
  if (token.startsWith('bearer:')) return `Bearer ${token.slice('bearer:'.length)}`
  if (token.startsWith('basic:')) return basic(token.slice('basic:'.length))
  return token.includes(':') ? basic(token) : `Bearer ${token}`
}

/** The same CID, whatever its version or base (Kubo answers in its own `cid-base`). */
function sameCid(a: string, b: CID): boolean {
  try {
    const v1 = b.toV1()
    return CID.parse(a).toV1().equals(v1)
  } catch {
    return a === b.toString()
  }
}

/**
 * Talks to a Kubo node's RPC API (`host.url` is its API address, e.g. http://127.0.0.1:5001).
 *
 * - `check()`: `POST /api/v0/version`. With `API.Authorizations` set, Kubo lets any valid token
 *   call `version` and refuses a missing or wrong one (403), so this checks the token; it does not
 *   check the token's `AllowedPaths` (a push needs `/api/v0/pin`, `/api/v0/dag/import`,
 *   `/api/v0/routing/provide`, and for the site's IPNS record `/api/v0/routing/put` and
 *   `/api/v0/routing/get`).
 * - `push(job)`: `pin/ls` the root (already pinned recursively: nothing else is sent), else check
 *   that the CAR holds the whole DAG (see below), then `dag/import` it (streamed from disk,
 *   `pin-roots=true`), which pins it before answering, so the outcome is `pinned` whatever
 *   `job.wait` says; then unpin `job.previous.root` when it was pinned and differs; then
 *   `routing/provide` the root, best effort; then, with `job.record`, `routing/put` the site's IPNS
 *   record (`allow-offline`), whose refusal fails the push. `job.origins` and `requestid` are not
 *   used (the CAR carries every block; Kubo pins have no request ids).
 *
 * Why the CAR is checked here first: Kubo's `dag/import` reads the CAR offline but pins through
 * its online DAG service (boxo's pinner walks the DAG with `FetchGraph`), so a CAR that lacks a
 * block does not fail with a `PinErrorMsg`: Kubo waits for the block from the network, for ever on
 * a node that has no peer with it, holding its pin lock (and so its GC) meanwhile. The same holds
 * for `pin/add`, even with `offline=true` (Kubo 0.43.1). A CAR without a block fails here instead,
 * before a byte is sent.
 *
 * The token (`host.token`) goes in the `Authorization` header as {@link kuboAuthorization} says:
 * `user:password` (or `basic:user:password`) as Basic auth, anything else (or `bearer:token`) as
 * a Bearer token — the two kinds of secret Kubo's `API.Authorizations` accepts.
 *
 * Failures are {@link HostError}s naming the host and, for a bad answer, the command.
 */
export function kuboAdapter(host: HostTarget, options: KuboAdapterOptions = {}): HostAdapter {
  const prefix = /\/api\/v0\/?$/.test(host.url) ? '' : 'api/v0/'
  const headers: Record<string, string> = host.token ? { Authorization: kuboAuthorization(host.token) } : {}

  const rpc = (command: string, params: Array<[string, string]>, extra: Partial<HostRequest> = {}) => {
    const query = new URLSearchParams(params).toString()
    return hostRequest(host, {
      retry: options.retry,
      ...extra,
      method: 'POST',
      path: `${prefix}${command}${query ? `?${query}` : ''}`,
      auth: 'none',
      headers: { ...headers, ...extra.headers },
    })
  }

  const badAnswer = (command: string, what: string) =>
    new HostError(
      'ERR_HOST_FAILED',
      `${describe(host)} answered POST /api/v0/${command} with ${what}. Check that ${host.url} is the address of a Kubo RPC API (e.g. http://127.0.0.1:5001).`,
    )

  const json = <T>(res: HostResponse, command: string): T => {
    try {
      return res.json<T>()
    } catch {
      throw badAnswer(command, 'a body that is not JSON')
    }
  }

  const ndjson = (res: HostResponse, command: string): unknown[] =>
    res.text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        try {
          return JSON.parse(line) as unknown
        } catch {
          throw badAnswer(command, 'a line that is not JSON')
        }
      })

  /** Text from the host, with the token (should the host echo it) taken out. */
  const scrub = (text: string) => withoutSecret(text, host.token)

  /** A Kubo error body's `Message`. */
  const kuboMessage = (res: HostResponse): string => {
    let message = res.text.trim()
    try {
      message = (JSON.parse(res.text) as { Message?: string }).Message ?? message
    } catch {}
    return scrub(message)
  }

  return {
    async check(signal?: AbortSignal): Promise<HostCheck> {
      const started = performance.now()
      const elapsed = () => Math.round(performance.now() - started)
      const retry = { ...options.retry, retries: Math.min(options.retry?.retries ?? 1, 1) }
      try {
        const res = await rpc('version', [], { retry, timeoutMs: CHECK_TIMEOUT_MS, signal })
        const latencyMs = elapsed()
        let version: unknown
        try {
          version = res.json<{ Version?: unknown }>().Version
        } catch {}
        if (typeof version !== 'string' || version === '') {
          return {
            reachable: true,
            authorised: false,
            latencyMs,
            error: badAnswer('version', 'no Kubo version').message,
          }
        }
        return { reachable: true, authorised: true, version, latencyMs }
      } catch (err) {
        if (signal?.aborted || !(err instanceof HostError)) throw err
        return {
          reachable: err.code !== 'ERR_HOST_UNREACHABLE',
          authorised: false,
          latencyMs: elapsed(),
          error: err.message,
        }
      }
    },

    async push(job: PushJob): Promise<PushOutcome> {
      const { signal } = job
      const root = job.root.toString()
      let bytesSent = 0
      const call = async (
        command: string,
        params: Array<[string, string]>,
        extra: Partial<HostRequest> = {},
      ) => {
        const res = await rpc(command, params, { signal, ...extra })
        bytesSent += res.bytesSent
        return res
      }

      /** `pin/ls --type=recursive <cid>`: Kubo answers 500 "path '…' is not pinned" when it is not. */
      const pinnedRecursively = async (cid: CID): Promise<boolean> => {
        const params: Array<[string, string]> = [
          ['arg', cid.toString()],
          ['type', 'recursive'],
        ]
        let res = await call('pin/ls', params, { accept: [500] })
        if (res.status === 500) {
          if (/not pinned/i.test(kuboMessage(res))) return false
          res = await call('pin/ls', params) // another failure: through the retries like any other call
        }
        const keys = json<{ Keys?: Record<string, { Type?: string }> }>(res, 'pin/ls').Keys
        if (keys === null || typeof keys !== 'object') throw badAnswer('pin/ls', 'no `Keys`')
        return Object.entries(keys).some(([key, value]) => sameCid(key, cid) && value?.Type === 'recursive')
      }

      /** Fails, sending nothing, when the site lacks a block of its DAG. */
      const checkCarWhole = async (): Promise<void> => {
        const missing = await job.blocks.firstMissing()
        if (missing) {
          throw new HostError(
            'ERR_HOST_FAILED',
            `${describe(host)} could not pin ${root}: the site lacks block ${missing} of its DAG, and Kubo would wait for that block from the network rather than fail, so nothing was sent. Run publish again.`,
          )
        }
      }

      /**
       * `dag/import` with `pin-roots`: the CAR as the one file part of a multipart/form-data body,
       * streamed from the site's files. Kubo answers 500 "import failed …" for a CAR it refuses (a block that
       * does not match its CID, one over its block size limit, a store that cannot take it): that
       * would fail again, so it is not retried. Resolves to a note on what was imported.
       */
      const importCar = async (): Promise<string> => {
        const boundary = `p2pcdn-${randomBytes(16).toString('hex')}`
        const head = Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="site.car"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        )
        const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
        const params: Array<[string, string]> = [
          ['pin-roots', 'true'],
          ['stats', 'true'],
        ]
        const request: Partial<HostRequest> = {
          headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
          body: async function* () {
            yield head
            yield* job.blocks.car(job.signal ? { signal: job.signal } : {})
            yield tail
          },
          timeoutMs: job.timeoutMs,
        }
        let imported = await call('dag/import', params, { ...request, accept: [500] })
        if (imported.status === 500) {
          const message = kuboMessage(imported)
          if (/^import failed/.test(message)) {
            throw new HostError(
              'ERR_HOST_FAILED',
              `${describe(host)} refused the site's CAR: ${message}. Run publish again.`,
              500,
            )
          }
          imported = await call('dag/import', params, request) // another failure: through the retries
        }
        const lines = ndjson(imported, 'dag/import') as Array<{
          Root?: { Cid?: { '/'?: string }; PinErrorMsg?: string }
          Stats?: { BlockCount?: number; BlockBytesCount?: number }
        }>
        const pinned = lines.find(
          (line) => typeof line?.Root?.Cid?.['/'] === 'string' && sameCid(line.Root.Cid['/'], job.root),
        )
        if (!pinned?.Root) {
          const named = lines.flatMap((line) => line?.Root?.Cid?.['/'] ?? [])
          throw badAnswer(
            'dag/import',
            `no pin of the site root ${root} (roots pinned: ${named.join(', ') || 'none'})`,
          )
        }
        if (pinned.Root.PinErrorMsg) {
          throw new HostError(
            'ERR_HOST_FAILED',
            `${describe(host)} imported the site's CAR but could not pin ${root}: ${scrub(pinned.Root.PinErrorMsg)}.`,
          )
        }
        const stats = lines.find((line) => line?.Stats)?.Stats
        return stats?.BlockCount !== undefined
          ? `imported ${stats.BlockCount} blocks (${stats.BlockBytesCount ?? '?'} bytes) and pinned ${root}`
          : `imported and pinned ${root}`
      }

      /**
       * Replacing the previous site: pin/rm after the import rather than `pin/update <old> <new>`.
       * dag/import with pin-roots has already pinned the new root (under Kubo's GC lock), so the new
       * site is never unprotected, and pin/update refuses or double-counts a `to` that is already
       * pinned; its one gain, a pin walk that skips subtrees shared with the old root, is small for
       * blocks that are all local already. A root this node does not pin is left alone.
       */
      const unpinPrevious = async (): Promise<{ note?: string; replaced?: string }> => {
        const previous = job.previous?.root
        if (!previous) return {}
        let old: CID
        try {
          old = CID.parse(previous)
        } catch {
          return { note: `left previous root ${previous} alone: not a CID` }
        }
        if (sameCid(old.toString(), job.root)) return {}
        try {
          if (!(await pinnedRecursively(old))) return {}
          await call('pin/rm', [
            ['arg', old.toString()],
            ['recursive', 'true'],
          ])
          return { note: `unpinned previous root ${old}`, replaced: old.toString() }
        } catch (err) {
          if (signal?.aborted || !(err instanceof HostError)) throw err
          return { note: `could not unpin previous root ${old}: ${err.message}` }
        }
      }

      /**
       * Announces the new root to the DHT. Best effort, never retried: Kubo's reprovider announces
       * pins anyway, and a node with routing off or no peers answers 500 ("cannot provide, no
       * connected peers"). Resolves to a note either way.
       */
      const announce = async (): Promise<string> => {
        try {
          const provided = await call(
            'routing/provide',
            [
              ['arg', root],
              ['recursive', 'true'],
            ],
            { retry: { ...options.retry, retries: 0 }, timeoutMs: job.timeoutMs },
          )
          let failure: string | undefined
          try {
            const events = ndjson(provided, 'routing/provide') as Array<{ Type?: number; Extra?: string }>
            failure = events.find((event) => event?.Type === QUERY_ERROR)?.Extra
          } catch {}
          return failure === undefined ? 'announced to the DHT' : `not announced to the DHT: ${failure}`
        } catch (err) {
          if (signal?.aborted || !(err instanceof HostError)) throw err
          return `not announced to the DHT (${err.message})`
        }
      }

      /**
       * `routing/put /ipns/<name>` with `allow-offline` (a node without peers keeps it in its own
       * datastore, and `ipfs name resolve` answers from there). Kubo refuses an invalid record
       * (500), but answers 200 to an older one and keeps its own: so the record it holds is read
       * back (`routing/get`), and one that is not ours fails the push as a refusal.
       */
      const putRecord = async (record: IpnsRecordJob): Promise<void> => {
        const boundary = `p2pcdn-${randomBytes(16).toString('hex')}`
        const head = Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="value-file"; filename="record"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        )
        const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
        const params: Array<[string, string]> = [
          ['arg', `/ipns/${record.name}`],
          ['allow-offline', 'true'],
        ]
        const put = await call('routing/put', params, {
          headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
          body: async function* () {
            yield head
            yield record.bytes
            yield tail
          },
          accept: [500],
        })
        if (put.status === 500) {
          const message = kuboMessage(put)
          const refused = /older|newer|invalid|signature|expired|validat/i.test(message)
          throw new HostError(
            refused ? 'ERR_HOST_REJECTED' : 'ERR_HOST_FAILED',
            `${describe(host)} refused the site's IPNS record for ${record.name}: ${message}.${refused && /older|newer/i.test(message) ? ' It holds a newer record for this name: push the newest output, or publish again to sign a record above it.' : ''}`,
            500,
          )
        }
        const held = await heldRecord(record.name)
        if (held === undefined || Buffer.from(held.bytes).equals(record.bytes)) return
        const ours = await verifySiteRecord(record.name, record.bytes)
        throw new HostError(
          'ERR_HOST_REJECTED',
          `${describe(host)} refused the site's IPNS record for ${record.name}: it keeps its own, sequence ${held.sequence} (${held.root}), over this one, sequence ${ours.sequence} (${ours.root}). It holds a newer record for this name: push the newest output, or publish again to sign a record above it.`,
        )
      }

      /** The record Kubo holds for `name` (`routing/get`), when it answers with a valid one. */
      const heldRecord = async (name: string): Promise<SiteRecord | undefined> => {
        const got = await call('routing/get', [['arg', `/ipns/${name}`]], { accept: [500] })
        if (got.status !== 200) return undefined
        let events: Array<{ Type?: number; Extra?: string }>
        try {
          events = ndjson(got, 'routing/get') as typeof events
        } catch {
          return undefined
        }
        const value = events.find((event) => event?.Type === ROUTING_VALUE && event.Extra)?.Extra
        if (value === undefined) return undefined
        return verifySiteRecord(name, Buffer.from(value, 'base64')).catch(() => undefined)
      }

      const withRecord = async (outcome: PushOutcome): Promise<PushOutcome> => {
        if (!job.record) return outcome
        await putRecord(job.record)
        return { ...outcome, bytesSent, record: 'stored' }
      }

      if (await pinnedRecursively(job.root)) {
        return withRecord({
          status: 'already-pinned',
          bytesSent,
          detail: `${root} is already pinned on this Kubo node; nothing sent`,
        })
      }
      await checkCarWhole()
      const notes = [await importCar()]
      const { note, replaced } = await unpinPrevious()
      if (note) notes.push(note)
      notes.push(await announce())
      return withRecord({
        status: 'pinned',
        bytesSent,
        ...(replaced ? { replaced } : {}),
        detail: notes.join('; '),
      })
    },
  }
}
