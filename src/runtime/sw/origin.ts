/// <reference lib="webworker" />
/**
 * The last resort: the asset's copy on the site origin, `<site root>/<path>`
 * (the site root is the worker's own folder). Its bytes are not verified and
 * never cached by the worker.
 */
import type { Asset } from './config.js'
import { stats } from './stats.js'

/** The origin URL of an asset, its path segments percent-encoded. */
export function originUrl(siteRoot: string, asset: Asset): string {
  return new URL(asset.path.split('/').map(encodeURIComponent).join('/'), siteRoot).href
}

/**
 * The origin's answer for a request the sources could not serve, its `Range`
 * passed on; the original request itself if the origin cannot be reached.
 */
export async function fromOrigin(request: Request, siteRoot: string, asset: Asset): Promise<Response> {
  stats.originFallbacks++
  const range = request.headers.get('range')
  try {
    return await fetch(originUrl(siteRoot, asset), {
      headers: range ? { Range: range } : {},
      credentials: 'same-origin',
      signal: request.signal,
    })
  } catch {
    return fetch(request)
  }
}

/**
 * Bytes `from` to `end` (exclusive) of the asset from the origin, for a
 * response whose verified part ran out at `from`. The origin may answer 206
 * for exactly that range, or 200 with the whole file.
 */
export async function restFromOrigin(
  siteRoot: string,
  asset: Asset,
  from: number,
  end: number,
  signal?: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  stats.originFallbacks++
  const url = originUrl(siteRoot, asset)
  const response = await fetch(url, {
    headers: { Range: `bytes=${from}-${end - 1}` },
    credentials: 'same-origin',
    ...(signal ? { signal } : {}),
  })
  const partial =
    response.status === 206 && response.headers.get('content-range')?.startsWith(`bytes ${from}-`)
  if (!response.body || !(partial || response.status === 200))
    throw new Error(`${url} answered HTTP ${response.status} for bytes ${from}-${end - 1}`)
  return slice(response.body, partial ? 0 : from, end - from)
}

/** `length` bytes of a stream after the first `skip`. */
function slice(body: ReadableStream<Uint8Array>, skip: number, length: number): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let position = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Until something is enqueued: a pull that enqueues nothing is not called again.
      for (;;) {
        const { done, value } = await reader.read()
        const chunk = value?.subarray(Math.max(0, skip - position), Math.max(0, skip + length - position))
        if (value) position += value.length
        if (chunk?.length) controller.enqueue(chunk)
        if (done || position >= skip + length) {
          if (!done) void reader.cancel()
          if (position < skip + length) controller.error(new Error('the origin sent too few bytes'))
          else controller.close()
          return
        }
        if (chunk?.length) return
      }
    },
    cancel: (reason) => reader.cancel(reason),
  })
}
