/**
 * Chromium through playwright-core, loaded only when a speedtest runs (it is
 * not needed anywhere else in p2pcdn). One page load per fresh browser
 * context, so every load starts with a cold cache and no open connections.
 */
import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { P2pcdnError } from '../errors.js'

/** Debian's and Ubuntu's Chromium. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking']

/** Navigation Timing of one load, milliseconds from navigation start. */
export interface RawNavigation {
  responseStart: number
  responseEnd: number
  domInteractive: number
  domContentLoadedEventEnd: number
  loadEventEnd: number
  transferSize: number
}

/** One Resource Timing entry as read in the page. */
export interface RawResource {
  name: string
  initiatorType: string
  transferSize: number
  encodedBodySize: number
  decodedBodySize: number
  startTime: number
  duration: number
  responseStart: number
  responseEnd: number
  /** HTTP status (0 when the browser hides it: a cross-origin no-cors request, or a network error). */
  responseStatus: number
}

export interface RawLoad {
  navigation: RawNavigation
  resources: RawResource[]
}

/**
 * Read in the page as an expression (a string, so no bundler helper can creep
 * into a serialised function).
 */
const READ_TIMINGS = `(() => {
  const n = performance.getEntriesByType('navigation')[0] || {}
  const pick = (e, keys) => Object.fromEntries(keys.map((k) => [k, typeof e[k] === 'number' ? e[k] : 0]))
  return {
    navigation: pick(n, ['responseStart', 'responseEnd', 'domInteractive', 'domContentLoadedEventEnd', 'loadEventEnd', 'transferSize']),
    resources: performance.getEntriesByType('resource').map((e) => ({
      name: e.name,
      initiatorType: e.initiatorType,
      ...pick(e, ['transferSize', 'encodedBodySize', 'decodedBodySize', 'startTime', 'duration', 'responseStart', 'responseEnd', 'responseStatus']),
    })),
  }
})()`

const LOADED = `(() => { const n = performance.getEntriesByType('navigation')[0]; return !!n && n.loadEventEnd > 0 })()`

/**
 * Launches headless Chromium from `executablePath`, with {@link CHROMIUM_ARGS} and `extraArgs`
 * (e.g. `--autoplay-policy=no-user-gesture-required` for pages that play media).
 *
 * @throws P2pcdnError `ERR_CONFIG_INVALID` naming `--chromium` when it is missing or does not start,
 *   or when playwright-core is not installed
 */
export async function launchChromium(
  executablePath: string,
  extraArgs: readonly string[] = [],
): Promise<Browser> {
  if (!existsSync(executablePath))
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `Chromium was not found at ${executablePath}. Install it (e.g. \`apt install chromium\`), or pass the path of a Chromium or Chrome binary with --chromium (option \`chromium\`).`,
    )
  let playwright: typeof import('playwright-core')
  try {
    playwright = await import('playwright-core')
  } catch (cause) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `The speedtest drives Chromium through playwright-core, which is not installed: ${(cause as Error).message}. Install it with \`npm install playwright-core\`.`,
      { cause },
    )
  }
  try {
    return await playwright.chromium.launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS, ...extraArgs],
    })
  } catch (cause) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `Chromium at ${executablePath} did not start: ${(cause as Error).message.split('\n')[0]}. Pass a working Chromium or Chrome binary with --chromium (option \`chromium\`).`,
      { cause },
    )
  }
}

/** How long to wait, after the load event, for requests still running (late fallbacks) to end. */
const SETTLE_MS = 3000

/**
 * Loads `url` in a fresh context (cold cache), waits for the load event to be
 * over and the network to go quiet, and reads Navigation and Resource Timing.
 *
 * @throws P2pcdnError `ERR_CONFIG_INVALID` when the page has not loaded within `timeoutMs`
 */
export async function measureLoad(browser: Browser, url: string, timeoutMs: number): Promise<RawLoad> {
  const context = await browser.newContext()
  try {
    // The default buffer keeps 250 entries; a big page has more.
    await context.addInitScript({ content: 'performance.setResourceTimingBufferSize(100000)' })
    const tab = await context.newPage()
    try {
      await tab.goto(url, { waitUntil: 'load', timeout: timeoutMs })
      await tab.waitForFunction(LOADED, undefined, { timeout: timeoutMs, polling: 10 })
    } catch (cause) {
      if (!browser.isConnected()) throw cause
      throw new P2pcdnError(
        'ERR_CONFIG_INVALID',
        `${url} did not finish loading within ${timeoutMs} ms: ${(cause as Error).message.split('\n')[0]}. Check that its gateway answers, or allow longer with --timeout (option \`timeout\`).`,
        { cause },
      )
    }
    await tab.waitForLoadState('networkidle', { timeout: Math.min(SETTLE_MS, timeoutMs) }).catch(() => {})
    return (await tab.evaluate(READ_TIMINGS)) as RawLoad
  } finally {
    await context.close().catch(() => {})
  }
}
