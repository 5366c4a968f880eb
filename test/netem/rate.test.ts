import { describe, expect, it } from 'vitest'
import { formatRate, parseRate } from '../../src/netem/index.js'

describe('parseRate', () => {
  it.each([
    ['25mbit', 25_000_000],
    ['6mbit', 6_000_000],
    ['1gbit', 1_000_000_000],
    ['1Gbit', 1_000_000_000],
    ['512kbit', 512_000],
    ['2.5mbit', 2_500_000],
    [' 10 mbit ', 10_000_000],
    ['50000bit', 50_000],
    [20_000_000, 20_000_000],
  ])('%j is %d bits per second (tc units, decimal)', (rate, bits) => {
    expect(parseRate(rate)).toBe(bits)
  })

  it.each([
    ['25mbps', /tc reads 'mbps' as bytes per second, write 'mbit'/],
    ['25MBps', /write 'mbit'/],
    ['25', /must be a rate such as '25mbit'/],
    ['fast', /must be a rate such as '25mbit'/],
    ['25furlongs', /must use one of the units bit, kbit, mbit, gbit, tbit/],
    [-5, /at least 1000 bits per second/],
    [Number.NaN, /at least 1000 bits per second/],
    ['0.5kbit', /at least 1000 bits per second/],
  ])('refuses %j', (rate, message) => {
    expect(() => parseRate(rate, 'The `link.up` rate of node "a"')).toThrow(message)
    expect(() => parseRate(rate, 'The `link.up` rate of node "a"')).toThrow(
      expect.objectContaining({
        code: 'ERR_NETEM_INVALID',
        message: expect.stringMatching(/^The `link.up` rate of node "a"/),
      }),
    )
  })
})

describe('formatRate', () => {
  it.each([
    [25_000_000, '25 Mbit/s'],
    [1_000_000_000, '1 Gbit/s'],
    [512_000, '512 kbit/s'],
    [2_500_000, '2.5 Mbit/s'],
  ])('%d is %s', (bits, text) => {
    expect(formatRate(bits)).toBe(text)
  })
})
