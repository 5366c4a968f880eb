import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  chartFileName,
  computeTables,
  type ReportTable,
  readResults,
  renderTableSvg,
  writeSvgCharts,
} from '../../src/index.js'
import type { PaperReportTable } from '../../src/report/index.js'
import { tempDirs } from '../helpers/fs.js'
import { curl, entry, gets, SEED_RESULTS } from './fixtures.js'
import { allElements, parseXml, type XmlElement } from './xml.js'

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

const BENCH = 'p2pcdn 0.1.0'
const bars = (root: XmlElement, kind: string) =>
  allElements(root).filter((e) => e.name === 'rect' && e.attrs.class === `bar ${kind}`)

/** Checks the chart of `table`: well-formed, an SVG document, one bar of each kind per client. */
function checkChart(table: ReportTable, svg = renderTableSvg(table)): XmlElement {
  expect(svg).not.toMatch(/NaN|Infinity|undefined/)
  const root = parseXml(svg)
  expect(root.name).toBe('svg')
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg')
  expect(Number(root.attrs.width)).toBeGreaterThan(0)
  expect(root.attrs.viewBox).toBe(`0 0 ${root.attrs.width} ${root.attrs.height}`)
  const clients = table.rows.map((r) => r.client)
  for (const kind of ['origin', 'p2p', 'ratio']) {
    const found = bars(root, kind)
    expect(found.map((b) => b.attrs['data-client'])).toEqual(clients)
    for (const b of found) {
      expect(Number(b.attrs.height)).toBeGreaterThanOrEqual(0)
      expect(b.children.map((c) => c.name)).toEqual(['title'])
    }
  }
  return root
}

const lab = () =>
  computeTables([
    entry('lab', 'fast & <close>', {
      VERSION: BENCH,
      curl: { img: curl([0.3]) },
      ipfs_gateway: { img: gets([0.1]) },
    }),
    entry('lab', 'slow \'far\' "host"', {
      VERSION: BENCH,
      curl: { img: curl([0.2]) },
      ipfs_gateway: { img: gets([0.8]) },
    }),
    entry('lab', 'none', { VERSION: BENCH, curl: { img: curl([0.2]) } }),
  ]).tables[0] as ReportTable

describe('the XML check the chart tests use', () => {
  it.each([
    ['<a><b></a>', '</a> closes <b>'],
    ['<a x="1" x="2"/>', 'twice'],
    ['<a>&nbsp;</a>', 'no entity'],
    ['<a>1 < 2</a>', 'a name was expected'],
    ['<a t="1 < 2"/>', '"<" inside text or an attribute value'],
    ['<a>AT&T</a>', 'no entity'],
    ['<a title="x"y="1"/>', 'whitespace before an attribute'],
    ['<a/><b/>', 'after the root'],
    ['<a>', 'no end tag'],
  ])('refuses %s', (xml, message) => {
    expect(() => parseXml(xml)).toThrow(message)
  })

  it('decodes references', () => {
    expect(parseXml('<?xml version="1.0"?><a t="&quot;&#65;&#x42;">&lt;&amp;&gt;</a>')).toEqual({
      name: 'a',
      attrs: { t: '"AB' },
      children: [],
      text: '<&>',
    })
  })
})

describe('renderTableSvg', () => {
  it('draws a well-formed chart with an origin, a P2P and a ratio bar per client, names escaped', () => {
    const table = lab()
    const root = checkChart(table)
    const texts = allElements(root).map((e) => e.text)
    expect(texts).toContain('fast & <close>')
    expect(texts).toContain('3.00×')
    expect(texts).toContain('0.25×')
    // Faster than the origin: green, above the 1× line; slower: red, below it.
    const [faster, slower] = bars(root, 'ratio')
    expect(faster?.attrs.fill).not.toBe(slower?.attrs.fill)
    expect(Number(faster?.attrs.y) + Number(faster?.attrs.height)).toBeCloseTo(Number(slower?.attrs.y), 1)
    expect(allElements(root).filter((e) => e.name === 'line' && e.attrs.class === 'mean')).toHaveLength(1)
    expect(texts.some((t) => t.includes('not in the mean: none (missing)'))).toBe(true)
  })

  it('is deterministic', () => {
    expect(renderTableSvg(lab())).toBe(renderTableSvg(lab()))
  })

  it('draws an empty chart when no client has both sides', () => {
    const table = computeTables([
      entry('lab', 'a', { VERSION: BENCH, curl: { img: curl([0.2]) }, ipfs_gateway: { img: gets([]) } }),
    ]).tables[0] as ReportTable
    const root = checkChart(table)
    expect(bars(root, 'origin')).toHaveLength(0)
    expect(allElements(root).some((e) => e.text.includes('No client has both'))).toBe(true)
  })

  const seedExists = existsSync(path.join(SEED_RESULTS, 'test-1', 'client-1.json'))
  it.skipIf(!seedExists)(
    `draws the paper's Tables 1-5 as it prints them${seedExists ? '' : ' (skipped: the seed data ../shared/seed-data/experiments/results is absent)'}`,
    async () => {
      const { paperTables, tables } = computeTables((await readResults([SEED_RESULTS])).entries)
      expect(tables).toEqual([])
      const charts = paperTables.map((t) => parseXml(renderTableSvg(t)))
      for (const [i, root] of charts.entries()) {
        const table = paperTables[i] as PaperReportTable
        const svg = renderTableSvg(table)
        expect(svg).not.toMatch(/NaN|Infinity|undefined/)
        expect(root.attrs.viewBox).toBe(`0 0 ${root.attrs.width} ${root.attrs.height}`)
        expect(allElements(root).find((e) => e.name === 'title')?.text).toBe(
          `Table ${table.table}: ${table.caption.split('. ')[0]}.`,
        )
        // One origin bar per row with an Akamai cell, labelled with the cell as the table prints it.
        const texts = allElements(root).map((e) => e.text)
        for (const row of table.rows) {
          expect(texts).toContain(row.origin?.text)
          for (const cell of row.cells) if (cell.p2p) expect(texts).toContain(cell.p2p.text)
          for (const cell of row.cells) if (cell.ratio) expect(texts).toContain(`${cell.ratio.text}×`)
        }
        expect(bars(root, 'origin')).toHaveLength(table.rows.length)
      }
      const [table1, , , table4, table5] = charts as XmlElement[]
      // Table 1: an MIT and a residential bar per client; two ratio bars and two means.
      const p2p = bars(table1 as XmlElement, 'p2p')
      expect(p2p.map((b) => `${b.attrs['data-client']}:${b.attrs['data-source']}`).slice(0, 2)).toEqual([
        'client-1:ipfs_mit',
        'client-1:ipfs_residential',
      ])
      expect(bars(table1 as XmlElement, 'ratio')).toHaveLength(12)
      const means = allElements(table1 as XmlElement).filter((e) => e.attrs.class === 'mean')
      expect(means.map((e) => e.attrs['data-source'])).toEqual(['ipfs_mit', 'ipfs_residential'])
      expect(allElements(table1 as XmlElement).map((e) => e.text)).toContain('mean (MIT) 1.60×')
      // Clients 5 and 6 are faded: out of the mean.
      const faded = bars(table1 as XmlElement, 'ratio').filter((b) => b.attrs['data-in-mean'] === 'false')
      expect([...new Set(faded.map((b) => b.attrs['data-client']))]).toEqual(['client-5', 'client-6'])
      // Table 4 prints no mean, Table 5 no ratios; Table 5 is in seconds, MIT only for test 2.
      expect(allElements(table4 as XmlElement).filter((e) => e.attrs.class === 'mean')).toEqual([])
      expect(bars(table5 as XmlElement, 'ratio')).toEqual([])
      expect(allElements(table5 as XmlElement).map((e) => e.text)).toContain('time (s)')
      expect(
        bars(table5 as XmlElement, 'p2p').filter((b) => b.attrs['data-source'] === 'ipfs_mit'),
      ).toHaveLength(2)
    },
  )
})

describe('writeSvgCharts', () => {
  it('writes one chart per table, atomically, named after the table', async () => {
    const dir = path.join(await dirs.make('charts'), 'nested', 'svg')
    const table = lab()
    const paper = computeTables([
      entry('test-2', 'client-8', { curl: { iphone: curl([0.2]) }, ipfs_mit: { iphone: gets([0.1]) } }),
    ]).paperTables[0] as PaperReportTable
    const files = await writeSvgCharts([table, paper], dir)
    expect(files.map((f) => path.basename(f))).toEqual(['lab-img-ipfs_gateway.svg', 'table-2.svg'])
    expect((await fs.readdir(dir)).sort()).toEqual(['lab-img-ipfs_gateway.svg', 'table-2.svg'])
    expect(await fs.readFile(files[1] as string, 'utf8')).toBe(renderTableSvg(paper))
    expect(await fs.readFile(files[0] as string, 'utf8')).toBe(renderTableSvg(table))
  })

  it('keeps file names safe and distinct', async () => {
    const table = { ...lab(), group: '../odd name', source: 'ipfs_a/b' }
    expect(chartFileName(table)).toBe('odd-name-img-ipfs_a-b.svg')
    const dir = await dirs.make('charts')
    const files = await writeSvgCharts([table, table], dir)
    expect(files.map((f) => path.relative(dir, f))).toEqual([
      'odd-name-img-ipfs_a-b.svg',
      'odd-name-img-ipfs_a-b-2.svg',
    ])
  })
})
