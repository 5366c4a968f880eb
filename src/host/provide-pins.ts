/**
 * A host provides (DHT) every root it pins, so that other hosts and visitors' routers find it
 * (`/routing/v1/providers/<root>`) with its HTTP gateway address: each root once at start (the
 * addresses may have changed since the last run), each new pin as it completes. kad-dht re-provides
 * what it provided on its own (every hour it re-announces records within a day of their 48 h
 * expiry), and stops when told (`cancelReprovide`) after an unpin.
 */
import type { Routing } from '@helia/interface'
import { CID } from 'multiformats/cid'

export interface PinProviding {
  /** Provides every root of `roots()` now, one after another, in the background. */
  start(roots: () => string[]): void
  /** A pin completed: provide its root (in the background). */
  pinned(cid: string): void
  /** A root was unpinned: stop re-providing it. */
  unpinned(cid: CID): void
  stop(): void
}

/**
 * Provides pinned roots through `routing` (`helia.routing`); errors go to `onError` (a DHT with no
 * peers yet, a stop). Provides run one at a time.
 */
export function providePins(
  routing: Pick<Routing, 'provide' | 'cancelReprovide'>,
  onError: (error: Error) => void = () => {},
): PinProviding {
  const controller = new AbortController()
  let chain: Promise<void> = Promise.resolve()
  const provide = (text: string) => {
    chain = chain.then(async () => {
      if (controller.signal.aborted) return
      try {
        await routing.provide(CID.parse(text), { signal: controller.signal })
      } catch (cause) {
        if (!controller.signal.aborted)
          onError(new Error(`Could not provide ${text}: ${(cause as Error).message}`))
      }
    })
  }
  return {
    start: (roots) => {
      for (const root of new Set(roots())) provide(root)
    },
    pinned: provide,
    unpinned: (cid) => {
      routing.cancelReprovide(cid).catch(() => {})
    },
    stop: () => controller.abort(),
  }
}
