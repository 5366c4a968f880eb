/**
 * The paper's Tables 1-5 from its raw results (../shared/seed-data/experiments/results, a copy of
 * github.com/p2p-cdn/experiments `results/`). The printed means are the paper's own: 1.60, 0.87,
 * 2.68, 2.06, 1.45. The per-client cells are the clients' recorded means (the files' `average`), in
 * ms, and their ratios, to the paper's two decimals.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  computeTables,
  formatTablesText,
  geometricMean,
  type ReportTable,
  type ResultsEntry,
  readResults,
} from '../../src/index.js'
import { SEED_RESULTS } from './fixtures.js'

const seedExists = existsSync(path.join(SEED_RESULTS, 'test-1', 'client-1.json'))
const skipNote = seedExists
  ? ''
  : ' (skipped: the seed data ../shared/seed-data/experiments/results is absent)'

let entries: ResultsEntry[]
let tables: ReportTable[]
beforeAll(async () => {
  if (!seedExists) return
  entries = (await readResults([SEED_RESULTS])).entries
  tables = computeTables(entries).tables
})

const paperTable = (n: number) => tables.find((t) => t.paper?.table === n) as ReportTable
const row = (table: ReportTable, client: string) => {
  const r = table.rows.find((x) => x.client === client)
  if (!r) throw new Error(`${client} is not in ${table.id}`)
  return { origin: r.originMs.toFixed(1), p2p: r.p2pMs.toFixed(1), ratio: r.ratio.toFixed(2) }
}

describe.skipIf(!seedExists)(`the paper's results${skipNote}`, () => {
  it('reads the 17 files of the three tests', () => {
    expect(entries.map((e) => `${e.group}/${e.client}`)).toEqual([
      'test-1/client-1',
      'test-1/client-2',
      'test-1/client-3',
      'test-1/client-4',
      'test-1/client-5',
      'test-1/client-6',
      'test-2/client-7',
      'test-2/client-8',
      'test-3/Baker_ethernet',
      'test-3/Baker_mit_wifi',
      'test-3/Baker_verizon_4g',
      'test-3/EC_serverroom',
      'test-3/client-2',
      'test-3/client-6',
      'test-3/client-7',
      'test-3/client-9',
      'test-3/client-10',
    ])
  })

  it('gives the five geometric means the paper prints, as Tables 1-5', () => {
    const printed = tables
      .filter((t) => t.paper)
      .map((t) => [t.paper?.table, t.id, t.geometricMean?.toFixed(2), t.paper?.printedMean.toFixed(2)])
    expect(printed).toEqual([
      [1, 'test-1/iphone/ipfs_mit', '1.60', '1.60'],
      [2, 'test-1/iphone/ipfs_residential', '0.87', '0.87'],
      [3, 'test-2/iphone/ipfs_mit', '2.68', '2.68'],
      [4, 'test-2/iphone/ipfs_residential', '2.06', '2.06'],
      [5, 'test-3/iphone/ipfs_residential', '1.45', '1.45'],
    ])
  })

  it('prints the per-client cells from the recorded means', () => {
    expect(row(paperTable(1), 'client-1')).toEqual({ origin: '209.5', p2p: '65.8', ratio: '3.18' })
    expect(row(paperTable(1), 'client-4')).toEqual({ origin: '73.3', p2p: '85.4', ratio: '0.86' })
    expect(row(paperTable(2), 'client-3')).toEqual({ origin: '126.0', p2p: '183.2', ratio: '0.69' })
    expect(row(paperTable(3), 'client-8')).toEqual({ origin: '251.2', p2p: '83.2', ratio: '3.02' })
    expect(row(paperTable(4), 'client-7')).toEqual({ origin: '229.3', p2p: '138.9', ratio: '1.65' })
    expect(row(paperTable(5), 'client-9')).toEqual({ origin: '131.4', p2p: '26.9', ratio: '4.88' })
    // The one failed get (20 ms over 4G) is left out: 9 of 10 fetches count.
    expect(row(paperTable(5), 'Baker_verizon_4g')).toEqual({ origin: '208.7', p2p: '140.2', ratio: '1.49' })
    const verizon = paperTable(5).rows.find((r) => r.client === 'Baker_verizon_4g')
    expect(verizon?.dropped.map((d) => d.ms)).toEqual([20])
    expect([verizon?.p2pSamples, verizon?.p2pTries]).toEqual([9, 10])
  })

  it("leaves out the paper's clients, with reasons", () => {
    const left = (n: number) => paperTable(n).excluded.map((e) => `${e.client}:${e.rule}`)
    expect(left(1)).toEqual(['client-5:paper', 'client-6:paper'])
    expect(left(2)).toEqual(['client-5:paper', 'client-6:paper'])
    expect(left(3)).toEqual([])
    expect(left(4)).toEqual([])
    expect(left(5)).toEqual(['Baker_ethernet:paper', 'Baker_mit_wifi:paper', 'EC_serverroom:paper'])
    expect(paperTable(1).excluded[1]?.reason).toContain('27.4 ms')
    // Tables 1-5 drop no other fetch than the 20 ms one.
    const dropped = tables.flatMap((t) =>
      t.rows.filter((r) => r.dropped.length > 0).map((r) => `${t.id}:${r.client}`),
    )
    expect(dropped).toEqual(['test-3/iphone/ipfs_residential:Baker_verizon_4g'])
  })

  it('needs both rules: every client gives other means, and keeping the failed get gives 1.47', () => {
    const all = computeTables(entries, { paperExclusions: false }).tables
    expect(all.filter((t) => t.paper).map((t) => t.geometricMean?.toFixed(4))).toEqual([
      '1.4670',
      '0.7624',
      '2.6801',
      '2.0583',
      '1.2450',
    ])
    const table5 = paperTable(5)
    const verizon = entries.find((e) => e.client === 'Baker_verizon_4g') as ResultsEntry
    const allGets = verizon.results.ipfs_residential?.iphone?.gets as number[]
    const withFailedGet = table5.rows.map((r) =>
      r.client === 'Baker_verizon_4g'
        ? r.originMs / ((1000 * allGets.reduce((s, v) => s + v, 0)) / allGets.length)
        : r.ratio,
    )
    expect(geometricMean(withFailedGet).toFixed(4)).toBe('1.4719')
  })

  it('prints the video tables unnumbered, after Tables 1-5', () => {
    expect(tables.slice(5).map((t) => [t.id, t.paper, t.geometricMean?.toFixed(2)])).toEqual([
      ['test-2/ipad/ipfs_mit', undefined, '0.37'],
      ['test-2/ipad/ipfs_residential', undefined, '0.61'],
      ['test-3/ipad/ipfs_residential', undefined, '0.42'],
    ])
    const video3 = tables[7] as ReportTable
    expect(video3.excluded.filter((e) => e.rule === 'missing').map((e) => e.client)).toEqual([
      'Baker_verizon_4g',
      'client-2',
    ])
  })

  it('formats each table with its mean beside the printed one', () => {
    const text = formatTablesText(tables)
    expect(text).toContain('Table 1: test-1, 22 KB image (iphone): origin vs the MIT hosts (ipfs_mit)')
    expect(text).toMatch(/ {2}client-1 +209\.5 +5 +65\.8 +10 +3\.18\n/)
    expect(text).toMatch(/ {2}Baker_verizon_4g +208\.7 +5 +140\.2 +9\/10 +1\.49\n/)
    for (const [n, mean] of [
      [4, '1.60'],
      [4, '0.87'],
      [2, '2.68'],
      [2, '2.06'],
      [6, '1.45'],
    ])
      expect(text).toContain(
        `geometric mean of the ratios (origin / P2P), ${n} clients: ${mean}   (the paper prints ${mean})`,
      )
  })
})
