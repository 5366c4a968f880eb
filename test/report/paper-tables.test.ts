/**
 * The paper's Tables 1-5 from its raw results (../shared/seed-data/experiments/results, a copy of
 * github.com/p2p-cdn/experiments `results/`): every cell `p2pcdn report` prints is checked against
 * the paper's (../shared/seed-data/paper.md, section 4.2, typed in `paper-expected.ts`).
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type ComputeTablesResult,
  computeTables,
  formatTablesText,
  type ResultsEntry,
  readResults,
} from '../../src/index.js'
import { curl, entry, gets, SEED_RESULTS } from './fixtures.js'
import { cellsOf, dataRowsOf, meansOf, PAPER_EXPECTED, rowsAsCells } from './paper-expected.js'
import { readTextTable } from './text-table.js'

const seedExists = existsSync(path.join(SEED_RESULTS, 'test-1', 'client-1.json'))
const skipNote = seedExists
  ? ''
  : ' (skipped: the seed data ../shared/seed-data/experiments/results is absent)'

let entries: ResultsEntry[]
let result: ComputeTablesResult
let text: string
beforeAll(async () => {
  if (!seedExists) return
  entries = (await readResults([SEED_RESULTS])).entries
  result = computeTables(entries)
  text = formatTablesText(result)
})

const expectedTable = (n: number) =>
  PAPER_EXPECTED.find((e) => e.table === n) as (typeof PAPER_EXPECTED)[number]
const computed = (n: number) => {
  const table = result.paperTables.find((t) => t.table === n)
  if (!table) throw new Error(`Table ${n} was not computed`)
  return table
}

/** The printed table, the computed cells (what --json holds) and the means, against the paper's. */
function checkTable(n: number) {
  const expected = expectedTable(n)
  expect(readTextTable(text, n)).toEqual(cellsOf(expected))
  const table = computed(n)
  expect(rowsAsCells(table)).toEqual(dataRowsOf(expected))
  expect(table.means?.map((m) => m.text) ?? []).toEqual(meansOf(expected))
  expect(table.missing).toEqual([])
  return table
}

describe.skipIf(!seedExists)(`the paper's Tables 1-5 from its results${skipNote}`, () => {
  it('reads the 17 files of the three tests and puts every one in the paper’s tables', () => {
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
    expect(result.paperTables.map((t) => t.table)).toEqual([1, 2, 3, 4, 5])
    expect(result.paperTablesNotPrinted).toEqual([])
    expect(result.tables).toEqual([])
    expect(result.warnings).toEqual([])
  })

  it('Table 1 (test 1, iPhone image, clients 1-6, MIT and residential hosts): every cell is the paper’s', () => {
    const table = checkTable(1)
    // "We excluded 5 and 6 from the mean calculation."
    expect(table.means?.map((m) => m.clients)).toEqual([
      ['1', '2', '3', '4 (H)'],
      ['1', '2', '3', '4 (H)'],
    ])
    expect(table.means?.map((m) => m.value?.toFixed(4))).toEqual(['1.6001', '0.8667'])
  })

  it('Table 2 (test 2, iPhone image, clients 7 and 8): every cell is the paper’s', () => {
    const table = checkTable(2)
    expect(table.means?.map((m) => m.value?.toFixed(4))).toEqual(['2.6801', '2.0583'])
  })

  it('Table 3 (test 3, iPhone image, residential clients; 6 shown, not in the mean): every cell is the paper’s', () => {
    const table = checkTable(3)
    // "We excluded 6 from the mean calculation."
    expect(table.means?.[0]?.clients).toEqual(['9', '10', '2', '7'])
    expect(table.means?.[0]?.value?.toFixed(4)).toBe('1.4518')
  })

  it('Table 4 (test 3, one user at four places): every cell is the paper’s, and no mean row', () => {
    const table = checkTable(4)
    expect(table.means).toBeUndefined()
    // Every get counts, as in the paper: Baker Verizon 4G's 128.2 ms is the mean of its 10 gets,
    // the 20 ms one included (the generic tables would drop that one).
    const verizon = table.rows.find((r) => r.client === 'Baker_verizon_4g')
    expect(verizon?.cells[0]?.p2p?.samples).toBe(10)
  })

  it('Table 5 (iPad video in seconds, tests 2 and 3): every cell is the paper’s, MIT empty in test 3', () => {
    const table = checkTable(5)
    expect(table.unit).toBe('s')
    // 190.45: (118.191 + 436.787 + 16.357) / 3 is exactly 190.445 s; a float mean gives 190.44.
    expect(table.rows[0]?.cells[0]?.p2p?.text).toBe('190.45')
  })

  it('prints the captions, and says how the cells are computed', () => {
    expect(text).toContain('Table 1: Test 1—P2P CDN performance vs Akamai when retrieving an iPhone image.\n')
    expect(text).toContain('We excluded 5 and 6 from the mean calculation.\n')
    expect(text).toContain('Table 4: Test 3—P2P CDN performance vs Akamai when retrieving an iPhone image.\n')
    expect(text).toContain('The paper prints no mean row for this table.\n')
    expect(text).toContain('Times in seconds. Leftmost column shows test number.\n')
    expect(text).toContain('P2P = mean of every `ipfs get`')
    expect(text).not.toContain('missing:')
    expect(text).not.toContain('Not printed')
  })

  it('with every client in the means (--all-clients), Tables 1 and 3 change and say so', () => {
    const all = computeTables(entries, { paperExclusions: false })
    const means = all.paperTables.map((t) => [t.table, t.allClientsInMean, t.means?.map((m) => m.text)])
    expect(means).toEqual([
      [1, true, ['1.47', '0.76']],
      [2, false, ['2.68', '2.06']],
      [3, true, ['1.44']],
      [4, false, undefined],
      [5, false, undefined],
    ])
    const allText = formatTablesText(all)
    expect(readTextTable(allText, 1).at(-1)).toEqual(['', 'Mean (all):', '', '1.47', '', '0.76'])
    expect(allText).toContain(
      "--all-clients: the mean is over every row (9, 10, 2, 7, 6 (M)), not the paper's.",
    )
  })
})

describe('the paper’s tables from part of its files', () => {
  const iphone = (origin: number[], residential: number[]) => ({
    curl: { iphone: curl(origin) },
    ipfs_residential: { iphone: gets(residential) },
  })
  const files = [
    entry('test-3', 'client-9', iphone([0.2, 0.1], [0.1])),
    entry('test-3', 'client-10', { curl: { iphone: curl([0.3]) }, ipfs_residential: {} }),
    entry('test-3', 'client-6', iphone([0.1], [0.2])),
  ]

  it('prints the tables that have a file, with every missing cell said, and names the others', () => {
    const result = computeTables(files)
    expect(result.paperTables.map((t) => t.table)).toEqual([3, 5])
    expect(result.paperTablesNotPrinted).toEqual([1, 2, 4])
    expect(result.tables).toEqual([])
    const table3 = result.paperTables[0]
    expect(table3?.missing).toEqual([
      'row 10 (test-3/client-10.json): no P2P (Res) fetches of the iphone (`ipfs_residential`) in the file',
      'row 2 (test-3/client-2.json): the file is not among the results read',
      'row 7 (test-3/client-7.json): the file is not among the results read',
    ])
    // Test 3 had no MIT hosts: Table 5's empty MIT cells are not missing ones.
    expect(result.paperTables[1]?.missing.filter((m) => m.includes('MIT'))).toEqual([])
    const text = formatTablesText(result)
    expect(readTextTable(text, 3)).toEqual([
      ['Client', 'Akamai', 'P2P (Res)', 'Ratio (Res)'],
      ['9', '150.00', '100.0', '1.50'],
      ['10', '300.00', '', ''],
      ['2', '', '', ''],
      ['7', '', '', ''],
      ['', 'Mean:', '', '1.50'],
      ['6 (M)', '100.00', '200.0', '0.50'],
    ])
    expect(text).toContain("The mean of Ratio (Res) is over 9 only; the table's is over 9, 10, 2, 7.")
    expect(text).toContain(
      'Not printed: Tables 1, 2, 4 of the paper (none of their files are among the results read).',
    )
  })

  it('leaves files our bench wrote under the same names to the generic tables', () => {
    const ours = files.map((f) => ({ ...f, results: { ...f.results, VERSION: 'p2pcdn 0.1.0' } }))
    const result = computeTables(ours)
    expect(result.paperTables).toEqual([])
    expect(result.paperTablesNotPrinted).toEqual([])
    expect(result.tables.map((t) => [t.id, t.rows.map((r) => r.client)])).toEqual([
      ['test-3/iphone/ipfs_residential', ['client-6', 'client-9']],
    ])
    expect(formatTablesText(result)).not.toContain('Table ')
  })
})
