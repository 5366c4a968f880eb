/** The results file built from samples, checked against the paper's own files, and option checks. */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type BenchOptions,
  type BenchSample,
  resolveBenchOptions,
  sha256OfIntegrity,
} from '../../src/bench/index.js'
import { buildResults } from '../../src/bench/results.js'
import { P2pcdnError } from '../../src/index.js'
import { ROOT } from '../helpers/fs.js'

const PAPER = path.resolve(ROOT, '../shared/seed-data/experiments/results/test-1/client-1.json')

const timings = (total: number) => ({
  time_namelookup: 0.001,
  time_connect: 0.002,
  time_appconnect: 0,
  time_pretransfer: 0.0021,
  time_redirect: 0,
  time_starttransfer: total / 2,
  total,
})

const sample = (over: Partial<BenchSample>): BenchSample => ({
  source: 'curl',
  asset: 'iphone',
  run: 1,
  warmup: false,
  ok: true,
  seconds: 0.1,
  bytes: 10,
  ...over,
})

const metadata = {
  version: 'p2pcdn 0.0.0',
  started: '',
  finished: '',
  node: 'v20',
  runs: 2,
  originRuns: 2,
  warmup: 1,
  timeoutMs: 1000,
  order: '',
  assets: {},
  sources: {},
}

describe('buildResults', () => {
  const samples = [
    sample({ run: 0, warmup: true, seconds: 9, timings: timings(9) }),
    sample({ seconds: 0.1, timings: timings(0.1) }),
    sample({ run: 2, seconds: 0.3, timings: timings(0.3) }),
    sample({ source: 'ipfs_gateway', run: 0, warmup: true, seconds: 5 }),
    sample({ source: 'ipfs_gateway', seconds: 0.05 }),
    sample({ source: 'ipfs_gateway', run: 2, ok: false, seconds: 1, error: 'boom' }),
    sample({ source: 'ipfs_bitswap', ok: false, error: 'not connected' }),
  ]
  const results = buildResults(samples, metadata, 'p2pcdn 0.0.0')

  // The paper's own results, beside the repo (../shared/seed-data, see issue 8).
  it.skipIf(!existsSync(PAPER))(
    'has the keys and shapes of the paper’s files (which `report` reads)',
    async () => {
      const paper = JSON.parse(await fs.readFile(PAPER, 'utf8')) as Record<string, Record<string, object>>
      const shape = (value: unknown): unknown =>
        Array.isArray(value)
          ? 'array'
          : value && typeof value === 'object'
            ? Object.fromEntries(
                Object.entries(value)
                  .map(([k, v]) => [k, shape(v)])
                  .sort(),
              )
            : typeof value
      expect(shape(results.curl.iphone)).toEqual(shape(paper.curl?.iphone))
      expect(shape(results.ipfs_gateway?.iphone)).toEqual(shape(paper.ipfs_mit?.iphone))
    },
  )

  it('leaves warmup out, counts failed tries, averages the successful samples', () => {
    expect(results.curl.iphone?.samples.total).toEqual([0.1, 0.3])
    expect(results.curl.iphone?.average.total).toBeCloseTo(0.2, 9)
    expect(results.curl.iphone?.average.time_starttransfer).toBeCloseTo(0.1, 9)
    expect(results.ipfs_gateway?.iphone).toEqual({ average: 0.05, gets: [0.05], tries: 2 })
    // Nothing succeeded: no entry (no average to give), the failure kept in the metadata.
    expect(results.ipfs_bitswap).toBeUndefined()
    expect(results.p2pcdn.failures).toEqual([
      { source: 'ipfs_gateway', asset: 'iphone', run: 2, error: 'boom' },
      { source: 'ipfs_bitswap', asset: 'iphone', run: 1, error: 'not connected' },
    ])
    expect(results.p2pcdn.samples).toHaveLength(samples.length)
    expect(results.VERSION).toBe('p2pcdn 0.0.0')
  })
})

describe('resolveBenchOptions', () => {
  const base: BenchOptions = { assets: [{ name: 'a', url: 'http://127.0.0.1:1/a', cid: 'bafkqaaa' }] }
  it('fills in the defaults', () => {
    const resolved = resolveBenchOptions(base)
    expect(resolved).toMatchObject({ runs: 10, originRuns: 10, warmup: 0, timeout: 120_000, origin: true })
    expect(resolved.version).toMatch(/^p2pcdn /)
  })

  const cases: [string, Partial<BenchOptions>, RegExp][] = [
    ['no assets', { assets: [] }, /`assets` option must list at least one/],
    [
      'duplicate names',
      {
        assets: [
          { name: 'a', url: 'http://x/' },
          { name: 'a', url: 'http://y/' },
        ],
      },
      /must be unique/,
    ],
    [
      'relative url',
      { assets: [{ name: 'a', url: '/img/a.png' }] },
      /`assets\[0\]\.url` option must be an absolute/,
    ],
    [
      'bad integrity',
      { assets: [{ name: 'a', url: 'http://x/', integrity: 'sha1-abc' }] },
      /`assets\[0\]\.integrity`/,
    ],
    ['runs 0', { runs: 0 }, /`runs` option must be a whole number, at least 1/],
    ['negative warmup', { warmup: -1 }, /`warmup` option/],
    ['unknown kind', { sources: [{ kind: 'ipns' } as never] }, /`sources\[0\]\.kind` option must be/],
    ['hosts without urls', { sources: [{ kind: 'hosts', urls: [] }] }, /`sources\[0\]\.urls`/],
    [
      'bad multiaddr',
      { sources: [{ kind: 'bitswap', peers: ['nope'] }] },
      /`sources\[0\]\.peers` option must hold multiaddrs/,
    ],
    ['bad name', { sources: [{ kind: 'gateway', name: 'a b', url: 'http://x' }] }, /`sources\[0\]\.name`/],
    [
      'two sources, one key',
      {
        sources: [
          { kind: 'gateway', url: 'http://x' },
          { kind: 'gateway', url: 'http://y' },
        ],
      },
      /`sources\[1\]\.name` option must be unique/,
    ],
    [
      'P2P sources, no CIDs',
      { assets: [{ name: 'a', url: 'http://x/' }], sources: [{ kind: 'gateway', url: 'http://x' }] },
      /need a `cid`/,
    ],
  ]
  it.each(cases)('refuses %s', (_, over, message) => {
    const error = (() => {
      try {
        resolveBenchOptions({ ...base, ...over })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(P2pcdnError)
    expect((error as Error).message).toMatch(message)
  })

  it('reads SHA-256 integrity values', () => {
    // sha256("") in SRI form and hex.
    expect(sha256OfIntegrity('sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    expect(sha256OfIntegrity('sha384-abc')).toBeUndefined()
  })
})
