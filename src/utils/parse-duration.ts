const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
}

/**
 * Parses a duration such as `7d`, `48h`, `90m`, `1h30m` (Go's `time.ParseDuration` units, as Kubo's
 * `--lifetime` takes them, plus `d` and `w`) into milliseconds; a plain number is milliseconds.
 * Undefined when it is none of those.
 *
 * @example
 * ```ts
 * parseDuration('7d') // 604800000
 * parseDuration('1h30m') // 5400000
 * ```
 */
export function parseDuration(value: string): number | undefined {
  const text = value.trim().toLowerCase()
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text))
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/.test(text)) return undefined
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * (UNITS[unit as string] as number)
  }
  return Math.round(total)
}
