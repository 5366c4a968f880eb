import { setTimeout as sleep } from 'node:timers/promises'
import { P2pcdnError } from '../errors.js'
import { withoutSecret } from '../utils/without-secret.js'
import type { HostTarget } from './types.js'

/** How requests to hosts are retried: network errors, 5xx and 429 only; never 4xx otherwise. */
export interface RetryPolicy {
  /** Attempts after the first. @default 4 */
  retries: number
  /** First backoff; doubled per attempt, with full jitter. @default 250 */
  baseMs: number
  /** Longest backoff. @default 8000 */
  maxMs: number
  /** Longest `Retry-After` honoured (a host asking for more is waited for this long). @default 60000 */
  maxRetryAfterMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseMs: 250, maxMs: 8_000, maxRetryAfterMs: 60_000 }

/** A host failed a request: `code` says whether it was unreachable, refused the token, rejected the request or failed. */
export class HostError extends P2pcdnError {
  constructor(
    code: 'ERR_HOST_UNREACHABLE' | 'ERR_HOST_AUTH' | 'ERR_HOST_REJECTED' | 'ERR_HOST_FAILED',
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
  }
}

export interface HostRequest {
  method?: string
  /** Path and query, relative to the host's URL (its path prefix kept). */
  path: string
  headers?: Record<string, string>
  /** A JSON body. */
  json?: unknown
  /**
   * A streamed body, made anew for every attempt (a CAR file read from disk). Its bytes are
   * counted into `bytesSent`.
   */
  body?: () => AsyncIterable<Uint8Array>
  /** How the token is sent. @default 'bearer' */
  auth?: 'bearer' | 'basic' | 'none'
  /** Statuses that are answers, not errors (e.g. 404 for "not pinned"). */
  accept?: number[]
  /** Per attempt. @default 30_000 */
  timeoutMs?: number
  retry?: Partial<RetryPolicy>
  signal?: AbortSignal
}

export interface HostResponse {
  status: number
  headers: Headers
  text: string
  /** Bytes of request bodies sent, over every attempt. */
  bytesSent: number
  json<T>(): T
}

const describe = (host: HostTarget) => `Host "${host.name}" (${host.url})`

/** The text of an error body, shortened, with any occurrence of the token removed. */
function summary(text: string, host: HostTarget): string {
  let clean = text.replace(/\s+/g, ' ').trim()
  clean = withoutSecret(clean, host.token)
  try {
    const parsed = JSON.parse(clean) as {
      error?: { reason?: string; details?: string }
      Message?: string
      message?: string
    }
    const reason = parsed.error
      ? [parsed.error.reason, parsed.error.details].filter(Boolean).join(': ')
      : undefined
    clean = reason || parsed.Message || parsed.message || clean
  } catch {}
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean
}

function retryAfterMs(headers: Headers, maxMs: number): number | undefined {
  const value = headers.get('retry-after')
  if (!value) return undefined
  const seconds = Number(value)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now()
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), maxMs) : undefined
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}

/**
 * One request to a host's API, retried with exponential backoff and full jitter on network
 * errors, timeouts, 5xx and 429 (honouring `Retry-After`); 401/403 and other 4xx fail at once.
 * Errors are {@link HostError}s naming the host and what to do, never containing its token.
 */
export async function hostRequest(host: HostTarget, request: HostRequest): Promise<HostResponse> {
  const policy = { ...DEFAULT_RETRY, ...request.retry }
  const url = joinUrl(host.url, request.path)
  const headers: Record<string, string> = { ...request.headers }
  const auth = request.auth ?? 'bearer'
  if (host.token && auth === 'bearer') headers.Authorization = `Bearer ${host.token}`
  if (host.token && auth === 'basic')
    headers.Authorization = `Basic ${Buffer.from(host.token).toString('base64')}`
  let bytesSent = 0
  let lastError: HostError | undefined
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    request.signal?.throwIfAborted()
    let body: RequestInit['body']
    if (request.json !== undefined) {
      const text = JSON.stringify(request.json)
      headers['Content-Type'] ??= 'application/json'
      bytesSent += Buffer.byteLength(text)
      body = text
    } else if (request.body) {
      const source = request.body()
      body = (async function* () {
        for await (const chunk of source) {
          bytesSent += chunk.byteLength
          yield chunk
        }
      })() as unknown as RequestInit['body']
    }
    const signals = [AbortSignal.timeout(request.timeoutMs ?? 30_000)]
    if (request.signal) signals.push(request.signal)
    let wait: number | undefined
    try {
      const res = await fetch(url, {
        method: request.method ?? 'GET',
        headers,
        body,
        signal: AbortSignal.any(signals),
        ...(request.body ? { duplex: 'half' } : {}),
      } as RequestInit)
      const text = await res.text()
      if (res.ok || request.accept?.includes(res.status)) {
        return {
          status: res.status,
          headers: res.headers,
          text,
          bytesSent,
          json: <T>() => JSON.parse(text) as T,
        }
      }
      const said = summary(text, host)
      if (res.status === 401 || res.status === 403) {
        throw new HostError(
          'ERR_HOST_AUTH',
          `${describe(host)} refused the token (HTTP ${res.status}${said ? `: ${said}` : ''}). ${
            host.tokenEnv
              ? `Check the token in $${host.tokenEnv}.`
              : 'It needs a token: register it with --token-env VAR and set VAR.'
          }`,
          res.status,
        )
      }
      if (res.status !== 429 && res.status < 500) {
        throw new HostError(
          'ERR_HOST_REJECTED',
          `${describe(host)} rejected ${request.method ?? 'GET'} ${request.path.split('?')[0]} (HTTP ${res.status}${said ? `: ${said}` : ''}).`,
          res.status,
        )
      }
      lastError = new HostError(
        'ERR_HOST_FAILED',
        `${describe(host)} answered HTTP ${res.status}${said ? `: ${said}` : ''} to ${request.method ?? 'GET'} ${request.path.split('?')[0]} after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}.`,
        res.status,
      )
      wait = retryAfterMs(res.headers, policy.maxRetryAfterMs)
    } catch (err) {
      if (err instanceof HostError && err.code !== 'ERR_HOST_FAILED') throw err
      if (request.signal?.aborted) throw request.signal.reason
      if (!(err instanceof HostError)) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause
        const why =
          (err as Error).name === 'TimeoutError'
            ? `no answer within ${Math.round((request.timeoutMs ?? 30_000) / 1000)} s`
            : (cause?.code ?? cause?.message ?? (err as Error).message)
        lastError = new HostError(
          'ERR_HOST_UNREACHABLE',
          `${describe(host)} is unreachable (${why}) after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}. Check the URL and that the host is running.`,
          undefined,
          { cause: err },
        )
      }
    }
    if (attempt < policy.retries) {
      const backoff = Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** attempt)
      await sleep(wait ?? backoff, undefined, request.signal ? { signal: request.signal } : undefined)
    }
  }
  throw lastError as HostError
}
