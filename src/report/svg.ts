import { type Chart, genericChart, paperChart } from './chart-model.js'
import type { PaperReportTable } from './paper-tables.js'
import type { ReportTable } from './tables.js'

const COLORS = {
  origin: '#4e79a7',
  /** One per P2P source of the table, in its order. */
  p2p: ['#f28e2b', '#b07aa1', '#76b7b2'],
  faster: '#59a14f',
  slower: '#e15759',
  grid: '#e3e3e3',
  axis: '#888888',
  text: '#222222',
  muted: '#666666',
}
/** A white outline under a label, so that it stays readable over grid and mean lines. */
const HALO = 'stroke="#ffffff" stroke-width="3" paint-order="stroke"'
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"

/** Escapes text and attribute values for XML. */
export const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  )

/** A coordinate with at most two decimals, never `-0`. */
const n = (x: number) => {
  const r = Math.round(x * 100) / 100
  return Object.is(r, -0) ? '0' : String(r)
}

/** 0 … top in about five round steps (1, 2 or 5 times a power of ten). */
function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1]
  const raw = max / 5
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power
  const count = Math.max(1, Math.ceil(max / step - 1e-9))
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)))
}

const text = (x: number, y: number, content: string, attrs = '') =>
  `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`

const line = (x1: number, y1: number, x2: number, y2: number, attrs: string) =>
  `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" ${attrs}/>`

/**
 * A bar chart of one table, as a standalone SVG document (no scripts, no external resources, the
 * same bytes for the same table). Top: per row, the origin time and each P2P source's time side by
 * side (`<rect class="bar origin">`, `<rect class="bar p2p" data-source="…">`), labelled as the table
 * prints them. Bottom, when the table has ratios: per row and source, the ratio origin / P2P on a
 * log scale around 1 (`<rect class="bar ratio">`, green when P2P was faster, outlined in the
 * source's colour when there are several; faded for a row out of the mean), with each mean as a
 * dashed line. Each bar has a `data-client` attribute and a tooltip.
 */
export function renderTableSvg(table: ReportTable | PaperReportTable): string {
  return renderChart('table' in table ? paperChart(table) : genericChart(table))
}

const seriesColor = (chart: Chart, i: number) =>
  chart.series[i]?.kind === 'origin' ? COLORS.origin : (COLORS.p2p[(i - 1) % COLORS.p2p.length] as string)

function renderChart(chart: Chart): string {
  const { rows, series, title, summary, footnote } = chart
  const sources = series.filter((s) => s.kind === 'p2p')
  const left = 64
  const right = sources.length > 1 ? 128 : 96 // room for the means' labels beside the ratio panel
  const longest = Math.max(6, ...rows.map((r) => r.label.length))
  const widestBarLabel = Math.max(4, ...rows.flatMap((r) => r.times.map((t) => t?.text.length ?? 0)))
  const pitch = Math.max(24, widestBarLabel * 6 + 6) // one bar and the gap to the next
  const slotMin = Math.max(88, longest * 7 + 20, series.length * pitch + 16)
  const legendWidth = series.reduce((w, s) => w + 42 + s.label.length * 6.9, 0)
  // Text widths are estimated (about 0.57 em a character) so that nothing is cut off.
  const width = Math.ceil(
    Math.max(
      560,
      left + right + slotMin * Math.max(1, rows.length),
      left + title.length * 9.4 + 16,
      left + summary.length * 6.9 + 16,
      left + footnote.length * 6.3 + 16,
      left + legendWidth,
    ),
  )
  const plotWidth = width - left - right
  const slot = plotWidth / Math.max(1, rows.length)
  const barWidth = Math.min(28, (slot - 20) / series.length - 4)
  // Bars far enough apart that their labels do not touch, when the slot has room.
  const barGap = Math.max(4, Math.min(pitch - barWidth, (slot - 16) / series.length - barWidth))
  const timeTop = 90
  const timeHeight = 200
  const timeBottom = timeTop + timeHeight
  const ratioTop = timeBottom + 64
  const ratioHeight = chart.ratios ? 150 : 0
  const height = (chart.ratios ? ratioTop + ratioHeight + 24 : timeBottom + 36) + (footnote ? 26 : 0)

  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title chart-desc" font-family="${escapeXml(FONT)}" fill="${COLORS.text}">`,
    `<title id="chart-title">${escapeXml(title)}</title>`,
    `<desc id="chart-desc">${escapeXml(`Per row: the origin and P2P fetch times${chart.ratios ? ', and their ratio' : ''}. ${summary}.`)}</desc>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    text(left, 24, title, 'font-size="15" font-weight="600"'),
    text(left, 44, summary, `font-size="12" fill="${COLORS.muted}"`),
  )

  let lx = left
  series.forEach((s, i) => {
    const source = s.source ? ` data-source="${escapeXml(s.source)}"` : ''
    out.push(
      `<rect class="legend ${s.kind}"${source} x="${n(lx)}" y="56" width="12" height="12" fill="${seriesColor(chart, i)}"/>`,
      text(lx + 18, 66, s.label, 'font-size="12"'),
    )
    lx += 42 + s.label.length * 6.9
  })

  if (rows.length === 0)
    out.push(
      text(left, timeTop + 40, 'No client has both origin and P2P fetches of this asset.', 'font-size="13"'),
    )

  // Times: a linear axis in the table's unit, else in s when the longest bar is 10 s or more.
  const maxMs = Math.max(0, ...rows.flatMap((r) => r.times.map((t) => t?.value ?? 0)))
  const unit = chart.unit ?? (maxMs >= 10_000 ? 's' : 'ms')
  const scale = unit === 's' ? 1000 : 1
  const ticks = niceTicks(maxMs / scale)
  const top = ticks.at(-1) as number
  const yTime = (value: number) => timeBottom - (value / scale / top) * timeHeight
  out.push(text(8, timeTop - 12, `time (${unit})`, 'font-size="11"'))
  for (const t of ticks) {
    const y = timeBottom - (t / top) * timeHeight
    out.push(
      line(left, y, left + plotWidth, y, `stroke="${t === 0 ? COLORS.axis : COLORS.grid}"`),
      text(left - 6, y + 4, String(t), 'font-size="11" text-anchor="end"'),
    )
  }

  // Ratios: log2 scale from the smallest to the largest power of two needed, 1/2 … 2 at least.
  const logs = rows.flatMap((r) => r.ratios.flatMap((x) => (x ? [Math.log2(x.value)] : [])))
  const lo = Math.min(-1, Math.floor(Math.min(0, ...logs) + 1e-9))
  const hi = Math.max(1, Math.ceil(Math.max(0, ...logs) - 1e-9))
  const yRatio = (ratio: number) => ratioTop + ((hi - Math.log2(ratio)) / (hi - lo)) * ratioHeight
  const ratioBase = yRatio(1)
  if (chart.ratios) {
    out.push(text(8, ratioTop - 12, 'ratio origin / P2P (log scale; above 1: P2P faster)', 'font-size="11"'))
    const step = hi - lo > 8 ? 2 : 1
    for (let k = lo; k <= hi; k++) {
      if (k % step !== 0) continue
      const y = yRatio(2 ** k)
      const tick = k >= 0 ? `${2 ** k}×` : `1/${2 ** -k}×`
      out.push(
        line(left, y, left + plotWidth, y, `stroke="${k === 0 ? COLORS.axis : COLORS.grid}"`),
        text(left - 6, y + 4, tick, 'font-size="11" text-anchor="end"'),
      )
    }
  }

  const group = series.length * (barWidth + barGap) - barGap
  rows.forEach((r, i) => {
    const mid = left + i * slot + slot / 2
    const client = escapeXml(r.client)
    const x0 = mid - group / 2
    series.forEach((s, j) => {
      const value = r.times[j]
      if (!value) return
      const x = x0 + j * (barWidth + barGap)
      const y = yTime(value.value)
      const source = s.source ? ` data-source="${escapeXml(s.source)}"` : ''
      out.push(
        `<rect class="bar ${s.kind}" data-client="${client}"${source} x="${n(x)}" y="${n(y)}" width="${n(barWidth)}" height="${n(timeBottom - y)}" fill="${seriesColor(chart, j)}"><title>${escapeXml(`${r.label}: ${value.tip}`)}</title></rect>`,
        text(x + barWidth / 2, y - 4, value.text, 'font-size="10" text-anchor="middle"'),
      )
    })
    out.push(text(mid, timeBottom + 18, r.label, 'font-size="12" text-anchor="middle" class="client"'))
    if (!chart.ratios) return

    const ratioWidth = sources.length > 1 ? barWidth + 8 : barWidth * 2
    const ratioGroup = sources.length * (ratioWidth + 4) - 4
    sources.forEach((s, j) => {
      const ratio = r.ratios[j]
      if (!ratio) return
      const x = mid - ratioGroup / 2 + j * (ratioWidth + 4)
      const y = yRatio(ratio.value)
      const up = ratio.value >= 1
      const outline = sources.length > 1 ? ` stroke="${seriesColor(chart, j + 1)}" stroke-width="2"` : ''
      const fade = r.inMean ? '' : ' fill-opacity="0.45" data-in-mean="false"'
      out.push(
        `<rect class="bar ratio" data-client="${client}" data-source="${escapeXml(s.source ?? '')}" x="${n(x)}" y="${n(Math.min(y, ratioBase))}" width="${n(ratioWidth)}" height="${n(Math.abs(ratioBase - y))}" fill="${up ? COLORS.faster : COLORS.slower}"${outline}${fade}><title>${escapeXml(`${r.label}: ${ratio.tip}`)}</title></rect>`,
        text(
          x + ratioWidth / 2,
          up ? y - 4 : y + 13,
          ratio.text,
          `font-size="11" text-anchor="middle" ${HALO}`,
        ),
      )
    })
  })

  if (chart.ratios) {
    let lastY = Number.NEGATIVE_INFINITY
    const placed = chart.means
      .map((mean, j) => ({ mean, j }))
      .filter((m): m is { mean: number; j: number } => m.mean !== undefined)
      .sort((a, b) => yRatio(a.mean) - yRatio(b.mean))
    for (const { mean, j } of placed) {
      const y = yRatio(mean)
      const labelY = Math.max(y + 4, lastY + 13) // two close means: labels one under the other
      lastY = labelY
      const s = sources[j]
      const name = sources.length > 1 ? `mean ${s?.label.replace(/^P2P /, '')} ` : 'mean '
      out.push(
        line(
          left,
          y,
          left + plotWidth,
          y,
          `class="mean" data-source="${escapeXml(s?.source ?? '')}" stroke="${sources.length > 1 ? seriesColor(chart, j + 1) : COLORS.text}" stroke-dasharray="6 4"`,
        ),
        text(left + plotWidth + 6, labelY, `${name}${mean.toFixed(2)}×`, 'font-size="11"'),
      )
    }
  }
  if (footnote) out.push(text(left, height - 12, footnote, `font-size="11" fill="${COLORS.muted}"`))
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
