/**
 * `p2pcdn/speedtest`: the paper's speedtest (Figure 1). Loads a page from the
 * origin variant and from the P2P variant in headless Chromium and compares
 * the load times. A separate entry point: it drives Chromium through
 * playwright-core, which nothing else in p2pcdn needs (and which it loads
 * only when a speedtest runs).
 *
 * @packageDocumentation
 */
export { CHROMIUM_ARGS, DEFAULT_CHROMIUM, launchChromium } from './browser.js'
export {
  type Classified,
  canonicalCid,
  classifyResource,
  ipfsCidOf,
  linkedCids,
  type ResourceSource,
} from './classify.js'
export { DEFAULT_PAGE, defaultOriginDir, resolveSpeedtestInputs, type SpeedtestInputs } from './inputs.js'
export { DEFAULT_TIMEOUT, runSpeedtest } from './run-speedtest.js'
export {
  DEFAULT_RUNS,
  type SpeedtestServer,
  type SpeedtestServerOptions,
  startSpeedtestServer,
  VARIANTS,
  type Variant,
} from './serve.js'
export { type Stat, summarise } from './stats.js'
export type {
  Fallback,
  PageLoad,
  ResourceEntry,
  SourceTotals,
  SpeedtestOptions,
  SpeedtestProgressDetails,
  SpeedtestProgressEvents,
  SpeedtestResult,
  VariantResources,
  VariantResult,
} from './types.js'
