import path from 'node:path'
import { computeTables, formatTablesText, readResults, writeSvgCharts } from '../../src/index.js'

export interface ReportFlags {
  svg?: string
  json?: boolean
  /** `--all-clients`: put the rows the paper keeps out of its means (Tables 1 and 3) into them. */
  allClients?: boolean
}

/**
 * `p2pcdn report <results...>`: the paper's Tables 1-5 from the paper's files and a generic table
 * per test, asset and source from any other results, as text (or `--json`: `{ paperTables,
 * paperTablesNotPrinted, tables, warnings, svg? }`) on stdout; warnings and the list of written
 * charts on stderr.
 */
export async function runReport(inputs: string[], flags: ReportFlags): Promise<void> {
  const read = await readResults(inputs)
  const result = computeTables(read.entries, { paperExclusions: flags.allClients !== true })
  const allWarnings = [...read.warnings, ...result.warnings]
  const charts =
    flags.svg === undefined
      ? undefined
      : await writeSvgCharts([...result.paperTables, ...result.tables], path.resolve(flags.svg))

  if (flags.json) {
    const { paperTables, paperTablesNotPrinted, tables } = result
    const out = {
      paperTables,
      paperTablesNotPrinted,
      tables,
      warnings: allWarnings,
      ...(charts ? { svg: charts } : {}),
    }
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
  } else process.stdout.write(formatTablesText(result))

  for (const w of allWarnings) process.stderr.write(`warning: ${w.message}\n`)
  if (charts) {
    const rel = (p: string) => path.relative(process.cwd(), p) || '.'
    process.stderr.write(`wrote ${charts.length} chart${charts.length === 1 ? '' : 's'}:\n`)
    for (const file of charts) process.stderr.write(`  ${rel(file)}\n`)
  }
}
