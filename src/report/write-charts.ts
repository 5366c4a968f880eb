import fs from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../utils/write-file-atomic.js'
import type { PaperReportTable } from './paper-tables.js'
import { renderTableSvg } from './svg.js'
import type { ReportTable } from './tables.js'

/**
 * The file name of a table's chart: `table-1.svg` … `table-5.svg` for the paper's tables,
 * `test-2-ipad-ipfs_mit.svg` (test, asset, source) for the generic ones (characters other than
 * letters, digits, `.`, `_` and `-` become `-`; no leading dot, so never a hidden file).
 */
export function chartFileName(table: ReportTable | PaperReportTable): string {
  if ('table' in table) return `table-${table.table}.svg`
  const base =
    [table.group, table.asset, table.source]
      .join('-')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[.-]+/, '') || 'table'
  return `${base}.svg`
}

/**
 * Writes one SVG chart per table (see {@link renderTableSvg}) into `dir`, creating it; each file is
 * replaced atomically, so a reader never sees half a chart. Returns the files written, in table order.
 */
export async function writeSvgCharts(
  tables: readonly (ReportTable | PaperReportTable)[],
  dir: string,
): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true })
  const used = new Set<string>()
  const files: string[] = []
  for (const table of tables) {
    let name = chartFileName(table)
    for (let i = 2; used.has(name); i++) name = chartFileName(table).replace(/\.svg$/, `-${i}.svg`)
    used.add(name)
    const file = path.join(dir, name)
    await writeFileAtomic(file, renderTableSvg(table))
    files.push(file)
  }
  return files
}
