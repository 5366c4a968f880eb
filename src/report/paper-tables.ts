/**
 * The paper's Tables 1-5 from its results files: each cell computed from the file of its row (see
 * `paper.ts` for the layout and how the cells derive), printed with the paper's precision.
 */
import { type Exact, exactMean, exactRatio, exactTimes, exactToNumber, formatExact } from './exact.js'
import { isPaperFile, PAPER_TABLES, PAPER_TESTS_WITHOUT, type PaperColumn, type PaperTable } from './paper.js'
import type { ResultsEntry } from './read-results.js'
import type { IpfsAssetResult } from './results-format.js'
import { geometricMean } from './stats.js'

/** A time cell: the exact mean in ms, and the cell as printed. */
export interface PaperTime {
  ms: number
  /** In the table's unit, with the paper's decimals, e.g. `209.50`, `65.8`, `190.45`. */
  text: string
  samples: number
}

/** A ratio cell (Akamai / P2P): the value and the cell as printed (two decimals). */
export interface PaperRatio {
  value: number
  text: string
}

/** One P2P column group of a row; a time without a ratio when the table prints no ratios. */
export interface PaperCell {
  source: string
  p2p?: PaperTime
  ratio?: PaperRatio
}

/** One row, as the paper prints it; cells are missing when its file does not hold them. */
export interface PaperReportRow {
  group: string
  client: string
  /** The paper's label, e.g. `4 (H)`. */
  label: string
  /** The results file, when it was read. */
  file?: string
  inMean: boolean
  origin?: PaperTime
  /** One per column of the table, in its order. */
  cells: PaperCell[]
}

/** A mean row's value for one column: the geometric mean of the ratios of `clients`. */
export interface PaperMean {
  source: string
  /** `null` (and `text` empty) when no row in the mean has a ratio. */
  value: number | null
  text: string
  /** The labels of the rows it is over. */
  clients: string[]
}

/** One of the paper's tables, computed. */
export interface PaperReportTable {
  table: number
  caption: string
  asset: string
  unit: 'ms' | 's'
  columns: PaperColumn[]
  ratios: boolean
  testColumn: boolean
  /** The header of the rows' labels (`Client`, `Location`). */
  rowHeader: string
  rows: PaperReportRow[]
  /** The mean row, one value per column; absent for the tables that print none (4 and 5). */
  means?: PaperMean[]
  /** True when `--all-clients` put rows the paper excludes into the mean (Tables 1 and 3). */
  allClientsInMean: boolean
  /** What the report adds to the caption about the layout. */
  remarks: string[]
  /** Each cell the results do not give, said precisely (no file, no fetches of the asset, …). */
  missing: string[]
}

export interface PaperTablesOptions {
  /** Put the rows the paper excludes from the mean (Tables 1 and 3) into it. @default false */
  allClientsInMean?: boolean
}

export interface PaperTablesResult {
  /** Tables with at least one of their files among the entries, by number. */
  tables: PaperReportTable[]
  /** The numbers of the tables none of whose files are among the entries. */
  notPrinted: number[]
  /** The entries the tables use; every other entry is for the generic tables. */
  used: Set<ResultsEntry>
}

/** A mean of times in seconds as a cell in `unit`. */
function time(seconds: Exact, samples: number, unit: 'ms' | 's', decimals: number): PaperTime {
  const ms = exactTimes(seconds, 1000)
  return { ms: exactToNumber(ms), text: formatExact(unit === 'ms' ? ms : seconds, decimals), samples }
}

const ipfsAsset = (entry: ResultsEntry, source: string, asset: string) =>
  (entry.results as unknown as Record<string, Record<string, IpfsAssetResult> | undefined>)[source]?.[asset]

const fileName = (group: string, client: string) => `${group}/${client}.json`

function buildRow(
  layout: PaperTable,
  spec: PaperTable['rows'][number],
  entry: ResultsEntry | undefined,
  missing: string[],
): PaperReportRow {
  const row: PaperReportRow = {
    group: spec.group,
    client: spec.client,
    label: spec.label,
    inMean: spec.inMean,
    cells: layout.columns.map((c) => ({ source: c.source })),
  }
  const where = `row ${spec.label} (${fileName(spec.group, spec.client)})`
  if (!entry) {
    missing.push(`${where}: the file is not among the results read`)
    return row
  }
  row.file = entry.file
  const { asset } = layout
  const curl = entry.results.curl[asset]
  const originMean = curl ? exactMean(curl.samples.total) : undefined
  if (curl && originMean)
    row.origin = time(originMean, curl.samples.total.length, layout.unit, layout.decimals.origin)
  else missing.push(`${where}: no Akamai fetches of the ${asset} in the file`)
  layout.columns.forEach((column, i) => {
    const cell = row.cells[i] as PaperCell
    const p2p = ipfsAsset(entry, column.source, asset)
    if (!p2p) {
      // Not missing: the test had no such hosts, and the paper leaves the cell empty.
      if (!PAPER_TESTS_WITHOUT[spec.group]?.includes(column.source))
        missing.push(
          `${where}: no P2P (${column.label}) fetches of the ${asset} (\`${column.source}\`) in the file`,
        )
      return
    }
    if (p2p.gets.length === 0) {
      missing.push(`${where}: no successful P2P (${column.label}) fetch (${p2p.tries ?? 0} tries)`)
      return
    }
    const p2pMean = exactMean(p2p.gets)
    cell.p2p = time(p2pMean, p2p.gets.length, layout.unit, layout.decimals.p2p)
    const ratio = originMean && layout.ratios ? exactRatio(originMean, p2pMean) : undefined
    if (ratio) cell.ratio = { value: exactToNumber(ratio), text: formatExact(ratio, 2) }
  })
  return row
}

function means(layout: PaperTable, rows: PaperReportRow[], all: boolean): PaperMean[] {
  return layout.columns.map((column, i) => {
    const counted = rows.filter((r) => (all || r.inMean) && r.cells[i]?.ratio)
    const value =
      counted.length > 0 ? geometricMean(counted.map((r) => r.cells[i]?.ratio?.value as number)) : null
    return {
      source: column.source,
      value,
      text: value === null ? '' : value.toFixed(2),
      clients: counted.map((r) => r.label),
    }
  })
}

/**
 * Computes the paper's tables (`PAPER_TABLES`) from the entries the paper's script wrote (see
 * `isPaperFile`): a table is built when at least one of its rows' files is among them, its cells
 * the exact means of the file's samples at the paper's precision, its mean row the geometric mean
 * of the ratios of the rows in the mean. Cells the files do not give stay empty and are listed in
 * `missing`. Pure.
 *
 * @example
 * const { entries } = await readResults(['experiments/results'])
 * computePaperTables(entries).tables[0].rows[0].origin?.text // '209.50' (the paper's Table 1)
 */
export function computePaperTables(
  entries: readonly ResultsEntry[],
  options: PaperTablesOptions = {},
): PaperTablesResult {
  const all = options.allClientsInMean ?? false
  const byFile = new Map<string, ResultsEntry>()
  for (const entry of entries) if (isPaperFile(entry)) byFile.set(fileName(entry.group, entry.client), entry)
  const used = new Set<ResultsEntry>()
  const tables: PaperReportTable[] = []
  const notPrinted: number[] = []
  for (const layout of PAPER_TABLES) {
    const found = layout.rows.map((r) => byFile.get(fileName(r.group, r.client)))
    if (found.every((e) => e === undefined)) {
      notPrinted.push(layout.table)
      continue
    }
    for (const entry of found) if (entry) used.add(entry)
    const missing: string[] = []
    const rows = layout.rows.map((spec, i) => buildRow(layout, spec, found[i], missing))
    // Only a table with rows out of its mean has a mean that --all-clients changes.
    const allInMean = all && layout.mean && layout.rows.some((r) => !r.inMean)
    const table: PaperReportTable = {
      table: layout.table,
      caption: layout.caption,
      asset: layout.asset,
      unit: layout.unit,
      columns: [...layout.columns],
      ratios: layout.ratios,
      testColumn: layout.testColumn,
      rowHeader: layout.rowHeader,
      rows,
      allClientsInMean: allInMean,
      remarks: [...layout.remarks],
      missing,
    }
    if (layout.mean) table.means = means(layout, rows, allInMean)
    tables.push(table)
  }
  return { tables, notPrinted, used }
}
