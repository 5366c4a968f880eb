/** Turns the scenario results into figures with targets, a table for stdout, and the JSON record. */
import { MB } from './stats.js'

/** Issue 15's goals, each a ratio to a reference measured in the same run. */
export const TARGETS = {
  /** publish time ≤ this × (cp + openssl dgst -sha256) */
  largeVsCpOpenssl: 1.5,
  /** publish speed ≥ this × ipfs-car pack */
  largeVsIpfsCar: 2,
  /** publish time ≤ this × (cp -r + sha256sum) */
  siteVsCpSha256sum: 1.5,
  siteVsIpfsCar: 5,
  /** publish speed ≥ this × Kubo ipfs add -r + dag export ("no slower") */
  siteVsKubo: 1,
  republishOneShare: 0.3,
  /** cache folder ≤ this share of the bytes published */
  cacheShare: 0.05,
  maxRssBytes: 300 * MB,
}

const ratioTarget = (op, threshold) => ({ kind: 'ratio', op, threshold, text: `${op} ${threshold}×` })
const check = (target, x) =>
  target === undefined || x === undefined || x === null
    ? null
    : target.op === '>='
      ? x >= target.threshold
      : x <= target.threshold

/** A throughput figure beside one reference: ratio = our MB/s over theirs. */
export function throughputFigure(id, label, ours, ref, threshold) {
  const target = threshold === undefined ? undefined : ratioTarget('>=', threshold)
  const ratio = ref ? ours.mbps / ref.mbps : null
  return {
    id,
    label,
    value: ours.mbps,
    unit: 'MB/s',
    ms: ours.bestMs,
    reference: ref
      ? { name: ref.name, command: ref.command, value: ref.mbps, unit: 'MB/s', ms: ref.bestMs }
      : null,
    ratio,
    target: target ?? null,
    pass: check(target, ratio),
  }
}

/** A time figure beside one reference: ratio = our time over theirs (lower is better). */
function timeFigure(id, label, ours, ref, threshold) {
  const target = ratioTarget('<=', threshold)
  const ratio = ref ? ours.bestMs / ref.bestMs : null
  return {
    id,
    label,
    value: ours.bestMs,
    unit: 'ms',
    reference: ref ? { name: ref.name, command: ref.command, value: ref.bestMs, unit: 'ms' } : null,
    ratio,
    target,
    pass: check(target, ratio),
  }
}

/** The cache folder's size over the bytes published. */
function cacheFigure(id, label, cacheBytes, published) {
  const target = ratioTarget('<=', TARGETS.cacheShare)
  const ratio = cacheBytes / published
  return {
    id,
    label,
    value: cacheBytes / MB,
    unit: 'MB',
    reference: { name: 'bytes published', value: published / MB, unit: 'MB' },
    ratio,
    target,
    pass: check(target, ratio),
  }
}

function rssFigure(id, label, summary) {
  const target = { kind: 'value', op: '<=', threshold: TARGETS.maxRssBytes, text: '<= 300 MB' }
  return {
    id,
    label,
    value: summary.maxRssBytes / MB,
    unit: 'MB',
    reference: null,
    ratio: null,
    target,
    pass: check(target, summary.maxRssBytes),
  }
}

function republishFigure(id, label, ours, full, threshold) {
  const target = threshold === undefined ? undefined : ratioTarget('<=', threshold)
  const ratio = ours.bestMs / full.bestMs
  return {
    id,
    label,
    value: ours.bestMs,
    unit: 'ms',
    reference: { name: 'full publish (fresh cache)', value: full.bestMs, unit: 'ms' },
    ratio,
    target: target ?? null,
    pass: check(target, ratio),
  }
}

/** Every figure of the run, in table order. */
export function buildFigures({ large, site }) {
  const figures = []
  if (large) {
    const p = large.publish
    const r = large.references
    figures.push(
      timeFigure('large.vs-cp-openssl', 'large file: publish', p, r.cpOpenssl, TARGETS.largeVsCpOpenssl),
      throughputFigure('large.vs-openssl', 'large file: publish', p, r.openssl),
      throughputFigure('large.vs-sha256sum', 'large file: publish', p, r.sha256sum),
      throughputFigure('large.vs-ipfs-car', 'large file: publish', p, r.ipfsCar, TARGETS.largeVsIpfsCar),
      throughputFigure('large.car.vs-ipfs-car', 'large file: publish --car', large.publishCar, r.ipfsCar),
      cacheFigure('large.cache', 'large file: cache folder', large.cacheBytes, large.bytes),
      rssFigure('large.rss', 'large file: publish peak RSS', p),
      rssFigure('large.car.rss', 'large file: publish --car peak RSS', large.publishCar),
    )
  }
  if (site) {
    const r = site.references
    figures.push(
      timeFigure(
        'site.vs-cp-sha256sum',
        'site: full publish',
        site.full,
        r.cpSha256sum,
        TARGETS.siteVsCpSha256sum,
      ),
      throughputFigure('site.vs-sha256sum', 'site: full publish', site.full, r.sha256sum),
      throughputFigure('site.vs-ipfs-car', 'site: full publish', site.full, r.ipfsCar, TARGETS.siteVsIpfsCar),
      republishFigure(
        'site.republish-one',
        'site: re-publish, 1 file changed',
        site.oneChanged,
        site.full,
        TARGETS.republishOneShare,
      ),
      republishFigure('site.republish-none', 'site: re-publish, nothing changed', site.unchanged, site.full),
      cacheFigure('site.cache', 'site: cache folder', site.cacheBytes, site.bytes),
      rssFigure('site.full.rss', 'site: full publish peak RSS', site.full),
      rssFigure('site.republish-one.rss', 'site: re-publish (1 changed) peak RSS', site.oneChanged),
      rssFigure('site.republish-none.rss', 'site: re-publish (none) peak RSS', site.unchanged),
    )
  }
  return figures
}

const fmt = (x, unit) =>
  x === null || x === undefined
    ? '—'
    : unit === 'MB/s'
      ? `${x.toFixed(1)} MB/s`
      : unit === 'ms'
        ? x >= 10000
          ? `${(x / 1000).toFixed(1)} s`
          : `${x.toFixed(0)} ms`
        : `${x.toFixed(1)} ${unit}`

const percent = (share) => (share === undefined || share === null ? '—' : `${(share * 100).toFixed(0)}%`)

const ratioText = (f) =>
  f.ratio === null ? '—' : `${f.ratio >= 10 ? f.ratio.toFixed(1) : f.ratio.toFixed(2)}×`
const passText = (pass) => (pass === null ? 'info' : pass ? 'PASS' : 'FAIL')

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  const line = (r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n')
}

/** The readable report for stdout. */
export function formatReport(record) {
  const { figures, scenarios, machine } = record
  const rows = [['figure', 'ours', 'reference', 'ref', 'ratio', 'target', 'result']]
  for (const f of figures) {
    rows.push([
      f.label,
      fmt(f.value, f.unit),
      f.reference?.name ?? '',
      f.reference ? fmt(f.reference.value, f.reference.unit) : '',
      ratioText(f),
      f.target?.text ?? '',
      passText(f.pass),
    ])
  }
  const out = [
    `p2pcdn publish benchmark (${record.mode}) — ${record.date}`,
    `${machine.cpu} × ${machine.cpus}, ${(machine.memoryBytes / 2 ** 30).toFixed(0)} GiB RAM, ${machine.platform}, node ${record.node}`,
    'MB = 10^6 bytes; times are best of the runs, wall-clock from spawn to exit (node start-up included).',
    '',
    table(rows),
  ]
  const stepRows = [
    [
      'publish run (best)',
      'wall',
      'publish()',
      'scan',
      'open',
      'copy',
      'import',
      'root',
      'car',
      'commit',
      'user CPU',
      'sys CPU',
      'others',
    ],
  ]
  let overlap = false
  const addSteps = (label, s) => {
    if (!s) return
    const bestRun = s.runs.find((r) => r.wallMs === s.bestMs)
    overlap ||= bestRun.copyOverlapsImport === true
    const st = s.steps
    const cell = (x) => (x === null || x === undefined ? '—' : `${x.toFixed(0)}`)
    stepRows.push([
      label,
      cell(s.bestMs),
      cell(bestRun.durationMs),
      ...['scan', 'open', 'copy', 'import', 'root', 'car', 'commit'].map((k) => cell(st[k])),
      cell(bestRun.userCpuMs),
      cell(bestRun.systemCpuMs),
      percent(bestRun.otherCpuShare),
    ])
  }
  addSteps('large file, fresh cache', scenarios.large?.publish)
  addSteps('large file, --car', scenarios.large?.publishCar)
  addSteps('site, fresh cache', scenarios.site?.full)
  addSteps('site, 1 file changed', scenarios.site?.oneChanged)
  addSteps('site, nothing changed', scenarios.site?.unchanged)
  out.push(
    '',
    'Where the time goes (ms, from progress events; wall − publish() = node start-up + module load;',
    '"others" = share of all CPUs used meanwhile by other processes and kernel threads such as writeback):',
    table(stepRows),
  )
  if (overlap)
    out.push(
      '(copy overlaps the steps after it: publish runs it beside the import, so the steps add up to more than publish())',
    )

  for (const p of record.profiles ?? []) {
    out.push('', `CPU profile ${p.name} (${p.file}), self time of ${p.summary.totalMs.toFixed(0)} ms:`)
    for (const o of p.summary.byOwner.slice(0, 8)) {
      out.push(`  ${(o.share * 100).toFixed(1).padStart(5)}%  ${o.ms.toFixed(0).padStart(6)} ms  ${o.name}`)
    }
    out.push('  hottest functions:')
    for (const o of p.summary.byFunction.slice(0, 8)) {
      out.push(`  ${(o.share * 100).toFixed(1).padStart(5)}%  ${o.ms.toFixed(0).padStart(6)} ms  ${o.name}`)
    }
  }
  const notes = record.notes ?? []
  if (notes.length) out.push('', 'Notes:', ...notes.map((n) => `  - ${n}`))
  const missed = figures.filter((f) => f.pass === false)
  out.push(
    '',
    missed.length
      ? `Targets missed (${missed.length}/${figures.filter((f) => f.pass !== null).length}): ${missed.map((f) => f.id).join(', ')}`
      : 'All targets met.',
  )
  return `${out.join('\n')}\n`
}
