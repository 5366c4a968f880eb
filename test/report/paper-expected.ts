/**
 * The paper's Tables 1-5, typed from its text (../shared/seed-data/paper.md, section 4.2) as it
 * lays them out: one line per row, cells separated by tabs, the `<b>` of the mean rows dropped.
 * These are the golden values of the report's tests; none was produced by the code under test.
 */

export interface PaperExpected {
  table: number
  /** The header line, as in paper.md. */
  header: string
  /** Every row, the mean row included, in the paper's order. */
  rows: string[]
}

export const PAPER_EXPECTED: readonly PaperExpected[] = [
  {
    // paper.md, Table 1: "Test 1—P2P CDN performance vs Akamai when retrieving an iPhone image."
    table: 1,
    header: 'Client\tAkamai\tP2P (MIT)\tRatio (MIT)\tP2P (Res)\tRatio (Res)',
    rows: [
      '1\t209.50\t65.8\t3.18\t145.5\t1.44',
      '2\t146.92\t67.6\t2.17\t143.9\t1.02',
      '3\t125.98\t114.2\t1.10\t183.2\t0.69',
      '4 (H)\t73.34\t85.4\t0.86\t131.4\t0.56',
      '\tMean:\t\t1.60\t\t0.87',
      '5 (S)\t145.36\t264.9\t0.55\t261.6\t0.56',
      '6 (M)\t75.92\t27.4\t2.77\t121.2\t0.63',
    ],
  },
  {
    // paper.md, Table 2: "Test 2—P2P CDN performance vs Akamai when retrieving an iPhone image."
    table: 2,
    header: 'Client\tAkamai\tP2P (MIT)\tRatio (MIT)\tP2P (Res)\tRatio (Res)',
    rows: [
      '7\t229.34\t96.4\t2.38\t138.9\t1.65',
      '8 (B)\t251.20\t83.2\t3.02\t97.9\t2.57',
      '\tMean:\t\t2.68\t\t2.06',
    ],
  },
  {
    // paper.md, Table 3: "Test 3—P2P CDN performance vs Akamai when retrieving an iPhone image."
    table: 3,
    header: 'Client\tAkamai\tP2P (Res)\tRatio (Res)',
    rows: [
      '9\t131.40\t26.9\t4.88',
      '10\t92.40\t82.8\t1.12',
      '2\t200.05\t204.2\t0.98',
      '7\t126.53\t152.1\t0.83',
      '\tMean:\t\t1.45',
      '6 (M)\t79.59\t56.6\t1.41',
    ],
  },
  {
    // paper.md, Table 4: Test 3 by one user at four places (its header says "Location").
    table: 4,
    header: 'Location\tAkamai\tP2P (Res)\tRatio (Res)',
    rows: [
      'EC Server room\t96.98\t189.0\t0.51',
      'Baker Ethernet\t67.45\t58.7\t1.15',
      'Baker WiFi\t88.84\t67.8\t1.31',
      'Baker Verizon 4G\t208.71\t128.2\t1.63',
    ],
  },
  {
    // paper.md, Table 5: "P2P CDN performance vs Akamai when retrieving an iPad video. Times in seconds."
    table: 5,
    header: '\tClient\tAkamai\tP2P (MIT)\tP2P (Res)',
    rows: [
      '2\t7\t18.87\t190.45\t41.33',
      '2\t8 (B)\t76.58\t56.20\t93.60',
      '3\t7\t8.97\t\t182.14',
      '3\t6 (M)\t17.69\t\t35.46',
      '3\t9\t43.03\t\t3.05',
      '3\t10\t4.57\t\t50.76',
      '3\tEC Server room\t2.36\t\t166.18',
      '3\tBaker WiFi\t15.76\t\t140.00',
      '3\tBaker Ethernet\t6.70\t\t45.60',
    ],
  },
]

/** A table's header and rows as cells. */
export const cellsOf = (expected: PaperExpected): string[][] => [
  expected.header.split('\t'),
  ...expected.rows.map((r) => r.split('\t')),
]

/** The rows without the mean row, as cells. */
export const dataRowsOf = (expected: PaperExpected): string[][] =>
  expected.rows.filter((r) => !r.includes('Mean:')).map((r) => r.split('\t'))

/** The values of the mean row (empty when the paper prints none). */
export const meansOf = (expected: PaperExpected): string[] =>
  (expected.rows.find((r) => r.includes('Mean:'))?.split('\t') ?? []).filter((c) => /^\d/.test(c))

/** A computed (or JSON) paper table's rows as the paper's cells, in its order of rows. */
export function rowsAsCells(table: {
  testColumn: boolean
  ratios: boolean
  rows: {
    group: string
    label: string
    origin?: { text: string }
    cells: { p2p?: { text: string }; ratio?: { text: string } }[]
  }[]
}): string[][] {
  return table.rows.map((r) => [
    ...(table.testColumn ? [r.group.replace(/^test-/, '')] : []),
    r.label,
    r.origin?.text ?? '',
    ...r.cells.flatMap((c) => [c.p2p?.text ?? '', ...(table.ratios ? [c.ratio?.text ?? ''] : [])]),
  ])
}
