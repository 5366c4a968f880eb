import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {
  RUNTIME_DATA_FILE,
  RUNTIME_FILE,
  SERVICE_WORKER_DATA_FILE,
  SERVICE_WORKER_FILE,
} from '../constants.js'
import type { ImportedAsset } from '../import/import-assets.js'
import { contentTypeOf } from '../manifest/write-manifest.js'
import type { Warning } from '../warnings.js'
import { type IpfsLinkOptions, parseIpfsLink } from './ipfs-link.js'
import type { PublishedAsset, RewriteContext } from './plan-reference.js'
import { resolveReference } from './resolve-reference.js'
import { rewriteHtml } from './rewrite-html.js'
import { rewriteScript } from './rewrite-script.js'
import { type RewrittenReference, rewriteStylesheet, stylesheetImports } from './rewrite-stylesheet.js'
import { runtimeSrc } from './runtime-src.js'
import { shiftSourceMap } from './shift-source-map.js'
import { decodeDocument } from './text-codec.js'

export interface RewriteSiteOptions {
  /** The staged output folder, holding a copy of every asset; rewritten files are replaced there. */
  outDir: string
  /** The import step's result for every asset. */
  assets: readonly ImportedAsset[]
  origins: readonly string[]
  link: IpfsLinkOptions
  subresourceIntegrity: boolean
  /** Written into `p2pcdn-fallback.json` for the runtime (ms). */
  fallbackTimeout: number
  /**
   * Ship the service worker with these sources (trustless gateways), per-source timeout, and the
   * routers it asks for more hosts (default: the sources); `addServiceWorkerRoot` adds the site root.
   */
  serviceWorker?: { sources: string[]; timeout: number; routers?: string[] | undefined } | undefined
  /** Imports files the rewrite changed (their bytes are in `outDir`); returns their new CIDs. */
  reimport: (paths: string[]) => Promise<ImportedAsset[]>
  signal?: AbortSignal
}

export interface RewriteSiteResult {
  /** The files the rewrite changed, with their new import result and the CID of the input file. */
  changed: Map<string, { asset: ImportedAsset; originalCid: string }>
  /** How many references became IPFS links. */
  references: number
  /** Whether the fallback runtime and its data were written to the output. */
  runtime: boolean
  warnings: Warning[]
}

const isHtml = (p: string) => /\.html?$/i.test(p)
const isCss = (p: string) => /\.css$/i.test(p)
const isScript = (p: string) => /\.[cm]?js$/i.test(p)

/** A built browser script (`p2pcdn-fallback.js`, `p2pcdn-sw.js`): next to the compiled library, or in `dist/` when running from source. */
function runtimeSource(name = RUNTIME_FILE): string {
  const candidates = [`../../runtime/${name}`, `../../dist/runtime/${name}`]
  for (const candidate of candidates) {
    const file = new URL(candidate, import.meta.url)
    try {
      return readFileSync(file, 'utf8')
    } catch {}
  }
  throw new Error(`The browser runtime ${name} is not built: run \`npm run build\`.`)
}

/** Writes a file through a temporary name: the staged file may be a hard link shared with the input or the earlier output. */
async function replaceFile(file: string, bytes: Buffer | string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  await fs.writeFile(tmp, bytes)
  await fs.rename(tmp, file)
}

/**
 * The rewrite step: turns the asset references of every stylesheet, then
 * every page, into IPFS links, in dependency order (a stylesheet's new CID is
 * known before the pages and stylesheets that use it are rewritten; an
 * `@import` cycle leaves the imports that close it on the origin). Changed
 * files are re-imported; pages that got IPFS links load the fallback runtime,
 * which is written to the output with its data.
 */
export async function rewriteSite(options: RewriteSiteOptions): Promise<RewriteSiteResult> {
  const { outDir, signal } = options
  const published = new Map<string, PublishedAsset>(
    options.assets.map((a) => [a.path, { cid: a.cid.toString(), integrity: a.integrity }]),
  )
  const originalCid = new Map(options.assets.map((a) => [a.path, a.cid.toString()]))
  const changed: RewriteSiteResult['changed'] = new Map()
  const warnings: Warning[] = []
  /** Site path by CID of every IPFS link no element attribute carries a fallback for (CSS, scripts). */
  const runtimeAssets = new Map<string, string>()
  // Links already on IPFS in CSS and scripts (a site published before), mapped back to their files below.
  const linkedAssets: string[] = []
  let pagesWithRuntime = 0
  let references = 0

  /** A script's source map, if it is a published file of the site. */
  const sourceMapOf = async (script: string, url: string | undefined): Promise<string | undefined> => {
    if (url === undefined) return undefined
    const resolved = resolveReference(url, { documentPath: script, origins: options.origins })
    return resolved.kind === 'asset' && published.has(resolved.path) ? resolved.path : undefined
  }
  const context = (documentPath: string, skip?: ReadonlySet<string>): RewriteContext => ({
    documentPath,
    origins: options.origins,
    assets: published,
    link: options.link,
    ...(skip === undefined ? {} : { skip }),
  })
  const note = (rewritten: readonly RewrittenReference[]) => {
    references += rewritten.length
    for (const r of rewritten) {
      const cid = parseIpfsLink(r.url)?.cid
      if (r.css && cid !== undefined) runtimeAssets.set(cid, r.path)
    }
  }
  const commit = async (paths: string[]) => {
    if (paths.length === 0) return
    for (const asset of await options.reimport(paths)) {
      published.set(asset.path, { cid: asset.cid.toString(), integrity: asset.integrity })
      changed.set(asset.path, { asset, originalCid: originalCid.get(asset.path) ?? asset.cid.toString() })
    }
  }
  const read = async (p: string, kind: 'html' | 'css') => {
    const decoded = decodeDocument(await fs.readFile(path.join(outDir, p)), kind)
    if (decoded === undefined) {
      warnings.push({
        code: 'W_CHARSET',
        message: `is not valid in its declared or default charset (UTF-8, UTF-16 with a BOM, or windows-1252), so it is left as it is. Re-save it as UTF-8.`,
        path: p,
      })
    }
    return decoded
  }

  // Scripts first: they name only images, audio and video, whose CIDs the rewrite never changes;
  // pages need the scripts' new CIDs, and which of them must stay on the origin.
  const scriptsOnOrigin = new Set<string>()
  const scriptsWithLinks = new Set<string>()
  for (const p of options.assets.map((a) => a.path).filter(isScript)) {
    signal?.throwIfAborted()
    const decoded = await read(p, 'css')
    if (decoded === undefined) {
      scriptsOnOrigin.add(p)
      continue
    }
    const result = rewriteScript(decoded.text, context(p))
    warnings.push(...result.warnings)
    if (!result.portable) scriptsOnOrigin.add(p)
    references += result.rewritten.length
    for (const r of result.rewritten) {
      const cid = parseIpfsLink(r.url)?.cid
      if (cid !== undefined) runtimeAssets.set(cid, r.path)
    }
    linkedAssets.push(...result.linked)
    if (result.rewritten.length > 0 || result.linked.length > 0) scriptsWithLinks.add(p)
    if (result.code === decoded.text) continue
    await replaceFile(path.join(outDir, p), decoded.encode(result.code))
    const files = [p]
    const map = await sourceMapOf(p, result.sourceMappingUrl)
    if (map !== undefined) {
      const shifted = shiftSourceMap(
        await fs.readFile(path.join(outDir, map), 'utf8'),
        decoded.text,
        result.edits,
      )
      if (shifted === undefined) {
        warnings.push({
          code: 'W_SOURCE_MAP',
          message: `is the source map of ${p}, whose asset URLs were rewritten, but it is not a plain version 3 source map, so it was left as it is and its columns after the rewritten strings are off.`,
          path: map,
        })
      } else {
        await replaceFile(path.join(outDir, map), shifted)
        files.push(map)
      }
    }
    await commit(files)
  }

  // Stylesheets, each after the stylesheets it imports.
  const sheets = options.assets.map((a) => a.path).filter(isCss)
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = async (p: string): Promise<void> => {
    signal?.throwIfAborted()
    state.set(p, 'visiting')
    const decoded = await read(p, 'css')
    if (decoded !== undefined) {
      const cycle = new Set<string>()
      for (const dependency of stylesheetImports(decoded.text, context(p)).filter(isCss)) {
        const seen = state.get(dependency)
        if (seen === undefined) await visit(dependency)
        else if (seen === 'visiting') {
          cycle.add(dependency)
          warnings.push({
            code: 'W_IMPORT_CYCLE',
            message: `imports ${dependency}, which imports it back; that @import stays on the origin.`,
            path: p,
          })
        }
      }
      const result = rewriteStylesheet(decoded.text, context(p, cycle))
      warnings.push(...result.warnings)
      note(result.rewritten)
      linkedAssets.push(...result.linked)
      if (result.css !== decoded.text) {
        await replaceFile(path.join(outDir, p), decoded.encode(result.css))
        await commit([p])
      }
    }
    state.set(p, 'done')
  }
  for (const sheet of sheets) if (!state.has(sheet)) await visit(sheet)

  // Pages, which nothing depends on: rewrite them all, then import them together.
  const pages: string[] = []
  for (const p of options.assets.map((a) => a.path).filter(isHtml)) {
    signal?.throwIfAborted()
    const decoded = await read(p, 'html')
    if (decoded === undefined) continue
    const result = rewriteHtml(decoded.text, context(p, scriptsOnOrigin), {
      subresourceIntegrity: options.subresourceIntegrity,
      runtimeFor: scriptsWithLinks,
      runtimeScript: (baseHref) => runtimeSrc(p, baseHref, options.origins),
    })
    warnings.push(...result.warnings)
    note(result.rewritten)
    linkedAssets.push(...result.linkedCss)
    if (result.runtime) pagesWithRuntime++
    if (result.html !== decoded.text) {
      await replaceFile(path.join(outDir, p), decoded.encode(result.html))
      pages.push(p)
    }
  }
  await commit(pages)

  const byCid = new Map([...published].map(([p, a]) => [a.cid, p]))
  for (const cid of linkedAssets) {
    const p = byCid.get(cid)
    if (p !== undefined) runtimeAssets.set(cid, p)
  }
  const runtime = pagesWithRuntime > 0 || references > 0
  if (runtime) {
    // With the service worker, the runtime variant that registers it.
    await fs.writeFile(
      path.join(outDir, RUNTIME_FILE),
      runtimeSource(options.serviceWorker ? 'p2pcdn-fallback-sw.js' : RUNTIME_FILE),
    )
    const data = {
      version: 1,
      timeout: options.fallbackTimeout,
      assets: Object.fromEntries([...runtimeAssets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      ...(options.serviceWorker ? { serviceWorker: SERVICE_WORKER_FILE } : {}),
    }
    await fs.writeFile(path.join(outDir, RUNTIME_DATA_FILE), `${JSON.stringify(data, null, 2)}\n`)
    if (options.serviceWorker) await writeServiceWorker(outDir, options, changed)
  }
  return { changed, references, runtime, warnings }
}

/** What `p2pcdn-sw.json` holds besides its version, in the order it is written. */
interface ServiceWorkerBody {
  root?: string
  sources: string[]
  routers?: string[]
  timeout: number
  assets: Record<string, { path: string; size: number; type: string }>
}

/**
 * Writes `p2pcdn-sw.js` and its config `p2pcdn-sw.json`: every published asset by CID (its path,
 * size and content type), the sources, the routers, the timeout, and a version that changes with
 * any of them, so that a re-published site replaces the service worker's cache.
 */
async function writeServiceWorker(
  outDir: string,
  options: RewriteSiteOptions,
  changed: RewriteSiteResult['changed'],
): Promise<void> {
  const sw = options.serviceWorker as NonNullable<RewriteSiteOptions['serviceWorker']>
  const assets: ServiceWorkerBody['assets'] = {}
  const final = options.assets.map((a) => changed.get(a.path)?.asset ?? a)
  for (const a of [...final].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))) {
    assets[a.cid.toString()] ??= { path: a.path, size: a.size, type: contentTypeOf(a.path) }
  }
  const routers = sw.routers === undefined ? {} : { routers: sw.routers }
  await writeServiceWorkerFiles(outDir, { sources: sw.sources, ...routers, timeout: sw.timeout, assets })
}

/** The two files, the version (a hash of the body) stamped into both; each replaced whole. */
async function writeServiceWorkerFiles(outDir: string, body: ServiceWorkerBody): Promise<void> {
  const version = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16)
  // The version in the script itself: a changed byte is what makes browsers install the new worker.
  await replaceFile(
    path.join(outDir, SERVICE_WORKER_FILE),
    `${runtimeSource(SERVICE_WORKER_FILE)}\n// p2pcdn-sw ${version}\n`,
  )
  await replaceFile(
    path.join(outDir, SERVICE_WORKER_DATA_FILE),
    `${JSON.stringify({ version, ...body }, null, 2)}\n`,
  )
}

/**
 * Names the site root in the `p2pcdn-sw.json` the rewrite wrote in `outDir` (nothing to do when it
 * wrote none), with a new version over it: the worker asks routers for the root's providers. The
 * file is no part of the root, which is only known once the rewrite is done.
 */
export async function addServiceWorkerRoot(outDir: string, root: string): Promise<void> {
  let text: string
  try {
    text = await fs.readFile(path.join(outDir, SERVICE_WORKER_DATA_FILE), 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return
    throw cause
  }
  const {
    version: _version,
    root: _root,
    ...rest
  } = JSON.parse(text) as ServiceWorkerBody & { version: string }
  await writeServiceWorkerFiles(outDir, { root, ...rest })
}
