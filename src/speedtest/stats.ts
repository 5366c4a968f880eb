/** Median, minimum and maximum of a list of timings. */
export interface Stat {
  median: number
  min: number
  max: number
}

/** The {@link Stat} of `values` (all `NaN` for an empty list); the median of an even count is the mean of the middle two. */
export function summarise(values: readonly number[]): Stat {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN }
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number }
}
