import type { ComputeTablesResult } from './compute-tables.js'
import { formatPaperTableText, notPrintedLine, PAPER_CELLS_NOTE } from './format-paper-text.js'
import { type ReportTable, tableTitle } from './tables.js'

/** A ratio or mean as the paper prints it: two decimals. */
export const formatRatio = (value: number) => value.toFixed(2)

const formatMs = (value: number) => value.toFixed(1)

function columns(cells: readonly string[], widths: readonly number[]): string {
  return `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}`.trimEnd()
}

/**
 * One generic table as text: a line per client (origin ms, P2P ms, how many fetches each, ratio),
 * the geometric mean of the ratios, then the clients left out and the failed fetches dropped, each
 * with its reason.
 */
export function formatTableText(table: ReportTable): string {
  const head = ['client', 'origin ms', 'n', 'P2P ms', 'n', 'ratio']
  const body = table.rows.map((r) => [
    r.client,
    formatMs(r.originMs),
    String(r.originSamples),
    formatMs(r.p2pMs),
    r.p2pTries !== undefined && r.p2pTries !== r.p2pSamples
      ? `${r.p2pSamples}/${r.p2pTries}`
      : String(r.p2pSamples),
    formatRatio(r.ratio),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)))
  const lines = [tableTitle(table), columns(head, widths), ...body.map((cells) => columns(cells, widths))]
  if (table.geometricMean === null) lines.push('  no client has both origin and P2P fetches: no mean')
  else {
    const n = table.rows.length
    lines.push(
      `  geometric mean of the ratios (origin / P2P), ${n} client${n === 1 ? '' : 's'}: ${formatRatio(table.geometricMean)}`,
    )
  }
  if (table.excluded.length > 0) {
    lines.push('  not in the mean:')
    for (const e of table.excluded) lines.push(`    ${e.client}: ${e.reason}`)
  }
  const dropped = table.rows.filter((r) => r.dropped.length > 0)
  if (dropped.length > 0) {
    lines.push('  failed fetches left out of a client’s P2P time:')
    for (const r of dropped)
      for (const d of r.dropped) lines.push(`    ${r.client}: one fetch of ${formatMs(d.ms)} ms, ${d.reason}`)
  }
  return `${lines.join('\n')}\n`
}

/**
 * The report as text: the paper's tables (see `formatPaperTableText`) with one line on how their
 * cells are computed and one naming those not printed, then every generic table (see
 * {@link formatTableText}) and a summary line per generic table with its mean.
 */
export function formatTablesText(
  result: Pick<ComputeTablesResult, 'paperTables' | 'tables'> &
    Partial<Pick<ComputeTablesResult, 'paperTablesNotPrinted'>>,
): string {
  const { paperTables, tables } = result
  if (paperTables.length === 0 && tables.length === 0)
    return 'No tables: the results hold no P2P fetches to compare with the origin.\n'
  const parts: string[] = []
  if (paperTables.length > 0) {
    const notPrinted = result.paperTablesNotPrinted ?? []
    parts.push(
      `${paperTables.map(formatPaperTableText).join('\n')}\n${PAPER_CELLS_NOTE}\n${notPrinted.length > 0 ? `${notPrintedLine(notPrinted)}\n` : ''}`,
    )
  }
  if (tables.length > 0) {
    const summary = tables.map((t) => {
      const mean = t.geometricMean === null ? '-' : formatRatio(t.geometricMean)
      return `  ${mean.padStart(6)}  ${tableTitle(t)}`
    })
    parts.push(
      `${tables.map(formatTableText).join('\n')}\nGeometric means of the ratios (origin / P2P; above 1, P2P was faster):\n${summary.join('\n')}\n`,
    )
  }
  return parts.join('\n')
}
