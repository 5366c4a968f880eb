import type { Warning } from '../warnings.js'
import { applyEdits } from './apply-edits.js'
import { escapeCssUrl } from './css-escapes.js'
import { findHtmlReferences, type HtmlReference, type HtmlReferences } from './html-references.js'
import { createPlanner, type PublishedAsset, type RewriteContext } from './plan-reference.js'
import type { RewrittenReference } from './rewrite-stylesheet.js'
import type { Edit } from './types.js'

/** Prefix of the attributes that keep an element's origin URLs for the fallback runtime. */
export const FALLBACK_ATTRIBUTE_PREFIX = 'data-p2pcdn-'

export interface RewriteHtmlOptions {
  /**
   * Rewrite scripts and stylesheets too, adding `integrity` (from the
   * manifest) and `crossorigin`, so no peer can inject code. When off they
   * stay on the origin.
   * @default true
   */
  subresourceIntegrity?: boolean
  /**
   * `src` of the fallback runtime, relative to what the browser will resolve
   * it against; when set, a page that gets rewritten gains
   * `<script src="…"></script>` (once):
   *
   * - a page without `<base href>`: called with `undefined` (the document's
   *   URL), the tag goes right after the `<head>` start tag;
   * - a page with one: called with its `href`; the tag goes right after the
   *   `<base>` element, so the browser resolves it against that base. When
   *   that returns `undefined` (a base off the site), it is called again with
   *   `undefined` and the tag goes before the `<base>`, resolved against the
   *   document's URL.
   *
   * Returning `undefined` for the document adds nothing.
   */
  runtimeScript?: (baseHref: string | undefined) => string | undefined
  /**
   * Site paths of scripts that hold IPFS links: a page that references one
   * (rewritten or not) gets the fallback runtime too, so that their images
   * fall back to the origin.
   */
  runtimeFor?: ReadonlySet<string>
}

export interface RewriteHtmlResult {
  html: string
  /** The edits that turned the input into `html`: URL replacements and insertions, nothing else. */
  edits: Edit[]
  rewritten: RewrittenReference[]
  /** CIDs of CSS references that already were IPFS links (published before): the runtime probes them too. */
  linkedCss: string[]
  /** The page loads the fallback runtime (added now, or already there). */
  runtime: boolean
  warnings: Warning[]
}

/** Elements whose fetched bytes run as code or style: rewritten only with SRI. */
function needsIntegrity(reference: HtmlReference): boolean {
  if (reference.context.type !== 'attribute') return false
  const { element, attribute } = reference.context
  if (element === 'script') return attribute === 'src'
  if (element !== 'link') return false
  const attributes = reference.element?.attributes ?? {}
  const rel = (attributes.rel ?? '').toLowerCase().split(/\s+/)
  if (rel.includes('stylesheet') || rel.includes('modulepreload')) return true
  const as = (attributes.as ?? '').toLowerCase()
  return rel.includes('preload') && (as === 'script' || as === 'style' || as === 'worker')
}

/** Escapes text for an HTML attribute value delimited by `quote` (or unquoted). */
function escapeAttribute(text: string, quote: string): string {
  if (!/[&"']/.test(text)) return text
  let out = text.replace(/&/g, '&amp;')
  if (quote !== "'") out = out.replace(/"/g, '&quot;')
  if (quote !== '"') out = out.replace(/'/g, '&#39;')
  return out
}

/** The raw value of the attribute holding `first`…`last` (one attribute's references), as written. */
function rawAttributeValue(html: string, first: HtmlReference, last: HtmlReference): string {
  let start = first.start
  let end = last.end
  if (first.quote !== '') {
    while (start > 0 && html[start - 1] !== first.quote) start--
    while (end < html.length && html[end] !== first.quote) end++
  } else {
    while (end < html.length && !/[\s>]/.test(html[end] as string)) end++
  }
  return html.slice(start, end)
}

/**
 * Rewrites an HTML document's asset references into IPFS links. Pure and
 * byte-preserving: only the URLs' own characters change, plus one
 * `data-p2pcdn-<attribute>` per rewritten attribute that keeps its origin
 * value for the fallback runtime, and `integrity`/`crossorigin` on scripts
 * and stylesheets. A second run changes nothing.
 */
export function rewriteHtml(
  html: string,
  context: RewriteContext,
  options: RewriteHtmlOptions = {},
): RewriteHtmlResult {
  const sri = options.subresourceIntegrity ?? true
  const found = findHtmlReferences(html)
  const baseHref = found.baseHref?.url
  const edits: Edit[] = []
  const rewritten: RewrittenReference[] = []
  const linkedCss: string[] = []
  const warnings: Warning[] = found.warnings.map((w) => ({ ...w, path: context.documentPath }))
  // References of one attribute, to write its fallback once.
  const groups: Array<{ refs: HtmlReference[]; insertAt: number; name: string }> = []

  // The page loads a script whose IPFS links need the runtime's fallback.
  let scriptNeedsRuntime = false
  const planReference = createPlanner(context, baseHref)
  for (const reference of found.references) {
    const plan = planReference(reference)
    if (plan.path !== undefined && options.runtimeFor?.has(plan.path)) scriptNeedsRuntime = true
    if (plan.action === 'keep') {
      if (plan.warning) warnings.push(plan.warning)
      if (plan.linked && reference.context.type === 'css') linkedCss.push(plan.linked)
      continue
    }
    if (reference.context.type === 'css') {
      const text = escapeCssUrl(plan.url, reference.quote)
      const inAttribute = reference.context.origin === 'style-attribute'
      edits.push({
        start: reference.start,
        end: reference.end,
        text: inAttribute ? text.replace(/&/g, '&amp;') : text,
      })
      rewritten.push({ url: plan.url, path: plan.path, line: reference.line, css: true })
      continue
    }
    const element = reference.element
    if (element === undefined) continue
    // Browsers block a cross-origin SVG <use> and (without CORS on the media element) a
    // cross-origin <track>: such links would always fail, so these stay on the origin.
    if (reference.context.element === 'use' || reference.context.element === 'track') continue
    // The fallback runtime always comes from the origin, wherever its URL resolves.
    if (isRuntime(reference)) continue
    if (needsIntegrity(reference)) {
      if (!sri) continue
      const existing = element.attributes.integrity
      if (existing !== undefined && !existing.split(/\s+/).includes(plan.asset.integrity)) {
        warnings.push({
          code: 'W_INTEGRITY_MISMATCH',
          message: `has integrity="${existing}", which does not match ${plan.path} (${plan.asset.integrity}); it stays on the origin. Update or remove the attribute.`,
          path: context.documentPath,
          line: reference.line,
        })
        continue
      }
    }
    edits.push({
      start: reference.start,
      end: reference.end,
      text: escapeAttribute(plan.url, reference.quote),
    })
    rewritten.push({ url: plan.url, path: plan.path, line: reference.line, css: false })
    const name = reference.context.attribute
    const last = groups[groups.length - 1]
    // An attribute's references come one after another (they are ordered by position).
    if (last !== undefined && last.insertAt === element.insertAt && last.name === name)
      last.refs.push(reference)
    else groups.push({ refs: [reference], insertAt: element.insertAt, name })
    if (needsIntegrity(reference)) addIntegrity(edits, element.attributes, element.insertAt, plan.asset)
  }

  for (const { refs, insertAt, name } of groups) {
    const raw = rawAttributeValue(html, refs[0] as HtmlReference, refs[refs.length - 1] as HtmlReference)
    const value = refs[0]?.quote === '"' ? raw : raw.replace(/"/g, '&quot;')
    edits.push({
      start: insertAt,
      end: insertAt,
      text: ` ${FALLBACK_ATTRIBUTE_PREFIX}${name.replace(':', '-')}="${value}"`,
    })
  }
  const present = hasRuntime(found.references)
  const runtime =
    (rewritten.length > 0 || scriptNeedsRuntime) && !present && options.runtimeScript
      ? runtimePlacement(html, found, options.runtimeScript)
      : undefined
  if (runtime !== undefined) {
    const { at, src } = runtime
    edits.push({ start: at, end: at, text: `<script src="${escapeAttribute(src, '"')}"></script>` })
  }
  return {
    html: edits.length === 0 ? html : applyEdits(html, edits),
    edits,
    rewritten,
    linkedCss,
    runtime: present || runtime !== undefined,
    warnings,
  }
}

/**
 * Where the fallback runtime's `<script>` goes, and its `src`. A script's URL
 * is resolved when the parser reaches it, against the base URL at that
 * moment: the document's URL before the `<base>` element, the base's after it.
 * So the tag goes right after `<head>` (before any `<base>`) with a
 * document-relative `src`, or right after the `<base>` with a base-relative
 * one: the same URL either way, but the base's holds wherever the page is
 * served (a single-page app's `<base href="/">` on every route).
 */
function runtimePlacement(
  html: string,
  found: Pick<HtmlReferences, 'baseHref' | 'headTagEnd' | 'htmlTagEnd'>,
  runtimeScript: (baseHref: string | undefined) => string | undefined,
): { at: number; src: string } | undefined {
  const base = found.baseHref
  if (base !== undefined) {
    const src = runtimeScript(base.url)
    if (src !== undefined) return { at: base.end, src }
  }
  const src = runtimeScript(undefined)
  if (src === undefined) return undefined
  const at = found.headTagEnd ?? found.htmlTagEnd ?? afterDoctype(html)
  // Before the base, wherever the source puts it (a `<base>` ahead of `<head>` makes that one implied).
  return { at: base === undefined ? at : Math.min(at, base.start), src }
}

const RUNTIME_NAME = /(^|\/)p2pcdn-fallback\.js$/

function isRuntime(r: HtmlReference): boolean {
  return (
    r.context.type === 'attribute' &&
    r.context.element === 'script' &&
    RUNTIME_NAME.test(r.url.split(/[?#]/)[0] ?? '')
  )
}

function hasRuntime(references: readonly HtmlReference[]): boolean {
  return references.some(isRuntime)
}

/** Where to insert into a page with neither `<html>` nor `<head>` written: after the doctype (and comments before it). */
function afterDoctype(html: string): number {
  const match = /^(?:\uFEFF)?(?:\s|<!--[\s\S]*?-->)*<!doctype[^>]*>/i.exec(html)
  // Never before a byte order mark.
  return match === null ? (html.startsWith('\uFEFF') ? 1 : 0) : match[0].length
}

function addIntegrity(
  edits: Edit[],
  attributes: Record<string, string>,
  at: number,
  asset: PublishedAsset,
): void {
  if (attributes.integrity === undefined) {
    edits.push({ start: at, end: at, text: ` integrity="${asset.integrity}"` })
  }
  if (attributes.crossorigin === undefined)
    edits.push({ start: at, end: at, text: ' crossorigin="anonymous"' })
}
