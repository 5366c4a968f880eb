/**
 * The few calls of Kubo's RPC API (`/api/v0/…`, https://docs.ipfs.tech/reference/kubo/rpc/) that
 * session discovery on a Kubo node makes: every command a POST, arguments as repeated `arg` query
 * parameters, answers JSON or NDJSON (streamed), errors `{"Message", "Code", "Type": "error"}`.
 * Failures are {@link HostError}s that name the API's URL and the command.
 */
import { errors } from '../errors.js'
import { kuboAuthorization } from '../hosts/adapters/kubo.js'
import { HostError } from '../hosts/http.js'
import { withoutSecret } from '../utils/without-secret.js'

export interface KuboRpcCallOptions {
  /** Aborts the call (its reason is thrown). */
  signal?: AbortSignal
  /** Longest wait for the whole answer. @default 30_000 */
  timeoutMs?: number
  /** A multipart body (`add`). */
  body?: FormData
}

export interface KuboRpc {
  /** The API's base URL, e.g. `http://127.0.0.1:5001`. */
  readonly url: string
  /** Runs a command; resolves to its answer's JSON values, one per line (one for most commands). */
  call<T>(command: string, params?: Array<[string, string]>, options?: KuboRpcCallOptions): Promise<T[]>
  /** Runs a command whose answer streams NDJSON (`routing/findprovs`); yields each value as it comes. */
  stream<T>(
    command: string,
    params?: Array<[string, string]>,
    options?: KuboRpcCallOptions,
  ): AsyncGenerator<T>
}

const EXAMPLE = 'e.g. http://127.0.0.1:5001'

/**
 * The base URL of a Kubo RPC API given as a URL (`http://127.0.0.1:5001`, with or without `/api/v0`)
 * or as the multiaddr Kubo prints (`/ip4/127.0.0.1/tcp/5001`).
 */
export function kuboApiUrl(api: string): string {
  if (typeof api !== 'string' || api.trim() === '') {
    throw errors.optionInvalid('api', api, `must be the URL of a Kubo RPC API, ${EXAMPLE}`)
  }
  const ma = /^\/(ip4|ip6|dns|dns4|dns6)\/([^/]+)\/tcp\/(\d+)(\/https?)?\/?$/.exec(api.trim())
  if (ma) {
    const host = ma[1] === 'ip6' ? `[${ma[2]}]` : ma[2]
    return `${ma[4] === '/https' ? 'https' : 'http'}://${host}:${ma[3]}`
  }
  let url: URL
  try {
    url = new URL(api.trim())
  } catch {
    throw errors.optionInvalid('api', api, `must be the URL of a Kubo RPC API, ${EXAMPLE}`)
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw errors.optionInvalid('api', api, `must be an http(s) URL without credentials, ${EXAMPLE}`)
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/v0$/, '')
  return `${url.origin}${path}`
}

/** A client for the Kubo RPC API at `api` (see {@link kuboApiUrl}); `token` as {@link kuboAuthorization} reads it. */
export function kuboRpc(api: string, token?: string): KuboRpc {
  const url = kuboApiUrl(api)
  const headers: Record<string, string> = token ? { Authorization: kuboAuthorization(token) } : {}
  const scrub = (text: string) => withoutSecret(text, token)

  /** Kubo's `Message` from an error body, else the body, shortened. */
  const said = (text: string) => {
    let message = text.replace(/\s+/g, ' ').trim()
    try {
      message = (JSON.parse(text) as { Message?: string }).Message ?? message
    } catch {}
    message = scrub(message)
    return message.length > 300 ? `${message.slice(0, 300)}…` : message
  }

  async function request(command: string, params: Array<[string, string]>, options: KuboRpcCallOptions) {
    const query = new URLSearchParams(params).toString()
    const timeoutMs = options.timeoutMs ?? 30_000
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    const what = `POST /api/v0/${command}`
    let res: Response
    try {
      res = await fetch(`${url}/api/v0/${command}${query ? `?${query}` : ''}`, {
        method: 'POST',
        headers,
        ...(options.body ? { body: options.body } : {}),
        signal,
      })
    } catch (cause) {
      if (options.signal?.aborted) throw options.signal.reason
      const code = (cause as { cause?: { code?: string; message?: string } }).cause
      const why = timeout.aborted
        ? `no answer to ${what} within ${Math.round(timeoutMs / 100) / 10} s`
        : (code?.code ?? code?.message ?? (cause as Error).message)
      throw new HostError(
        'ERR_HOST_UNREACHABLE',
        `Kubo's RPC API at ${url} is unreachable (${why}). Check the address (${EXAMPLE}) and that \`ipfs daemon\` is running.`,
        undefined,
        { cause },
      )
    }
    if (res.ok) return { res, signal }
    const text = await res.text().catch(() => '')
    const message = said(text)
    if (res.status === 401 || res.status === 403) {
      throw new HostError(
        'ERR_HOST_AUTH',
        `Kubo's RPC API at ${url} refused ${what} (HTTP ${res.status}${message ? `: ${message}` : ''}). ${
          token
            ? `Check the token: it must be one of the node's API.Authorizations secrets, allowed ${what.slice(5)}.`
            : "The node has API.Authorizations set: pass one of its secrets as the token (the CLI's --token-env)."
        }`,
        res.status,
      )
    }
    if (res.status === 404 || res.status === 405) {
      throw new HostError(
        'ERR_HOST_REJECTED',
        `${url} answered HTTP ${res.status} to ${what}: is it a Kubo RPC API (${EXAMPLE}), not a gateway?`,
        res.status,
      )
    }
    throw new HostError(
      'ERR_HOST_FAILED',
      `Kubo's RPC API at ${url} failed ${what} (HTTP ${res.status}${message ? `: ${message}` : ''}).`,
      res.status,
    )
  }

  const parse = <T>(command: string, line: string): T => {
    try {
      return JSON.parse(line) as T
    } catch {
      throw new HostError(
        'ERR_HOST_FAILED',
        `${url} answered POST /api/v0/${command} with a line that is not JSON: is it a Kubo RPC API (${EXAMPLE})?`,
      )
    }
  }

  return {
    url,
    async call<T>(command: string, params: Array<[string, string]> = [], options: KuboRpcCallOptions = {}) {
      const { res } = await request(command, params, options)
      const text = await res.text()
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => parse<T>(command, line))
    },
    async *stream<T>(
      command: string,
      params: Array<[string, string]> = [],
      options: KuboRpcCallOptions = {},
    ) {
      const { res } = await request(command, params, options)
      if (!res.body) return
      const decoder = new TextDecoder()
      let pending = ''
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true })
        const lines = pending.split('\n')
        pending = lines.pop() ?? ''
        for (const line of lines) if (line.trim() !== '') yield parse<T>(command, line)
      }
      pending += decoder.decode()
      if (pending.trim() !== '') yield parse<T>(command, pending)
    },
  }
}
