/**
 * Bench assets from a site published with `p2pcdn publish`: each asset's CID, size and integrity
 * from `p2pcdn-manifest.json`, its origin URL from the site's origin and its path.
 */
import { errors } from '../errors.js'
import type { Manifest } from '../manifest/write-manifest.js'
import type { BenchAsset } from './types.js'

/** Options of {@link manifestAssets}. */
export interface ManifestAssetsOptions {
  /** The site's origin, e.g. `https://www.example.com`. @default the manifest's first `origins` entry */
  origin?: string
  /**
   * The assets to fetch, by site path, each optionally named (`{ name: 'iphone', path: 'img/iphone.jpg' }`);
   * an unnamed one is named by its path. Files the rewrite changed (pages, stylesheets: they have
   * an `originalCid`) are not the same bytes at the origin and over IPFS, so they cannot be chosen.
   * @default every asset of the manifest that the rewrite left unchanged
   */
  assets?: { name?: string; path: string }[]
}

/** The URL of a site path under an origin, each path segment percent-encoded. */
export function assetUrl(origin: string, sitePath: string): string {
  const encoded = sitePath.split('/').map(encodeURIComponent).join('/')
  return new URL(encoded, `${origin.replace(/\/+$/, '')}/`).href
}

const isHttpUrl = (value: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol)
  } catch {
    return false
  }
}

/**
 * The assets of `manifest` to bench, with origin URL, CID, size and integrity. `names`: how errors
 * name the two options (the CLI's `--origin` and `--asset`).
 */
export function manifestAssets(
  manifest: Manifest,
  options: ManifestAssetsOptions = {},
  names: { origin: string; assets: string } = { origin: 'origin', assets: 'assets' },
): BenchAsset[] {
  const origin = options.origin ?? manifest.origins?.[0]
  if (origin === undefined || !isHttpUrl(origin))
    throw errors.optionInvalid(
      names.origin,
      origin,
      origin === undefined
        ? 'must be given: the manifest names no origin. Pass the site’s origin, e.g. "https://www.example.com"'
        : 'must be the site’s origin, an absolute http(s) URL, e.g. "https://www.example.com"',
    )
  const byPath = new Map(manifest.assets.map((asset) => [asset.path, asset]))
  const wanted: { name?: string; path: string }[] =
    options.assets ??
    manifest.assets.filter((asset) => asset.originalCid === undefined).map((asset) => ({ path: asset.path }))
  return wanted.map(({ name, path: sitePath }) => {
    const clean = sitePath.replace(/^\/+/, '')
    const asset = byPath.get(clean)
    if (!asset) {
      const known = [...byPath.keys()].slice(0, 5).join(', ')
      throw errors.optionInvalid(
        names.assets,
        sitePath,
        `must name assets of the manifest by their site path (e.g. ${known}${byPath.size > 5 ? ', …' : ''})`,
      )
    }
    if (asset.originalCid !== undefined)
      throw errors.optionInvalid(
        names.assets,
        sitePath,
        'must name files the rewrite left unchanged (this one was rewritten, so the origin and IPFS serve different bytes); pick images, video, fonts or scripts',
      )
    return {
      name: name ?? asset.path,
      url: assetUrl(origin, asset.path),
      cid: asset.cid,
      size: asset.size,
      integrity: asset.integrity,
    }
  })
}
