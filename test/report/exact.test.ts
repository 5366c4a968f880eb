import { describe, expect, it } from 'vitest'
import { exactDecimal, exactMean, exactRatio, formatExact } from '../../src/report/index.js'

describe('exact means', () => {
  it.each([
    [0.237651, 237651n, 1000000n],
    [118.191, 118191n, 1000n],
    [2, 2n, 1n],
    [1e-7, 1n, 10000000n],
    [1.5e21, 1500000000000000000000n, 1n],
  ])('reads %d as the decimal it was written as', (value, num, den) => {
    expect(exactDecimal(value)).toEqual({ num, den })
  })

  it('refuses what is not a time', () => {
    expect(() => exactDecimal(-1)).toThrow(RangeError)
    expect(() => exactDecimal(Number.NaN)).toThrow(RangeError)
    expect(() => exactMean([])).toThrow(RangeError)
  })

  it('rounds a mean that is exactly a half up, where the float mean rounds it down', () => {
    // test-2/client-7's video gets from the MIT hosts; the paper prints 190.45.
    const gets = [118.191, 436.787, 16.357]
    expect((gets.reduce((s, v) => s + v, 0) / 3).toFixed(2)).toBe('190.44')
    expect(formatExact(exactMean(gets), 2)).toBe('190.45')
  })

  it.each([
    [[0.1, 0.2], 1, '0.2'],
    [[0.001], 1, '0.0'],
    [[0.005], 2, '0.01'],
    [[0.004999], 2, '0.00'],
    [[2.5], 0, '3'],
    [[12.3456], 2, '12.35'],
  ])('formats the mean of %j with %d decimals as %s', (values, decimals, text) => {
    expect(formatExact(exactMean(values), decimals)).toBe(text)
  })

  it('divides exactly, and not by zero', () => {
    const ratio = exactRatio(exactMean([0.3]), exactMean([0.1, 0.1]))
    expect(ratio).toEqual({ num: 3n, den: 1n })
    expect(exactRatio(exactMean([0.3]), exactMean([0]))).toBeUndefined()
  })
})
