/**
 * `runSpeedtest()`: the paper's Figure 1 made real. The same page is loaded
 * in headless Chromium from the origin variant (the site folder) and from the
 * P2P variant (publish's output, its assets on IPFS), alternately and each
 * time with a cold cache, and the load times are compared.
 */
import { CustomProgressEvent } from 'progress-events'
import { P2pcdnError } from '../errors.js'
import type { Warning } from '../warnings.js'
import {
  fallbacksOf,
  linkedInP2p,
  type MeasuredLoad,
  siteIndex,
  toPageLoad,
  totalsBySource,
} from './analyse.js'
import { DEFAULT_CHROMIUM, launchChromium, measureLoad } from './browser.js'
import { resolveSpeedtestInputs } from './inputs.js'
import { DEFAULT_RUNS, startSpeedtestServer, VARIANTS, type Variant } from './serve.js'
import { summarise } from './stats.js'
import type { PageLoad, SpeedtestOptions, SpeedtestResult, VariantResult } from './types.js'

/** Milliseconds one page load may take. */
export const DEFAULT_TIMEOUT = 30_000

const aborted = () =>
  new P2pcdnError('ERR_ABORTED', 'The speedtest was interrupted before it finished; nothing was measured.')

function checkPositiveInteger(option: string, value: unknown, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `The \`${option}\` option must be ${what} from 1 to ${max}, got: ${JSON.stringify(value)}.`,
    )
  return value
}

function variantResult(url: string, loads: PageLoad[]): VariantResult {
  return {
    url,
    loadMs: summarise(loads.map((l) => l.loadMs)),
    domContentLoadedMs: summarise(loads.map((l) => l.domContentLoadedMs)),
    responseEndMs: summarise(loads.map((l) => l.responseEndMs)),
    loads,
  }
}

function p2pWarnings(page: string, linked: ReadonlySet<string>, loads: PageLoad[]): Warning[] {
  const warnings: Warning[] = []
  if (linked.size === 0) {
    warnings.push({
      code: 'W_SPEEDTEST_NO_IPFS_LINKS',
      message:
        'The P2P variant of the page links no asset over IPFS, so both variants load the same way. Publish the site with --gateway <url> so that pages are rewritten.',
      path: page,
    })
    return warnings
  }
  const ipfs = loads.flatMap((l) => l.resources.filter((r) => r.source === 'ipfs'))
  const gateway = ipfs[0] === undefined ? undefined : new URL(ipfs[0].name).origin
  if (
    ipfs.every((r) => r.failed) &&
    loads.every((l) => l.resources.some((r) => r.source !== 'ipfs' && r.cid))
  )
    warnings.push({
      code: 'W_SPEEDTEST_ALL_FELL_BACK',
      message: `No asset of the P2P variant came over IPFS: every one fell back to the origin in every load. Check that the gateway${gateway ? ` ${gateway}` : ''} is up and holds the site (p2pcdn push).`,
      path: page,
    })
  const hidden = ipfs.find((r) => r.bytesFrom === 'manifest')
  if (hidden)
    warnings.push({
      code: 'W_SPEEDTEST_SIZES_HIDDEN',
      message: `The gateway ${new URL(hidden.name).origin} sends no Timing-Allow-Origin header, so Chromium hides the sizes of what it served; the IPFS bytes are the manifest's sizes of the assets that did not fall back.`,
      path: page,
    })
  return warnings
}

/**
 * Runs the speedtest: serves both variants on 127.0.0.1, loads the page from
 * each `runs` times in headless Chromium (alternating, origin first, a fresh
 * browser context each time) and reports load times, the ratio and where the
 * P2P variant's resources came from. Never logs; progress through `onProgress`.
 *
 * @throws P2pcdnError `ERR_INPUT_MISSING` (a folder, the manifest or the page is missing),
 *   `ERR_CONFIG_INVALID` (bad option, no Chromium at `chromium`, a load over `timeout`), `ERR_ABORTED`
 *
 * @example
 * ```ts
 * import { runSpeedtest } from 'p2pcdn/speedtest'
 * const result = await runSpeedtest({ p2pDir: 'dist-p2p', runs: 5 })
 * console.log(result.ratio) // 1.8: the P2P variant loads 1.8 times as fast
 * ```
 */
export async function runSpeedtest(options: SpeedtestOptions): Promise<SpeedtestResult> {
  const runs = checkPositiveInteger('runs', options.runs ?? DEFAULT_RUNS, 1000, 'a whole number of loads')
  const timeout = checkPositiveInteger(
    'timeout',
    options.timeout ?? DEFAULT_TIMEOUT,
    3_600_000,
    'a whole number of milliseconds',
  )
  const { signal, onProgress } = options
  const inputs = await resolveSpeedtestInputs(options)
  const site = siteIndex(inputs.manifest)
  if (signal?.aborted) throw aborted()

  const browser = await launchChromium(options.chromium ?? DEFAULT_CHROMIUM)
  const stop = () => {
    browser.close().catch(() => {})
  }
  signal?.addEventListener('abort', stop, { once: true })
  let server: Awaited<ReturnType<typeof startSpeedtestServer>> | undefined
  const measured: Record<Variant, MeasuredLoad[]> = { origin: [], p2p: [] }
  try {
    server = await startSpeedtestServer({ ...inputs, port: options.port ?? 0, runs })
    onProgress?.(
      new CustomProgressEvent('p2pcdn:speedtest:start', { url: server.url, browser: browser.version() }),
    )
    for (let run = 1; run <= runs; run++) {
      for (const variant of VARIANTS) {
        if (signal?.aborted) throw aborted()
        const url = server.pageUrl(variant, inputs.page)
        const raw = await measureLoad(browser, url, timeout)
        measured[variant].push({ run, url, raw })
        onProgress?.(
          new CustomProgressEvent('p2pcdn:speedtest:load', {
            variant,
            run,
            runs,
            loadMs: raw.navigation.loadEventEnd,
          }),
        )
      }
    }
    const browserVersion = browser.version()
    const root = (variant: Variant) => `${server?.url}/${variant}/`

    const originLoads = measured.origin.map((m) => toPageLoad(m, root('origin'), site, new Set()))
    // The stylesheets the P2P variant loaded, from any source, are read for their IPFS links.
    const unlinked = measured.p2p.map((m) => toPageLoad(m, root('p2p'), site, new Set()))
    const css = unlinked.flatMap((l) => l.resources.map((r) => r.path).filter((p) => p?.endsWith('.css')))
    const linked = await linkedInP2p(inputs.p2pDir, inputs.page, css as string[])
    const p2pLoads = measured.p2p.map((m) => toPageLoad(m, root('p2p'), site, linked))

    const origin = variantResult(server.pageUrl('origin', inputs.page), originLoads)
    const p2p = variantResult(server.pageUrl('p2p', inputs.page), p2pLoads)
    return {
      page: inputs.page,
      runs,
      browser: browserVersion,
      p2pDir: inputs.p2pDir,
      originDir: inputs.originDir,
      origin,
      p2p,
      ratio: origin.loadMs.median / p2p.loadMs.median,
      resources: {
        origin: { bySource: totalsBySource(originLoads) },
        p2p: { bySource: totalsBySource(p2pLoads), fallbacks: fallbacksOf(p2pLoads, linked) },
      },
      warnings: p2pWarnings(inputs.page, linked, p2pLoads),
    }
  } catch (err) {
    if (signal?.aborted) throw aborted()
    throw err
  } finally {
    signal?.removeEventListener('abort', stop)
    await browser.close().catch(() => {})
    await server?.close()
  }
}
