/**
 * Exact means of recorded times, for the cells of the paper's tables. The results files hold times
 * as short decimals (curl's microseconds, `ipfs get`'s milliseconds); summing them as binary
 * floats can land a mean just below a half and round it the wrong way: test-2/client-7's three
 * video gets from the MIT hosts (118.191 + 436.787 + 16.357 s) / 3 are exactly 190.445 s, which
 * the paper prints as 190.45, but in floating point the mean is 190.44499999999996 (`toFixed(2)`:
 * 190.44). So a mean here is a fraction of integers, and a cell rounds it half up.
 */

/** A non-negative fraction `num / den` (`den > 0`). */
export interface Exact {
  num: bigint
  den: bigint
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b))

function reduce(num: bigint, den: bigint): Exact {
  const g = gcd(num, den) || 1n
  return { num: num / g, den: den / g }
}

/**
 * The decimal a time was written as: `String(value)` is the shortest decimal that reads back as
 * `value`, which is what a results file (JSON written by Python or by us) holds.
 */
export function exactDecimal(value: number): Exact {
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(value))
  if (!match) throw new RangeError(`not a finite time >= 0: ${value}`)
  const digits = BigInt(`${match[1]}${match[2] ?? ''}`)
  const exponent = Number(match[3] ?? 0) - (match[2]?.length ?? 0)
  return exponent >= 0
    ? { num: digits * 10n ** BigInt(exponent), den: 1n }
    : reduce(digits, 10n ** BigInt(-exponent))
}

/** The exact mean of recorded times (throws on an empty list). */
export function exactMean(values: readonly number[]): Exact {
  if (values.length === 0) throw new RangeError('exactMean of no values')
  let sum: Exact = { num: 0n, den: 1n }
  for (const value of values) {
    const x = exactDecimal(value)
    sum = reduce(sum.num * x.den + x.num * sum.den, sum.den * x.den)
  }
  return reduce(sum.num, sum.den * BigInt(values.length))
}

/** `a / b`, undefined when `b` is 0. */
export const exactRatio = (a: Exact, b: Exact): Exact | undefined =>
  b.num === 0n ? undefined : reduce(a.num * b.den, a.den * b.num)

/** `a * factor`. */
export const exactTimes = (a: Exact, factor: number): Exact => reduce(a.num * BigInt(factor), a.den)

/** The nearest double. */
export const exactToNumber = (a: Exact): number => Number(a.num) / Number(a.den)

/** `a` with `decimals` decimals, halves rounded up: `{ num: 190445n, den: 1000n }` → `190.45`. */
export function formatExact(a: Exact, decimals: number): string {
  const scale = 10n ** BigInt(decimals)
  const rounded = (2n * a.num * scale + a.den) / (2n * a.den)
  if (decimals === 0) return String(rounded)
  const digits = String(rounded).padStart(decimals + 1, '0')
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`
}
