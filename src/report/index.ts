/**
 * `p2pcdn report`: the paper's Tables 1-5 as the paper prints them, from its raw results, and
 * generic tables for any other results in its format; as data, text and SVG charts. Read → compute
 * → format, each step pure but the first and the last.
 */
export { type Chart, type ChartRow, type ChartSeries, genericChart, paperChart } from './chart-model.js'
export { type ComputeTablesOptions, type ComputeTablesResult, computeTables } from './compute-tables.js'
export { type Exact, exactDecimal, exactMean, exactRatio, formatExact } from './exact.js'
export { formatPaperTableText, type PaperTableCells, paperTableCells } from './format-paper-text.js'
export { formatRatio, formatTablesText, formatTableText } from './format-text.js'
export {
  ASSET_NAMES,
  isPaperFile,
  PAPER_EXCLUSIONS,
  PAPER_SCRIPT_VERSION,
  PAPER_TABLES,
  PAPER_TESTS_WITHOUT,
  type PaperColumn,
  type PaperExclusion,
  type PaperRow,
  type PaperTable,
  SOURCE_NAMES,
} from './paper.js'
export {
  computePaperTables,
  type PaperCell,
  type PaperMean,
  type PaperRatio,
  type PaperReportRow,
  type PaperReportTable,
  type PaperTablesOptions,
  type PaperTablesResult,
  type PaperTime,
} from './paper-tables.js'
export {
  parseResults,
  type ReadResultsResult,
  type ResultsEntry,
  readResults,
  validateResults,
} from './read-results.js'
export {
  CURL_PHASES,
  type CurlAssetResult,
  type CurlTimings,
  type IpfsAssetResult,
  type ResultsFile,
} from './results-format.js'
export { geometricMean } from './stats.js'
export { escapeXml, renderTableSvg } from './svg.js'
export {
  computeGenericTables,
  type DroppedGet,
  type ExcludedClient,
  fastestHandshake,
  type OriginPhasesMs,
  type ReportRow,
  type ReportTable,
  splitFailedGets,
  tableTitle,
} from './tables.js'
export { chartFileName, writeSvgCharts } from './write-charts.js'
