/** The statistics of the report's tables (a leaf module: the paper's and the generic tables use it). */

/** exp(mean(ln x)); the paper's summary of the per-client ratios. Throws on an empty list. */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('geometricMean of no values')
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length)
}

/** The arithmetic mean (NaN for an empty list). */
export const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length

/** The median (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}
