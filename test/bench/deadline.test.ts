import { describe, expect, it, vi } from 'vitest'
import { deadline, GRACE_MS } from '../../src/bench/run-bench.js'

describe('a sample that ignores its timeout', () => {
  it('is recorded as failed once the timeout has passed by the grace period', async () => {
    vi.useFakeTimers()
    try {
      const timeout = new AbortController()
      // A source that never settles, whatever its signal says.
      const outcome = deadline(new Promise(() => {}), timeout.signal, 1000)
      timeout.abort()
      await vi.advanceTimersByTimeAsync(GRACE_MS - 1)
      let settled = false
      void outcome.then(() => {
        settled = true
      })
      await vi.advanceTimersByTimeAsync(0)
      expect(settled).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      await expect(outcome).resolves.toMatchObject({
        ok: false,
        error: expect.stringMatching(/did not stop within/),
      })
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps the outcome of a sample that settles in time', async () => {
    const timeout = new AbortController()
    await expect(
      deadline(Promise.resolve({ ok: true, seconds: 0.1, bytes: 3 }), timeout.signal, 1000),
    ).resolves.toEqual({
      ok: true,
      seconds: 0.1,
      bytes: 3,
    })
  })
})
