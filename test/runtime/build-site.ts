/**
 * Builds the rewritten test site the way publish will: fixtures/site with
 * fixtures/runtime laid over it and its binary files generated, assets under
 * their real CIDs, CSS then HTML rewritten by the real rewriter into links on
 * the test gateway, p2pcdn-fallback.json and the built runtime at the root,
 * and the runtime's `<script>` where publish puts it: first in each rewritten
 * page's `<head>`, or right after its `<base href>`.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { globby } from 'globby'
import { cidOfPath } from '../../src/import/cid-of-path.js'
import type { PublishedAsset, RewriteContext } from '../../src/rewrite/plan-reference.js'
import { rewriteHtml } from '../../src/rewrite/rewrite-html.js'
import { type RewrittenReference, rewriteStylesheet } from '../../src/rewrite/rewrite-stylesheet.js'
import { runtimeSrc } from '../../src/rewrite/runtime-src.js'
import { copyTree, FIXTURE_SITE, ROOT } from '../helpers/fs.js'
import { boxFont, solidPng, toneWav } from './media-files.js'

export const RUNTIME_FILE = path.join(ROOT, 'dist/runtime/p2pcdn-fallback.js')
export const FONT_FAMILY = 'Widget Sans'

export interface BuiltSite {
  dir: string
  /** Site path → published asset (CSS files with their rewritten CID). */
  assets: Map<string, PublishedAsset>
  /** Page path → the site paths it references, directly or through its CSS. */
  references: Map<string, string[]>
}

export async function buildSite(
  dir: string,
  options: { gateway: string; origin: string; timeout: number },
): Promise<BuiltSite> {
  await copyTree(FIXTURE_SITE, dir)
  await copyTree(path.join(ROOT, 'fixtures/runtime'), dir)
  await fs.rm(path.join(dir, 'README.md'))
  await fs.mkdir(path.join(dir, 'media'), { recursive: true })
  await fs.writeFile(path.join(dir, 'img/poster.png'), solidPng(64, 48, [200, 40, 40]))
  await fs.writeFile(path.join(dir, 'img/wide.png'), solidPng(40, 40, [40, 160, 40]))
  await fs.writeFile(path.join(dir, 'media/tone.wav'), toneWav())
  // The fixture's font is random bytes, which no browser renders.
  await fs.writeFile(path.join(dir, 'fonts/widget.woff2'), boxFont(FONT_FAMILY))

  const assets = new Map<string, PublishedAsset>()
  const publish = async (sitePath: string) => {
    const file = path.join(dir, sitePath)
    const integrity = `sha256-${createHash('sha256')
      .update(await fs.readFile(file))
      .digest('base64')}`
    assets.set(sitePath, { cid: (await cidOfPath(file)).toString(), integrity })
  }
  const context = (documentPath: string): RewriteContext => ({
    documentPath,
    origins: [options.origin],
    assets,
    link: { format: 'path', gateway: options.gateway },
  })

  const files = await globby('**/*', { cwd: dir })
  const pages = files.filter((f) => f.endsWith('.html'))
  // Alphabetical order is dependency order here: css/fonts.css is imported by css/site.css.
  const stylesheets = files.filter((f) => f.endsWith('.css')).sort()
  for (const f of files) if (!pages.includes(f) && !stylesheets.includes(f)) await publish(f)

  const fromCss = new Map<string, RewrittenReference[]>()
  for (const sheet of stylesheets) {
    const file = path.join(dir, sheet)
    const result = rewriteStylesheet(await fs.readFile(file, 'utf8'), context(sheet))
    if (result.warnings.length > 0) throw new Error(`${sheet}: ${JSON.stringify(result.warnings)}`)
    await fs.writeFile(file, result.css)
    fromCss.set(sheet, result.rewritten)
    await publish(sheet)
  }

  const references = new Map<string, string[]>()
  const fallback: Record<string, string> = {}
  for (const sheet of stylesheets)
    for (const r of fromCss.get(sheet) ?? []) fallback[assets.get(r.path)?.cid as string] = r.path
  for (const page of pages) {
    const file = path.join(dir, page)
    // The runtime's script placed as publish places it (after a <base href>, relative to it).
    const result = rewriteHtml(await fs.readFile(file, 'utf8'), context(page), {
      runtimeScript: (baseHref) => runtimeSrc(page, baseHref, [options.origin]),
    })
    await fs.writeFile(file, result.html)
    // Every rewritten asset, and the CSS ones listed for the runtime (a superset of those in CSS).
    const seen = new Set<string>()
    const visit = (p: string) => {
      if (seen.has(p)) return
      seen.add(p)
      for (const r of fromCss.get(p) ?? []) visit(r.path)
    }
    for (const r of result.rewritten) {
      visit(r.path)
      fallback[assets.get(r.path)?.cid as string] = r.path
    }
    references.set(page, [...seen].sort())
  }

  await fs.writeFile(
    path.join(dir, 'p2pcdn-fallback.json'),
    JSON.stringify({ version: 1, timeout: options.timeout, assets: fallback }, null, 2),
  )
  await fs.copyFile(RUNTIME_FILE, path.join(dir, 'p2pcdn-fallback.js'))
  return { dir, assets, references }
}
