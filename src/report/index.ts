/**
 * `p2pcdn report`: the paper's Tables 1-5 (and the same tables for any results in its format) as
 * data, text and SVG charts. Read → compute → format, each step pure but the first and the last.
 */
export { formatRatio, formatTablesText, formatTableText } from './format-text.js'
export {
  ASSET_NAMES,
  isPaperFile,
  PAPER_EXCLUSIONS,
  PAPER_SCRIPT_VERSION,
  PAPER_TABLES,
  type PaperExclusion,
  type PaperTable,
  SOURCE_NAMES,
} from './paper.js'
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
export { escapeXml, renderTableSvg } from './svg.js'
export {
  type ComputeTablesOptions,
  type ComputeTablesResult,
  computeTables,
  type DroppedGet,
  type ExcludedClient,
  fastestHandshake,
  geometricMean,
  type OriginPhasesMs,
  type ReportRow,
  type ReportTable,
  splitFailedGets,
  tableTitle,
} from './tables.js'
export { chartFileName, writeSvgCharts } from './write-charts.js'
