/**
 * What a chart shows, for either kind of table: the paper's (`paper-tables.ts`) or a generic one
 * (`tables.ts`). `svg.ts` draws it.
 */
import { formatRatio } from './format-text.js'
import type { PaperReportTable } from './paper-tables.js'
import { type ReportTable, sourceLabel, tableTitle } from './tables.js'

/** A bar series of the times panel: the origin, or one P2P source. */
export interface ChartSeries {
  kind: 'origin' | 'p2p'
  /** The P2P source (`ipfs_mit`); absent for the origin. */
  source?: string
  /** The legend's text. */
  label: string
}

/** A bar: its value, the label drawn above it and its tooltip. */
export interface ChartValue {
  value: number
  text: string
  tip: string
}

export interface ChartRow {
  /** The results file's client (the bars' `data-client`). */
  client: string
  /** Drawn under the bars: the paper's label, or the client. */
  label: string
  /** Per series, in ms; undefined where the table has no cell. */
  times: (ChartValue | undefined)[]
  /** Per P2P series, origin / P2P; undefined where the table has no ratio. */
  ratios: (ChartValue | undefined)[]
  inMean: boolean
}

export interface Chart {
  title: string
  summary: string
  /** The times axis: fixed for the paper's tables, else chosen by the longest bar. */
  unit?: 'ms' | 's'
  series: ChartSeries[]
  /** Whether to draw the ratio panel. */
  ratios: boolean
  /** Per P2P series, the mean line (undefined: none). */
  means: (number | undefined)[]
  rows: ChartRow[]
  footnote: string
}

const ms1 = (ms: number) => ms.toFixed(1)
/** The generic bars' labels: whole ms from 100 ms, one decimal below, seconds on an s axis. */
const label = (ms: number, seconds: boolean) =>
  seconds ? (ms / 1000).toFixed(1) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)

/** The chart of a generic table: origin and one P2P source per client, their ratio, the mean. */
export function genericChart(table: ReportTable): Chart {
  const rows = table.rows
  const mean = table.geometricMean
  const seconds = Math.max(0, ...rows.flatMap((r) => [r.originMs, r.p2pMs])) >= 10_000
  return {
    title: tableTitle(table),
    summary:
      mean === null
        ? 'no client has both origin and P2P fetches'
        : `geometric mean of the ratios (origin / P2P): ${formatRatio(mean)}; ${rows.length} client${rows.length === 1 ? '' : 's'}`,
    series: [
      { kind: 'origin', label: 'origin (mean)' },
      { kind: 'p2p', source: table.source, label: `P2P: ${sourceLabel(table.source)} (mean)` },
    ],
    ratios: true,
    means: [mean ?? undefined],
    rows: rows.map((r) => ({
      client: r.client,
      label: r.client,
      times: [
        {
          value: r.originMs,
          text: label(r.originMs, seconds),
          tip: `origin ${ms1(r.originMs)} ms (${r.originSamples} fetches)`,
        },
        {
          value: r.p2pMs,
          text: label(r.p2pMs, seconds),
          tip: `P2P ${ms1(r.p2pMs)} ms (${r.p2pSamples} fetches)`,
        },
      ],
      ratios: [
        {
          value: r.ratio,
          text: `${formatRatio(r.ratio)}×`,
          tip: `ratio ${formatRatio(r.ratio)} (origin ${ms1(r.originMs)} ms / P2P ${ms1(r.p2pMs)} ms)`,
        },
      ],
      inMean: true,
    })),
    footnote:
      table.excluded.length > 0
        ? `not in the mean: ${table.excluded.map((e) => `${e.client} (${e.rule})`).join(', ')}; reasons in the text report`
        : '',
  }
}

/** The chart of one of the paper's tables: its cells as bars, labelled as the table prints them. */
export function paperChart(table: PaperReportTable): Chart {
  const unit = table.unit
  const means = table.means
  const meanText = means
    ? `; mean (geometric) of ${means[0]?.clients.join(', ') || 'no row'}: ${means.map((m, i) => `${m.text || '-'} (${table.columns[i]?.label})`).join(', ')}`
    : table.ratios
      ? '; the paper prints no mean row for this table'
      : '; the paper prints no ratios for this table'
  const outside = table.allClientsInMean ? [] : table.rows.filter((r) => !r.inMean).map((r) => r.label)
  const notes = [
    ...(outside.length > 0 ? [`not in the mean, as in the paper: ${outside.join(', ')}`] : []),
    ...(table.missing.length > 0
      ? [`some cells missing (${table.missing.length} listed in the text report)`]
      : []),
  ]
  return {
    title: `Table ${table.table}: ${table.caption.split(/(?<=\.) /)[0]}`,
    summary: `Times in ${unit}${table.ratios ? '; ratio = Akamai / P2P' : ''}${meanText}`,
    unit,
    series: [
      { kind: 'origin', label: 'Akamai' },
      ...table.columns.map((c) => ({ kind: 'p2p' as const, source: c.source, label: `P2P (${c.label})` })),
    ],
    ratios: table.ratios,
    means: table.columns.map((_, i) => means?.[i]?.value ?? undefined),
    rows: table.rows.map((r) => ({
      client: r.client,
      label: table.testColumn ? `${r.label} (${r.group})` : r.label,
      times: [
        r.origin && {
          value: r.origin.ms,
          text: r.origin.text,
          tip: `Akamai ${r.origin.text} ${unit} (${r.origin.samples} fetches)`,
        },
        ...r.cells.map((c, i) =>
          c.p2p
            ? {
                value: c.p2p.ms,
                text: c.p2p.text,
                tip: `P2P (${table.columns[i]?.label}) ${c.p2p.text} ${unit} (${c.p2p.samples} fetches)`,
              }
            : undefined,
        ),
      ],
      ratios: r.cells.map((c, i) =>
        c.ratio
          ? {
              value: c.ratio.value,
              text: `${c.ratio.text}×`,
              tip: `ratio (${table.columns[i]?.label}) ${c.ratio.text}`,
            }
          : undefined,
      ),
      inMean: r.inMean || table.allClientsInMean,
    })),
    footnote: notes.join('; '),
  }
}
