import type { PaperReportRow, PaperReportTable } from './paper-tables.js'

/** The header and the lines of a paper table, cell by cell, as the paper lays it out. */
export interface PaperTableCells {
  header: string[]
  /** How many leading columns are labels (left-aligned); the rest are numbers (right-aligned). */
  labels: number
  lines: string[][]
}

const rowCells = (table: PaperReportTable, row: PaperReportRow): string[] => [
  ...(table.testColumn ? [row.group.replace(/^test-/, '')] : []),
  row.label,
  row.origin?.text ?? '',
  ...row.cells.flatMap((cell) => [cell.p2p?.text ?? '', ...(table.ratios ? [cell.ratio?.text ?? ''] : [])]),
]

/**
 * The cells of a paper table: `Client` (Table 4: `Location`), `Akamai`, then per column `P2P (MIT)` and `Ratio (MIT)`
 * (Table 5: the test first, under an empty header, and no ratios); the rows in the mean, the
 * `Mean:` row, then the rows the paper keeps out of the mean (with `--all-clients`, every row,
 * then `Mean (all):`).
 */
export function paperTableCells(table: PaperReportTable): PaperTableCells {
  const header = [
    ...(table.testColumn ? [''] : []), // the paper's Table 5 leaves the test column's header empty
    table.rowHeader,
    'Akamai',
    ...table.columns.flatMap((c) => [`P2P (${c.label})`, ...(table.ratios ? [`Ratio (${c.label})`] : [])]),
  ]
  const labels = table.testColumn ? 2 : 1
  // As in the paper, `Mean:` stands in the Akamai column, each mean under its ratios.
  const meanLine = table.means && [
    ...(table.testColumn ? [''] : []),
    '',
    table.allClientsInMean ? 'Mean (all):' : 'Mean:',
    ...table.means.flatMap((m) => ['', m.text]),
  ]
  const inMean = table.rows.filter((r) => r.inMean || table.allClientsInMean)
  const outside = table.rows.filter((r) => !(r.inMean || table.allClientsInMean))
  const lines = meanLine
    ? [...inMean.map((r) => rowCells(table, r)), meanLine, ...outside.map((r) => rowCells(table, r))]
    : table.rows.map((r) => rowCells(table, r))
  return { header, labels, lines }
}

/** Cells in aligned columns: labels left, numbers right, two spaces apart. */
function aligned({ header, labels, lines }: PaperTableCells): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => (i < labels ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`.trimEnd()
  return [line(header), ...lines.map(line)]
}

/**
 * One of the paper's tables as text: `Table N:` and the caption's first sentence, the table as the
 * paper prints it (same rows, columns, labels and precision), the rest of the caption, the report's
 * remarks, and every cell the results did not give.
 */
export function formatPaperTableText(table: PaperReportTable): string {
  const [first, ...rest] = table.caption.split(/(?<=\.) /)
  const lines = [`Table ${table.table}: ${first}`, ...aligned(paperTableCells(table))]
  lines.push(`  ${rest.join(' ')}`)
  for (const remark of table.remarks) lines.push(`  ${remark}`)
  if (table.allClientsInMean && table.means) {
    const over = table.means[0]?.clients ?? []
    lines.push(`  --all-clients: the mean is over every row (${over.join(', ')}), not the paper's.`)
  }
  const meant = table.rows.filter((r) => r.inMean || table.allClientsInMean).map((r) => r.label)
  table.means?.forEach((m, i) => {
    const column = `Ratio (${table.columns[i]?.label})`
    if (m.clients.length === 0) lines.push(`  No mean of ${column}: no row in the mean has a ratio.`)
    else if (m.clients.length < meant.length)
      lines.push(
        `  The mean of ${column} is over ${m.clients.join(', ')} only; the table's is over ${meant.join(', ')}.`,
      )
  })
  for (const missing of table.missing) lines.push(`  missing: ${missing}`)
  return `${lines.join('\n')}\n`
}

/** How the cells of the paper's tables were computed, said once after them. */
export const PAPER_CELLS_NOTE =
  'The cells: Akamai = mean of the curl `time_total` samples; P2P = mean of every `ipfs get` (`ipfs_mit`: all hosts, MIT’s included; `ipfs_residential`: residential hosts only); both exact means of the recorded times, rounded half up; Ratio = Akamai / P2P; Mean = geometric mean of the ratios.'

/** The line naming the paper's tables none of whose files were read. */
export function notPrintedLine(tables: readonly number[]): string {
  const names = tables.length === 1 ? `Table ${tables[0]}` : `Tables ${tables.join(', ')}`
  return `Not printed: ${names} of the paper (none of their files are among the results read).`
}
