import path from 'node:path'
import { computeTables, formatTablesText, readResults, writeSvgCharts } from '../../src/index.js'

export interface ReportFlags {
  svg?: string
  json?: boolean
  /** `--all-clients`: keep the clients the paper leaves out. */
  allClients?: boolean
}

/**
 * `p2pcdn report <results...>`: the tables as text (or `--json`) on stdout, warnings and the list
 * of written charts on stderr.
 */
export async function runReport(inputs: string[], flags: ReportFlags): Promise<void> {
  const read = await readResults(inputs)
  const { tables, warnings } = computeTables(read.entries, { paperExclusions: flags.allClients !== true })
  const allWarnings = [...read.warnings, ...warnings]
  const charts = flags.svg === undefined ? undefined : await writeSvgCharts(tables, path.resolve(flags.svg))

  if (flags.json) {
    const out = { tables, warnings: allWarnings, ...(charts ? { svg: charts } : {}) }
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
  } else process.stdout.write(formatTablesText(tables))

  for (const w of allWarnings) process.stderr.write(`warning: ${w.message}\n`)
  if (charts) {
    const rel = (p: string) => path.relative(process.cwd(), p) || '.'
    process.stderr.write(`wrote ${charts.length} chart${charts.length === 1 ? '' : 's'}:\n`)
    for (const file of charts) process.stderr.write(`  ${rel(file)}\n`)
  }
}
