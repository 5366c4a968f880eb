/** `p2pcdn report`, as a process (the built CLI: `npm run build` first, as `npm test` does). */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'
import { curl, gets, SEED_RESULTS, writeTree } from './fixtures.js'
import { allElements, parseXml } from './xml.js'

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

const seedExists = existsSync(path.join(SEED_RESULTS, 'test-1', 'client-1.json'))
const skipNote = seedExists
  ? ''
  : ' (skipped: the seed data ../shared/seed-data/experiments/results is absent)'

const SUMMARY = [
  '    1.60  Table 1: test-1, 22 KB image (iphone): origin vs the MIT hosts (ipfs_mit)   (paper: 1.60)',
  '    0.87  Table 2: test-1, 22 KB image (iphone): origin vs the residential host (ipfs_residential)   (paper: 0.87)',
  '    2.68  Table 3: test-2, 22 KB image (iphone): origin vs the MIT hosts (ipfs_mit)   (paper: 2.68)',
  '    2.06  Table 4: test-2, 22 KB image (iphone): origin vs the residential host (ipfs_residential)   (paper: 2.06)',
  '    1.45  Table 5: test-3, 22 KB image (iphone): origin vs the residential host (ipfs_residential)   (paper: 1.45)',
]

describe.skipIf(!seedExists)(`p2pcdn report on the paper's results${skipNote}`, () => {
  it('prints Tables 1-5 with the printed means and writes a chart per table', async () => {
    const out = path.join(await dirs.make('report'), 'charts')
    const run = await runCli(['report', SEED_RESULTS, '--svg', out])
    expect(run.code, run.stderr).toBe(0)
    for (const line of SUMMARY) expect(run.stdout).toContain(`${line}\n`)
    expect(run.stdout).toContain(
      'Table 1: test-1, 22 KB image (iphone): origin vs the MIT hosts (ipfs_mit)\n',
    )
    const files = (await fs.readdir(out)).sort()
    expect(files).toEqual([
      'table-1-test-1-iphone-ipfs_mit.svg',
      'table-2-test-1-iphone-ipfs_residential.svg',
      'table-3-test-2-iphone-ipfs_mit.svg',
      'table-4-test-2-iphone-ipfs_residential.svg',
      'table-5-test-3-iphone-ipfs_residential.svg',
      'test-2-ipad-ipfs_mit.svg',
      'test-2-ipad-ipfs_residential.svg',
      'test-3-ipad-ipfs_residential.svg',
    ])
    expect(run.stderr).toContain('wrote 8 charts:')
    const table1 = parseXml(await fs.readFile(path.join(out, files[0] as string), 'utf8'))
    const origin = allElements(table1).filter((e) => e.attrs.class === 'bar origin')
    expect(origin.map((e) => e.attrs['data-client'])).toEqual([
      'client-1',
      'client-2',
      'client-3',
      'client-4',
    ])
    for (const file of files) parseXml(await fs.readFile(path.join(out, file), 'utf8'))
  })

  it('prints the tables as JSON with --json', async () => {
    const run = await runCli(['report', '--json', SEED_RESULTS])
    expect(run.code, run.stderr).toBe(0)
    const { tables, warnings } = JSON.parse(run.stdout)
    expect(warnings).toEqual([])
    expect(
      tables.map((t: { paper?: { table: number }; geometricMean: number }) => [
        t.paper?.table ?? null,
        t.geometricMean.toFixed(2),
      ]),
    ).toEqual([
      [1, '1.60'],
      [2, '0.87'],
      [3, '2.68'],
      [4, '2.06'],
      [5, '1.45'],
      [null, '0.37'],
      [null, '0.61'],
      [null, '0.42'],
    ])
  })

  it('keeps every client with --all-clients', async () => {
    const run = await runCli(['report', '--all-clients', path.join(SEED_RESULTS, 'test-1')])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('6 clients: 1.47   (the paper prints 1.60)')
    expect(run.stdout).toContain('6 clients: 0.76   (the paper prints 0.87)')
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
