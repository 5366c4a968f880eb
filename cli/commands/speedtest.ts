import path from 'node:path'
import {
  runSpeedtest,
  type SourceTotals,
  type SpeedtestProgressEvents,
  type SpeedtestResult,
  startSpeedtestServer,
} from '../../src/speedtest/index.js'
import { invalidFlag as invalid } from '../flags.js'

export interface SpeedtestFlags {
  originDir?: string
  page?: string
  runs?: string
  port?: string
  chromium?: string
  timeout?: string
  json?: boolean
  headless?: boolean
  open?: boolean
}

function integer(option: string, value: string | undefined, min: number, fix: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw invalid(option, value, fix)
  return n
}

const human = (bytes: number) =>
  bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`
const ms = (value: number) => value.toFixed(1).padStart(8)

const count = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1))
const totals = (t: SourceTotals) =>
  `${count(t.count)} (${human(t.bytes)}${t.failed > 0 ? `, ${count(t.failed)} failed` : ''})`

/** The human report on stderr. */
function table(result: SpeedtestResult): string {
  const rel = (p: string) => path.relative(process.cwd(), p) || '.'
  const row = (name: string, v: SpeedtestResult['origin']) =>
    `  ${name.padEnd(8)}${ms(v.loadMs.median)}${ms(v.loadMs.min)}${ms(v.loadMs.max)}${ms(v.domContentLoadedMs.median).padStart(20)}${ms(v.responseEndMs.median).padStart(15)}`
  const faster =
    result.ratio >= 1
      ? `the P2P variant loads ${result.ratio.toFixed(2)}× as fast`
      : `the P2P variant takes ${(1 / result.ratio).toFixed(2)}× as long`
  const p2p = result.resources.p2p
  const lines = [
    `p2pcdn speedtest: ${result.page}, ${result.runs} loads per variant, cold cache each, Chromium ${result.browser}`,
    `  origin: ${rel(result.originDir)}   p2p: ${rel(result.p2pDir)}`,
    '',
    `  ${'variant'.padEnd(8)}${'load'.padStart(8)}${'min'.padStart(8)}${'max'.padStart(8)}${'DOMContentLoaded'.padStart(20)}${'response end'.padStart(15)}`,
    row('origin', result.origin),
    row('p2p', result.p2p),
    "  (ms from navigation start: median, min and max of the load event's end; medians of the others)",
    '',
    `  ratio     ${result.ratio.toFixed(2)}  (origin median / P2P median load time: ${faster})`,
    `  P2P resources per load: ipfs ${totals(p2p.bySource.ipfs)}, origin ${totals(p2p.bySource.origin)}, other ${totals(p2p.bySource.other)}`,
  ]
  if (p2p.fallbacks.length === 0) lines.push('  fell back to the origin: none')
  else {
    lines.push(`  fell back to the origin: ${p2p.fallbacks.length} assets`)
    for (const f of p2p.fallbacks) lines.push(`    ${f.path}  (${f.loads} of ${result.runs} loads)`)
  }
  for (const w of result.warnings) lines.push(`  warning: ${w.message}`)
  return `${lines.join('\n')}\n`
}

/** Serves both variants and the side-by-side page until Ctrl-C. */
async function serve(
  p2pDir: string,
  flags: SpeedtestFlags,
  runs: number | undefined,
  port: number | undefined,
) {
  const server = await startSpeedtestServer({
    p2pDir,
    ...(flags.originDir !== undefined ? { originDir: flags.originDir } : {}),
    ...(flags.page !== undefined ? { page: flags.page } : {}),
    ...(runs !== undefined ? { runs } : {}),
    ...(port !== undefined ? { port } : {}),
  })
  process.stderr.write(
    [
      `p2pcdn speedtest: open ${server.url}/ in a browser and press Run.`,
      `  origin variant  ${server.url}/origin/`,
      `  P2P variant     ${server.url}/p2p/`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  )
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({ url: `${server.url}/`, origin: `${server.url}/origin/`, p2p: `${server.url}/p2p/` })}\n`,
    )
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await server.close()
}

/** `p2pcdn speedtest <p2p-dir>`: headless runs with a report, or (`--open`) the interactive page. */
export async function runSpeedtestCommand(p2pDir: string, flags: SpeedtestFlags): Promise<void> {
  const runs = integer('runs', flags.runs, 1, 'must be a whole number of loads, at least 1')
  const port = integer('port', flags.port, 0, 'must be a port number (0: any free port)')
  const timeout = integer('timeout', flags.timeout, 1, 'must be a whole number of milliseconds')
  const headless =
    flags.open === true
      ? false
      : (flags.headless ?? (flags.json === true || !process.stdout.isTTY || !process.stderr.isTTY))
  if (!headless) {
    await serve(p2pDir, flags, runs, port)
    return
  }
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const onProgress = (event: SpeedtestProgressEvents) => {
    if (event.type === 'p2pcdn:speedtest:load') {
      const { variant, run, runs: total, loadMs } = event.detail
      process.stderr.write(`  ${variant.padEnd(6)} ${run}/${total}  ${loadMs.toFixed(1)} ms\n`)
    }
  }
  try {
    const result = await runSpeedtest({
      p2pDir,
      ...(flags.originDir !== undefined ? { originDir: flags.originDir } : {}),
      ...(flags.page !== undefined ? { page: flags.page } : {}),
      ...(runs !== undefined ? { runs } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
      ...(flags.chromium !== undefined ? { chromium: flags.chromium } : {}),
      signal: controller.signal,
      onProgress,
    })
    process.stderr.write(table(result))
    if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}
