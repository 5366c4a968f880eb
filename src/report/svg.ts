import { formatRatio } from './format-text.js'
import { type ReportTable, sourceLabel, tableTitle } from './tables.js'

const COLORS = {
  origin: '#4e79a7',
  p2p: '#f28e2b',
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
 * same bytes for the same table). Top: per client, the mean origin time and the mean P2P time side
 * by side (`<rect class="bar origin">`, `<rect class="bar p2p">`). Bottom: per client, the ratio
 * origin / P2P on a log scale around 1 (`<rect class="bar ratio">`, green when P2P was faster), with
 * the geometric mean as a dashed line. Each bar has a `data-client` attribute and a tooltip.
 */
export function renderTableSvg(table: ReportTable): string {
  const rows = table.rows
  const left = 64
  const right = 96 // room for the mean's label beside the ratio panel
  const longest = Math.max(6, ...rows.map((r) => r.client.length))
  const slotMin = Math.max(88, longest * 7 + 20)
  const title = tableTitle(table)
  const mean = table.geometricMean
  const summary =
    mean === null
      ? 'no client has both origin and P2P fetches'
      : `geometric mean of the ratios (origin / P2P): ${formatRatio(mean)}${table.paper ? `, the paper prints ${formatRatio(table.paper.printedMean)}` : ''}; ${rows.length} client${rows.length === 1 ? '' : 's'}`
  const excludedNote =
    table.excluded.length > 0
      ? `not in the mean: ${table.excluded.map((e) => `${e.client} (${e.rule})`).join(', ')}; reasons in the text report`
      : ''
  const legend = [
    ['origin', COLORS.origin, 'origin (mean)'],
    ['p2p', COLORS.p2p, `P2P: ${sourceLabel(table.source)} (mean)`],
  ] as const
  // Text widths are estimated (about 0.57 em a character) so that nothing is cut off.
  const width = Math.ceil(
    Math.max(
      560,
      left + right + slotMin * Math.max(1, rows.length),
      left + title.length * 8.6 + 16,
      left + summary.length * 6.9 + 16,
      left + excludedNote.length * 6.3 + 16,
      left + legend.reduce((w, [, , label]) => w + 42 + label.length * 6.9, 0),
    ),
  )
  const plotWidth = width - left - right
  const slot = plotWidth / Math.max(1, rows.length)
  const barWidth = Math.min(28, (slot - 20) / 2)
  const timeTop = 90
  const timeHeight = 200
  const timeBottom = timeTop + timeHeight
  const ratioTop = timeBottom + 64
  const ratioHeight = 150
  const footer = table.excluded.length > 0 ? 26 : 0
  const height = ratioTop + ratioHeight + 24 + footer

  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title chart-desc" font-family="${escapeXml(FONT)}" fill="${COLORS.text}">`,
    `<title id="chart-title">${escapeXml(title)}</title>`,
    `<desc id="chart-desc">${escapeXml(`Per client: mean origin and P2P fetch times, and their ratio. ${summary}.`)}</desc>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    text(left, 24, title, 'font-size="15" font-weight="600"'),
    text(left, 44, summary, `font-size="12" fill="${COLORS.muted}"`),
  )

  let lx = left
  for (const [key, color, label] of legend) {
    out.push(
      `<rect class="legend ${key}" x="${n(lx)}" y="56" width="12" height="12" fill="${color}"/>`,
      text(lx + 18, 66, label, 'font-size="12"'),
    )
    lx += 42 + label.length * 6.9
  }

  if (rows.length === 0) {
    out.push(
      text(left, timeTop + 40, 'No client has both origin and P2P fetches of this asset.', 'font-size="13"'),
    )
  }

  // Times: a linear axis in ms, or in s when the longest bar is 10 s or more.
  const maxMs = Math.max(0, ...rows.flatMap((r) => [r.originMs, r.p2pMs]))
  const unit = maxMs >= 10_000 ? 's' : 'ms'
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
  const label = (value: number) =>
    unit === 's' ? (value / 1000).toFixed(1) : value < 100 ? value.toFixed(1) : value.toFixed(0)

  // Ratios: log2 scale from the smallest to the largest power of two needed, 1/2 … 2 at least.
  const logs = rows.map((r) => Math.log2(r.ratio))
  const lo = Math.min(-1, Math.floor(Math.min(0, ...logs) + 1e-9))
  const hi = Math.max(1, Math.ceil(Math.max(0, ...logs) - 1e-9))
  const yRatio = (ratio: number) => ratioTop + ((hi - Math.log2(ratio)) / (hi - lo)) * ratioHeight
  const ratioBase = yRatio(1)
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

  rows.forEach((r, i) => {
    const x0 = left + i * slot
    const mid = x0 + slot / 2
    const client = escapeXml(r.client)
    const bars: [string, number, string, number, string][] = [
      [
        'origin',
        mid - barWidth - 2,
        COLORS.origin,
        r.originMs,
        `origin ${r.originMs.toFixed(1)} ms (${r.originSamples} fetches)`,
      ],
      ['p2p', mid + 2, COLORS.p2p, r.p2pMs, `P2P ${r.p2pMs.toFixed(1)} ms (${r.p2pSamples} fetches)`],
    ]
    for (const [key, x, color, value, tip] of bars) {
      const y = yTime(value)
      out.push(
        `<rect class="bar ${key}" data-client="${client}" x="${n(x)}" y="${n(y)}" width="${n(barWidth)}" height="${n(timeBottom - y)}" fill="${color}"><title>${escapeXml(`${r.client}: ${tip}`)}</title></rect>`,
        text(x + barWidth / 2, y - 4, label(value), 'font-size="10" text-anchor="middle"'),
      )
    }
    out.push(text(mid, timeBottom + 18, r.client, 'font-size="12" text-anchor="middle" class="client"'))

    const y = yRatio(r.ratio)
    const up = r.ratio >= 1
    out.push(
      `<rect class="bar ratio" data-client="${client}" x="${n(mid - barWidth)}" y="${n(Math.min(y, ratioBase))}" width="${n(barWidth * 2)}" height="${n(Math.abs(ratioBase - y))}" fill="${up ? COLORS.faster : COLORS.slower}"><title>${escapeXml(`${r.client}: ratio ${formatRatio(r.ratio)} (origin ${r.originMs.toFixed(1)} ms / P2P ${r.p2pMs.toFixed(1)} ms)`)}</title></rect>`,
      text(
        mid,
        up ? y - 4 : y + 13,
        `${formatRatio(r.ratio)}×`,
        `font-size="11" text-anchor="middle" ${HALO}`,
      ),
    )
  })

  if (mean !== null) {
    const y = yRatio(mean)
    out.push(
      line(left, y, left + plotWidth, y, `class="mean" stroke="${COLORS.text}" stroke-dasharray="6 4"`),
      text(left + plotWidth + 6, y + 4, `mean ${formatRatio(mean)}×`, 'font-size="11"'),
    )
  }
  if (excludedNote) out.push(text(left, height - 12, excludedNote, `font-size="11" fill="${COLORS.muted}"`))
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
