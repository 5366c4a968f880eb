/**
 * From raw timings to the speedtest's report: each resource classified
 * (origin, IPFS, other) and tied to its site file, fallbacks found, and the
 * per-source totals.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Manifest, ManifestAsset } from '../manifest/write-manifest.js'
import type { RawLoad } from './browser.js'
import { canonicalCid, classifyResource, linkedCids, type ResourceSource } from './classify.js'
import type { Fallback, PageLoad, ResourceEntry, SourceTotals } from './types.js'

/** Timings to the microsecond: browsers report them no finer, but in binary fractions. */
const round = (ms: number) => Math.round(ms * 1000) / 1000

export const SOURCES: readonly ResourceSource[] = ['origin', 'ipfs', 'other']

/** The manifest's assets by site path and by CID (as CIDv1). */
export interface SiteIndex {
  byPath: Map<string, ManifestAsset>
  byCid: Map<string, ManifestAsset>
  origins: string[]
}

export function siteIndex(manifest: Manifest): SiteIndex {
  const byPath = new Map<string, ManifestAsset>()
  const byCid = new Map<string, ManifestAsset>()
  for (const asset of manifest.assets) {
    if (typeof asset?.path !== 'string' || typeof asset.cid !== 'string') continue
    byPath.set(asset.path, asset)
    const cid = canonicalCid(asset.cid)
    if (cid !== undefined && !byCid.has(cid)) byCid.set(cid, asset)
  }
  const origins = Array.isArray(manifest.origins) ? manifest.origins.filter((o) => typeof o === 'string') : []
  return { byPath, byCid, origins }
}

/** A raw page load with its URL and run number, before classification. */
export interface MeasuredLoad {
  run: number
  url: string
  raw: RawLoad
}

/**
 * Classifies one load's resources. `linked`: CIDs (as CIDv1) the P2P variant
 * links over IPFS; an asset among them loaded from elsewhere fell back.
 */
export function toPageLoad(
  load: MeasuredLoad,
  siteRoot: string,
  site: SiteIndex,
  linked: ReadonlySet<string>,
): PageLoad {
  const classified = load.raw.resources.map((r) => {
    const c = classifyResource(r.name, siteRoot, site.origins)
    const asset =
      c.cid !== undefined ? site.byCid.get(c.cid) : c.path !== undefined ? site.byPath.get(c.path) : undefined
    return { r, c, asset, assetCid: asset === undefined ? undefined : canonicalCid(asset.cid) }
  })
  const fellBack = new Set<string>()
  for (const { c, assetCid } of classified)
    if (c.source !== 'ipfs' && assetCid !== undefined && linked.has(assetCid)) fellBack.add(assetCid)

  const resources = classified.map(({ r, c, asset, assetCid }): ResourceEntry => {
    const failed = c.source === 'ipfs' && c.cid !== undefined && fellBack.has(c.cid)
    let bytes = r.decodedBodySize
    let bytesFrom: ResourceEntry['bytesFrom'] = bytes > 0 ? 'timing' : 'none'
    // A gateway without Timing-Allow-Origin hides sizes; a HEAD probe (fetch) has no body.
    if (bytes === 0 && c.source === 'ipfs' && !failed && asset !== undefined && r.initiatorType !== 'fetch') {
      bytes = asset.size
      bytesFrom = 'manifest'
    }
    const entry: ResourceEntry = {
      name: r.name,
      initiatorType: r.initiatorType,
      transferSize: r.transferSize,
      encodedBodySize: r.encodedBodySize,
      decodedBodySize: r.decodedBodySize,
      startTime: round(r.startTime),
      duration: round(r.duration),
      responseEnd: round(r.responseEnd),
      source: c.source,
      bytes,
      bytesFrom,
    }
    if (c.cid !== undefined) entry.cid = c.cid
    const sitePath = c.path ?? asset?.path
    if (sitePath !== undefined) entry.path = sitePath
    if (c.source === 'ipfs') entry.failed = failed
    else if (assetCid !== undefined && fellBack.has(assetCid)) entry.cid = assetCid
    return entry
  })
  const nav = load.raw.navigation
  return {
    run: load.run,
    url: load.url,
    loadMs: round(nav.loadEventEnd),
    domContentLoadedMs: round(nav.domContentLoadedEventEnd),
    responseEndMs: round(nav.responseEnd),
    responseStartMs: round(nav.responseStart),
    resources,
  }
}

/** Count, bytes and failures per source: the mean per page load. */
export function totalsBySource(loads: readonly PageLoad[]): Record<ResourceSource, SourceTotals> {
  const totals = Object.fromEntries(SOURCES.map((s) => [s, { count: 0, bytes: 0, failed: 0 }])) as Record<
    ResourceSource,
    SourceTotals
  >
  for (const load of loads)
    for (const r of load.resources) {
      const t = totals[r.source]
      t.count++
      t.bytes += r.bytes
      if (r.failed) t.failed++
    }
  const n = Math.max(loads.length, 1)
  for (const t of Object.values(totals)) {
    t.count /= n
    t.bytes /= n
    t.failed /= n
  }
  return totals
}

/** The P2P variant's assets with an IPFS link that came from elsewhere, by path, with how many loads. */
export function fallbacksOf(loads: readonly PageLoad[], linked: ReadonlySet<string>): Fallback[] {
  const found = new Map<string, Fallback>()
  for (const load of loads) {
    const seen = new Set<string>()
    for (const r of load.resources) {
      if (r.source === 'ipfs' || r.cid === undefined || r.path === undefined || !linked.has(r.cid)) continue
      if (seen.has(r.path)) continue
      seen.add(r.path)
      const entry = found.get(r.path)
      if (entry) entry.loads++
      else found.set(r.path, { path: r.path, cid: r.cid, url: r.name, loads: 1 })
    }
  }
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

async function readText(file: string): Promise<string> {
  return fs.readFile(file, 'utf8').catch(() => '')
}

/**
 * The CIDs (as CIDv1) the P2P variant links over IPFS for this page: in the
 * page itself and in the stylesheets it loaded (`cssPaths`, read from the
 * P2P folder, which holds the same bytes as their CIDs).
 */
export async function linkedInP2p(
  p2pDir: string,
  page: string,
  cssPaths: Iterable<string>,
): Promise<Set<string>> {
  const linked = linkedCids(await readText(path.join(p2pDir, ...page.split('/'))))
  for (const css of new Set(cssPaths))
    for (const cid of linkedCids(await readText(path.join(p2pDir, ...css.split('/'))))) linked.add(cid)
  return linked
}
