import { describe, expect, it } from 'vitest'
import {
  computeTables,
  formatTableText,
  geometricMean,
  PAPER_EXCLUSIONS,
  type ReportTable,
  splitFailedGets,
} from '../../src/index.js'
import { curl, entry, gets } from './fixtures.js'

const BENCH = 'p2pcdn 0.1.0'

describe('geometricMean', () => {
  it.each([
    [[2, 8], 4],
    [[1], 1],
    [[0.5, 2], 1],
    [[3, 3, 3], 3],
  ])('of %j is %d', (values, expected) => {
    expect(geometricMean(values)).toBeCloseTo(expected, 12)
  })

  it('is undefined for no values', () => {
    expect(() => geometricMean([])).toThrow(RangeError)
  })
})

describe('splitFailedGets', () => {
  it('drops a 0 s get and an isolated one shorter than a round trip, keeps the rest', () => {
    const { kept, dropped } = splitFailedGets([0.1, 0.11, 0.012, 0.09, 0], 0.04)
    expect(kept).toEqual([0.1, 0.11, 0.09])
    expect(dropped.map((d) => d.ms)).toEqual([12, 0])
    expect(dropped[0]?.reason).toContain('40.0 ms')
    expect(dropped[1]?.reason).toContain('no time')
  })

  it('keeps a series that is fast throughout (a host closer than the origin)', () => {
    expect(splitFailedGets([0.01, 0.011, 0.012], 0.08).dropped).toEqual([])
  })

  it('keeps a short get that is not shorter than a round trip', () => {
    expect(splitFailedGets([0.1, 0.1, 0.1, 0.02], 0.015).dropped).toEqual([])
  })

  it('without origin phases only drops 0 s gets', () => {
    expect(splitFailedGets([0.1, 0.001, 0], undefined).kept).toEqual([0.1, 0.001])
  })
})

describe('computeTables', () => {
  // Our own bench's sources: any ipfs_* key is one.
  const lab = [
    entry('lab', 'client-10', {
      VERSION: BENCH,
      curl: { img: curl([0.3]) },
      ipfs_gateway: { img: gets([0.1]) },
    }),
    entry('lab', 'client-2', {
      VERSION: BENCH,
      curl: { img: curl([0.2, 0.2]), video: curl([10]) },
      ipfs_gateway: { img: gets([0.1, 0.1]), video: gets([20, 20, 20]) },
      ipfs_bitswap: { img: gets([0.4]) },
    }),
  ]

  it('makes one table per test, asset and source, with per-client ratios and their geometric mean', () => {
    const { tables, warnings, paperTables } = computeTables(lab)
    expect(warnings).toEqual([])
    expect(paperTables).toEqual([])
    expect(tables.map((t) => t.id)).toEqual([
      'lab/img/ipfs_bitswap',
      'lab/img/ipfs_gateway',
      'lab/video/ipfs_gateway',
    ])
    const gateway = tables[1] as ReportTable
    expect(gateway.rows.map((r) => [r.client, r.originMs, r.p2pMs, r.ratio])).toEqual([
      ['client-2', 200, 100, 2],
      ['client-10', 300, 100, 3],
    ])
    expect(gateway.geometricMean).toBeCloseTo(Math.sqrt(6), 12)
    expect(tables[2]?.rows.map((r) => [r.client, r.ratio])).toEqual([['client-2', 0.5]])
  })

  it('lists clients without fetches of the asset as missing, out of the mean', () => {
    const bitswap = computeTables(lab).tables[0] as ReportTable
    expect(bitswap.rows.map((r) => r.client)).toEqual(['client-2'])
    expect(bitswap.excluded).toEqual([
      expect.objectContaining({
        client: 'client-10',
        rule: 'missing',
        reason: 'no fetches from ipfs_bitswap (not in the file)',
      }),
    ])
    const video = computeTables(lab).tables[2] as ReportTable
    expect(video.excluded[0]?.reason).toBe('did not fetch the video (not in the file)')
  })

  it('leaves out a client whose every fetch failed', () => {
    const { tables } = computeTables([
      entry('t', 'a', { VERSION: BENCH, curl: { x: curl([0.2]) }, ipfs_gateway: { x: gets([], 3) } }),
      entry('t', 'b', { VERSION: BENCH, curl: { x: curl([0.2]) }, ipfs_gateway: { x: gets([0, 0]) } }),
    ])
    expect(tables[0]?.excluded.map((e) => [e.client, e.rule, e.reason])).toEqual([
      ['a', 'failed', 'no successful fetch from ipfs_gateway (3 tries)'],
      ['b', 'failed', 'no successful fetch from ipfs_gateway (2 tries)'],
    ])
    expect(tables[0]?.geometricMean).toBeNull()
    expect(formatTableText(tables[0] as ReportTable)).toContain('no client has both origin and P2P fetches')
  })

  it('leaves failed gets out of the client’s mean and says so', () => {
    const handshake = { connect: [0.05, 0.06], lookup: [0.01, 0.01] } // fastest round trip: 40 ms
    const { tables } = computeTables([
      entry('t', 'a', {
        VERSION: BENCH,
        curl: { x: curl([0.2, 0.2], handshake) },
        ipfs_gateway: { x: gets([0.1, 0.1, 0.005, 0.1]) },
      }),
    ])
    const row = tables[0]?.rows[0]
    const near = (v: number) => expect.closeTo(v, 9)
    expect([row?.p2pMs, row?.p2pSamples, row?.p2pTries, row?.ratio]).toEqual([near(100), 3, 4, near(2)])
    expect(row?.dropped.map((d) => d.ms)).toEqual([5])
    expect(row?.originPhasesMs).toEqual({ total: near(200), connect: near(55), dns: near(10) })
    expect(formatTableText(tables[0] as ReportTable)).toMatch(
      /a: one fetch of 5\.0 ms, shorter than one round trip/,
    )
  })

  it("gives the paper's own files to the paper's tables, and files of the same names by our bench to these", () => {
    const { client, group } = PAPER_EXCLUSIONS[0] as { client: string; group: string }
    const files = (version: string | undefined) => [
      entry(group, 'client-1', {
        ...(version ? { VERSION: version } : {}),
        curl: { iphone: curl([0.2]) },
        ipfs_mit: { iphone: gets([0.1]) },
      }),
      entry(group, client, {
        ...(version ? { VERSION: version } : {}),
        curl: { iphone: curl([0.2]) },
        ipfs_mit: { iphone: gets([0.2]) },
      }),
    ]
    for (const version of [undefined, 'v0.4.0']) {
      const paper = computeTables(files(version))
      expect(paper.tables).toEqual([])
      expect(paper.paperTables.map((t) => t.table)).toEqual([1])
      // The paper keeps client-5 out of Table 1's mean; --all-clients puts it in.
      expect(paper.paperTables[0]?.means?.[0]?.clients).toEqual(['1'])
      const all = computeTables(files(version), { paperExclusions: false }).paperTables[0]
      expect(all?.means?.[0]?.value).toBeCloseTo(Math.sqrt(2), 12)
    }

    // Our bench's files in a folder of the same name: generic tables, every client in the mean.
    const ours = computeTables(files(BENCH))
    expect(ours.paperTables).toEqual([])
    expect(ours.tables[0]?.rows.map((r) => r.client)).toEqual(['client-1', client])
    expect(ours.tables[0]?.geometricMean).toBeCloseTo(Math.sqrt(2), 12)
  })

  it('warns about an asset fetched from the origin only', () => {
    const { tables, warnings } = computeTables([
      entry('t', 'a', {
        VERSION: BENCH,
        curl: { x: curl([0.2]), y: curl([0.3]) },
        ipfs_gateway: { x: gets([0.1]) },
      }),
    ])
    expect(tables).toHaveLength(1)
    expect(warnings).toEqual([expect.objectContaining({ code: 'W_REPORT_NO_P2P' })])
    expect(warnings[0]?.message).toContain('"y"')
  })

  it('is pure: its input is unchanged and the same input gives the same tables', () => {
    const before = structuredClone(lab)
    const first = computeTables(lab)
    expect(lab).toEqual(before)
    expect(computeTables(structuredClone(lab))).toEqual(first)
    expect(computeTables([...lab].reverse())).toEqual(first)
  })
})
