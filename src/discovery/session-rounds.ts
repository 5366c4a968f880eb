import { setMaxListeners } from 'node:events'
import { sessionNumber, withReason } from './session-file.js'

export interface SessionRoundsOptions {
  /** Session length in milliseconds. */
  periodMs: number
  now: () => number
  /** Stops the rounds when it aborts. */
  signal?: AbortSignal | undefined
  /** One round for session `n`; its signal aborts at the next boundary or at stop. */
  run(n: number, signal: AbortSignal): Promise<void>
  /** Where a failed round goes (rounds never throw). */
  report(error: Error): void
  /** Runs once at stop, after every round has settled (e.g. untag or unpeer the members). */
  cleanup(): Promise<void>
}

/**
 * The clock of session discovery, shared by the host's (`session.ts`) and a Kubo node's
 * (`kubo-session.ts`): a round for the current session now, then one at each session boundary
 * (`sessionNumber`), a round still running at the next boundary aborted, and `stop()` that waits
 * for the running rounds before `cleanup`.
 */
export function startSessionRounds(options: SessionRoundsOptions): { stop(): Promise<void> } {
  const { periodMs, now, report } = options
  const stopped = new AbortController()
  const inFlight = new Set<Promise<void>>()
  let roundController: AbortController | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopping: Promise<void> | undefined

  function startRound(n: number): void {
    // A round still running at the boundary is for a past session.
    roundController?.abort()
    const controller = new AbortController()
    roundController = controller
    const signal = AbortSignal.any([stopped.signal, controller.signal])
    setMaxListeners(Number.POSITIVE_INFINITY, signal)
    const running: Promise<void> = options
      .run(n, signal)
      .catch((cause: unknown) => {
        if (!signal.aborted) report(withReason(cause, `Session round ${n} failed`))
      })
      .finally(() => inFlight.delete(running))
    inFlight.add(running)
  }

  /** Sets the timer for the boundary where session `next` begins. */
  function schedule(next: number): void {
    if (stopped.signal.aborted) return
    timer = setTimeout(
      () => {
        if (stopped.signal.aborted) return
        const n = sessionNumber(now(), periodMs)
        if (n < next) return schedule(next) // woke a little early
        startRound(n)
        schedule(n + 1)
      },
      Math.max(0, next * periodMs - now()),
    )
  }

  const onAbort = () => void stop()

  function stop(): Promise<void> {
    stopping ??= (async () => {
      options.signal?.removeEventListener('abort', onAbort)
      stopped.abort()
      clearTimeout(timer)
      await Promise.allSettled([...inFlight])
      await options.cleanup()
    })()
    return stopping
  }

  if (options.signal?.aborted === true) {
    void stop()
  } else {
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const n = sessionNumber(now(), periodMs)
    startRound(n)
    schedule(n + 1)
  }
  return { stop }
}
