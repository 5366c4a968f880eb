/** `p2pcdn report`, as a process (the built CLI: `npm run build` first, as `npm test` does). */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'
import { curl, gets, SEED_RESULTS, writeTree } from './fixtures.js'
import { cellsOf, dataRowsOf, meansOf, PAPER_EXPECTED, rowsAsCells } from './paper-expected.js'
import { readTextTable } from './text-table.js'
import { allElements, parseXml } from './xml.js'

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

const seedExists = existsSync(path.join(SEED_RESULTS, 'test-1', 'client-1.json'))
const skipNote = seedExists
  ? ''
  : ' (skipped: the seed data ../shared/seed-data/experiments/results is absent)'

describe.skipIf(!seedExists)(`p2pcdn report on the paper's results${skipNote}`, () => {
  it('prints Tables 1-5 as the paper does and writes a chart per table', async () => {
    const out = path.join(await dirs.make('report'), 'charts')
    const run = await runCli(['report', SEED_RESULTS, '--svg', out])
    expect(run.code, run.stderr).toBe(0)
    // Every cell of every table, against the paper's (paper.md, section 4.2).
    for (const expected of PAPER_EXPECTED)
      expect(readTextTable(run.stdout, expected.table), `Table ${expected.table}`).toEqual(cellsOf(expected))
    const files = (await fs.readdir(out)).sort()
    expect(files).toEqual(['table-1.svg', 'table-2.svg', 'table-3.svg', 'table-4.svg', 'table-5.svg'])
    expect(run.stderr).toContain('wrote 5 charts:')
    const table1 = parseXml(await fs.readFile(path.join(out, 'table-1.svg'), 'utf8'))
    const origin = allElements(table1).filter((e) => e.attrs.class === 'bar origin')
    expect(origin.map((e) => e.attrs['data-client'])).toEqual([
      'client-1',
      'client-2',
      'client-3',
      'client-4',
      'client-5',
      'client-6',
    ])
    for (const file of files) parseXml(await fs.readFile(path.join(out, file), 'utf8'))
  })

  it('prints the same cells as JSON with --json', async () => {
    const run = await runCli(['report', '--json', SEED_RESULTS])
    expect(run.code, run.stderr).toBe(0)
    const json = JSON.parse(run.stdout)
    expect(json.warnings).toEqual([])
    expect(json.tables).toEqual([])
    expect(json.paperTablesNotPrinted).toEqual([])
    expect(json.paperTables.map((t: { table: number }) => t.table)).toEqual([1, 2, 3, 4, 5])
    for (const [i, expected] of PAPER_EXPECTED.entries()) {
      const table = json.paperTables[i]
      expect(rowsAsCells(table), `Table ${expected.table}`).toEqual(dataRowsOf(expected))
      expect((table.means ?? []).map((m: { text: string }) => m.text)).toEqual(meansOf(expected))
    }
  })

  it('puts the rows the paper excludes into the means with --all-clients', async () => {
    const run = await runCli(['report', '--all-clients', path.join(SEED_RESULTS, 'test-1')])
    expect(run.code, run.stderr).toBe(0)
    expect(readTextTable(run.stdout, 1).at(-1)).toEqual(['', 'Mean (all):', '', '1.47', '', '0.76'])
    expect(run.stdout).toContain('Not printed: Tables 2, 3, 4, 5 of the paper')
  })
})

describe('p2pcdn report', () => {
  it('reports any ipfs_* source of our own results', async () => {
    const root = await dirs.make('report')
    await writeTree(root, {
      'lab/client-1.json': {
        VERSION: 'p2pcdn 0.1.0',
        curl: { img: curl([0.2]) },
        ipfs_gateway: { img: gets([0.1]) },
        ipfs_bitswap: { img: gets([0.4]) },
      },
    })
    const run = await runCli(['report', root])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('lab, img: origin vs ipfs_gateway\n')
    expect(run.stdout).toMatch(/ {2}client-1 +200\.0 +1 +100\.0 +1 +2\.00\n/)
    expect(run.stdout).toContain('    0.50  lab, img: origin vs ipfs_bitswap\n')
  })

  it('refuses an invalid results file, naming it, with exit code 3 and no stack', async () => {
    const root = await dirs.make('report')
    await writeTree(root, {
      'test-1/client-1.json': { curl: { iphone: { samples: { total: [0.2, 'x'] } } } },
    })
    const run = await runCli(['report', root])
    expect(run.code).toBe(3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(path.join(root, 'test-1', 'client-1.json'))
    expect(run.stderr).toContain('`curl.iphone.samples.total[1]`')
    expect(run.stderr).not.toContain('    at ')
  })

  it('names a results path that does not exist', async () => {
    const run = await runCli(['report', 'no-such-results'])
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('The results path no-such-results does not exist')
  })
})
