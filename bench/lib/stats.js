/** Small helpers for repeated timings. MB is 10^6 bytes throughout. */

export const MB = 1e6

export const best = (xs) => Math.min(...xs)
export const worst = (xs) => Math.max(...xs)

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** MB/s for `bytes` processed in `ms`. */
export const mbps = (bytes, ms) => bytes / MB / (ms / 1000)

/** Summary of repeated runs: every sample, the best and the median (all in ms). */
export function summarise(samplesMs) {
  return { samplesMs, bestMs: best(samplesMs), medianMs: median(samplesMs) }
}

/** Runs `once(i)` `times` times, one after the other, and collects what each returns. */
export async function repeat(times, once) {
  const runs = []
  for (let i = 0; i < times; i++) runs.push(await once(i))
  return runs
}
