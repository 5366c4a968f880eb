import type { ProgressEvent, ProgressOptions } from 'progress-events'
import type { Warning } from '../warnings.js'
import type { ResourceSource } from './classify.js'
import type { Variant } from './serve.js'
import type { Stat } from './stats.js'

/** Details carried by each speedtest progress event. */
export interface SpeedtestProgressDetails {
  /** The server is up and Chromium started. */
  'p2pcdn:speedtest:start': { url: string; browser: string }
  /** One page load is measured. */
  'p2pcdn:speedtest:load': { variant: Variant; run: number; runs: number; loadMs: number }
}

/** Any speedtest progress event; `type` names it, `detail` is typed by it. */
export type SpeedtestProgressEvents = {
  [K in keyof SpeedtestProgressDetails]: ProgressEvent<K, SpeedtestProgressDetails[K]>
}[keyof SpeedtestProgressDetails]

export interface SpeedtestOptions extends ProgressOptions<SpeedtestProgressEvents> {
  /** The folder `p2pcdn publish` wrote (with `p2pcdn-manifest.json`): the P2P variant. */
  p2pDir: string
  /**
   * The site folder that was published, with the original references: the origin variant.
   * @default `p2pDir` without its `-p2p` suffix; required when it has none
   */
  originDir?: string
  /**
   * The page loaded in both variants, relative to the site root.
   * @default 'index.html'
   */
  page?: string
  /**
   * Loads per variant (alternating, origin first), each in a fresh browser context.
   * @default 5
   */
  runs?: number
  /**
   * Path of the Chromium (or Chrome) binary.
   * @default '/usr/bin/chromium'
   */
  chromium?: string
  /**
   * The server's port on 127.0.0.1; 0 picks a free one.
   * @default 0
   */
  port?: number
  /**
   * Milliseconds one page load may take before the speedtest fails.
   * @default 30000
   */
  timeout?: number
  signal?: AbortSignal
}

/** One Resource Timing entry, classified. */
export interface ResourceEntry {
  /** The URL. */
  name: string
  initiatorType: string
  /** Resource Timing's sizes: 0 for a cross-origin resource without `Timing-Allow-Origin`, and for a failed one. */
  transferSize: number
  encodedBodySize: number
  decodedBodySize: number
  /** Milliseconds from navigation start. */
  startTime: number
  duration: number
  responseEnd: number
  source: ResourceSource
  /** The CID (as CIDv1), for an IPFS resource. */
  cid?: string
  /** The site path, when known: from the URL on the page's origin, or from the manifest by CID. */
  path?: string
  /**
   * Body bytes delivered: `decodedBodySize`, else, for an IPFS resource whose gateway
   * hides its sizes (no `Timing-Allow-Origin`) and that did not fall back, the manifest's size.
   */
  bytes: number
  /** Where `bytes` came from: Resource Timing, the manifest, or nowhere (`none`: 0). */
  bytesFrom: 'timing' | 'manifest' | 'none'
  /** An IPFS resource whose asset was then loaded from the origin in the same page load. */
  failed?: boolean
}

/** One page load. */
export interface PageLoad {
  /** 1-based. */
  run: number
  url: string
  /** Navigation Timing, milliseconds from navigation start: `loadEventEnd`, `domContentLoadedEventEnd`, `responseEnd`, `responseStart`. */
  loadMs: number
  domContentLoadedMs: number
  responseEndMs: number
  responseStartMs: number
  resources: ResourceEntry[]
}

/** One variant's timings over all its loads. */
export interface VariantResult {
  /** The page's URL on the speedtest server. */
  url: string
  loadMs: Stat
  domContentLoadedMs: Stat
  responseEndMs: Stat
  loads: PageLoad[]
}

/** Resources of one source: mean per page load over the runs (so possibly fractional). */
export interface SourceTotals {
  count: number
  bytes: number
  /** IPFS resources whose asset then came from the origin. */
  failed: number
}

/** An asset of the P2P variant with an IPFS link that was loaded from the origin instead. */
export interface Fallback {
  path: string
  cid: string
  /** The URL it was loaded from. */
  url: string
  /** In how many of the runs it fell back. */
  loads: number
}

export interface VariantResources {
  bySource: Record<ResourceSource, SourceTotals>
}

/** What {@link runSpeedtest} measured. */
export interface SpeedtestResult {
  /** The page, relative to the site root. */
  page: string
  /** Loads per variant. */
  runs: number
  /** The Chromium version. */
  browser: string
  /** The P2P and origin folders. */
  p2pDir: string
  originDir: string
  origin: VariantResult
  p2p: VariantResult
  /** The paper's ratio: origin median load time / P2P median load time (> 1: the P2P variant is faster). */
  ratio: number
  resources: {
    origin: VariantResources
    p2p: VariantResources & { fallbacks: Fallback[] }
  }
  warnings: Warning[]
}
