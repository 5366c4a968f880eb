/**
 * The report's one compute step: the paper's Tables 1-5 from the paper's own files, the generic
 * tables from every other file.
 */
import type { Warning } from '../warnings.js'
import { computePaperTables, type PaperReportTable } from './paper-tables.js'
import type { ResultsEntry } from './read-results.js'
import { computeGenericTables, type ReportTable } from './tables.js'

export interface ComputeTablesOptions {
  /**
   * Keep the rows the paper prints after its mean (Table 1: clients 5 and 6; Table 3: client 6)
   * out of the mean, as the paper does. `false` puts every printed row into the mean.
   * @default true
   */
  paperExclusions?: boolean
}

export interface ComputeTablesResult {
  /** The paper's tables that have at least one of their files among the results, by number. */
  paperTables: PaperReportTable[]
  /** The numbers of the paper's tables none of whose files are among the results (empty when none is). */
  paperTablesNotPrinted: number[]
  /** The generic tables, one per test, asset and source, of the files no paper table has a row for. */
  tables: ReportTable[]
  warnings: Warning[]
}

/**
 * Computes the report's tables. Files the paper's script wrote (see `isPaperFile`) that a row of
 * the paper's Tables 1-5 names fill those tables, as the paper prints them (see `paper.ts`); every
 * other file goes to the generic tables (see `computeGenericTables`). Pure.
 *
 * @example
 * const { entries } = await readResults(['experiments/results'])
 * const { paperTables } = computeTables(entries)
 * paperTables[0].means?.map((m) => m.text) // ['1.60', '0.87'] (the paper's Table 1)
 */
export function computeTables(
  entries: readonly ResultsEntry[],
  options: ComputeTablesOptions = {},
): ComputeTablesResult {
  const paper = computePaperTables(entries, { allClientsInMean: options.paperExclusions === false })
  const generic = computeGenericTables(entries.filter((e) => !paper.used.has(e)))
  return {
    paperTables: paper.tables,
    paperTablesNotPrinted: paper.tables.length > 0 ? paper.notPrinted : [],
    tables: generic.tables,
    warnings: generic.warnings,
  }
}
