/**
 * Link rates, in bits per second, written the way tc writes them (`25mbit`, `1gbit`).
 */
import { netemErrors } from './errors.js'

/** A rate: bits per second, or a string such as `'25mbit'`, `'6mbit'`, `'1gbit'`, `'512kbit'`. */
export type Rate = number | string

const UNITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
}

/**
 * Bits per second of a rate. Units are tc's decimal ones (`kbit` = 1000 bit/s). tc's `bps`,
 * `kbps`, `mbps` mean bytes per second, a frequent slip, so they are refused with the fix.
 *
 * @example parseRate('25mbit') // 25_000_000
 */
export function parseRate(rate: Rate, what = 'The rate'): number {
  if (typeof rate === 'number') {
    if (Number.isFinite(rate) && rate >= 1000) return Math.round(rate)
    throw netemErrors.invalid(what, rate, 'must be at least 1000 bits per second')
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(String(rate))
  const unit = match?.[2]?.toLowerCase()
  if (!match || unit === undefined) {
    throw netemErrors.invalid(
      what,
      rate,
      "must be a rate such as '25mbit', '1gbit' or a number of bits per second",
    )
  }
  const factor = UNITS[unit]
  if (factor === undefined) {
    const hint = unit.endsWith('bps')
      ? `; tc reads '${unit}' as bytes per second, write '${unit.replace(/bps$/, 'bit')}' for bits per second`
      : ''
    throw netemErrors.invalid(what, rate, `must use one of the units ${Object.keys(UNITS).join(', ')}${hint}`)
  }
  return parseRate(Number(match[1]) * factor, what)
}

/** A rate for people: `25 Mbit/s`, `1 Gbit/s`. */
export function formatRate(bitsPerSecond: number): string {
  for (const [unit, factor] of [
    ['Gbit/s', 1e9],
    ['Mbit/s', 1e6],
    ['kbit/s', 1e3],
  ] as const) {
    if (bitsPerSecond >= factor) return `${Number((bitsPerSecond / factor).toPrecision(4))} ${unit}`
  }
  return `${bitsPerSecond} bit/s`
}
