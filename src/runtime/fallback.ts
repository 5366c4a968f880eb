/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The fallback runtime, `p2pcdn-fallback.js`: a classic script that publish
 * puts first in every rewritten page's `<head>` (right after its `<base href>`,
 * if any), so that the page's assets still render, from the origin, when the
 * IPFS gateway fails or is slow. Its data, the service worker and every origin
 * URL are found from its own URL (`document.currentScript`), never the page's
 * or the base's.
 *
 * - Elements: a rewritten attribute keeps its origin value in
 *   `data-p2pcdn-<attribute>`. On an `error` event, or when the element has not
 *   loaded after the timeout, those values are put back (for a `<source>`, all
 *   of its `<picture>`'s or media element's sources).
 * - CSS (`<style>`, `style=""`, stylesheets): browsers fire no event for a
 *   failed `url()`, so each IPFS link found there is probed with a `HEAD`
 *   request; on failure it is replaced by its origin URL (site root + the path
 *   that `p2pcdn-fallback.json` gives for its CID) through the CSSOM, which a
 *   strict CSP allows.
 * - Once one gateway request fails or times out, the gateway is taken as down
 *   for this page view: every asset not loaded yet moves to the origin at once.
 * - Scripts move only on their own `error`: a parser-inserted script cannot be
 *   cancelled, so a copy started at the timeout could run twice.
 *
 * - Registers the service worker (`p2pcdn-sw.js`) when publish shipped one.
 *
 * Built with esbuild into one minified IIFE (`npm run build:runtime`); it
 * exports nothing and needs no inline code.
 */

interface FallbackConfig {
  /** Milliseconds before a gateway request counts as failed. */
  timeout?: number
  /** Site path of every asset referenced from CSS or a script, by the CID written in its links. */
  assets?: Record<string, string>
  /** The service worker's file beside this script, when publish shipped one. */
  serviceWorker?: string
}

/**
 * Set by the build (esbuild `--define`): `p2pcdn-fallback.js` is built without the service worker
 * registration (under 3 KB), `p2pcdn-fallback-sw.js` with it; publish ships the latter, under the
 * former's name, when it ships the service worker.
 */
declare const P2PCDN_SERVICE_WORKER: boolean

type AnyRule = CSSRule & Partial<CSSImportRule & CSSGroupingRule & CSSStyleRule>

const PREFIX = 'data-p2pcdn-'
const doc = document
const root = new URL('.', (doc.currentScript as HTMLScriptElement).src).href
let timeout = 3000
let assets: Record<string, string> = {}
let dead = false
let pending = 0
let polls = 0
let importing = false
const loaded = new WeakSet<EventTarget>()
const units = new Set<Element>()
const probed = new Set<string>()
/** An absolute URL as it stands in CSS or an attribute (IPFS links hold no quote, space, parenthesis or comma); those without a known CID are left as they are. */
const URL_TOKEN = /\w+:\/\/[^\s"'(),\\]+/g
/** The CID of a path (`/ipfs/<cid>`), native (`ipfs://<cid>`) or subdomain (`//<cid>.ipfs.`) link. */
const CID = /(?:\/ipfs\/|^ipfs:\/\/|\/\/(?=[^./]+\.ipfs\.))([^/?#.]+)/

const attrs = (e: Element): string[] => e.getAttributeNames().filter((n) => n.startsWith(PREFIX))

const ready = fetch(`${root}p2pcdn-fallback.json`)
  .then((r) => r.json())
  .then(
    (config: FallbackConfig) => {
      timeout = config.timeout || timeout
      assets = config.assets || {}
      // The service worker takes over from the next request on: assets from the hosts, verified
      // against their CIDs. Where it is unavailable (old browsers, private modes) this script
      // keeps the page working on its own.
      if (P2PCDN_SERVICE_WORKER && config.serviceWorker) {
        navigator.serviceWorker?.register(root + config.serviceWorker).catch(() => {})
      }
    },
    () => {},
  )

/**
 * The origin URL of a site asset's IPFS link, if known: its query (less
 * `filename`) and fragment kept. It only ever stands quoted in CSS (`url("…")`,
 * as the CSSOM writes it), so `encodeURI` plus `?` and `#` suffice.
 */
function originUrl(link: string): string | undefined {
  const path = assets[(CID.exec(link) || [])[1] as string]
  return (
    path &&
    root +
      encodeURI(path).replace(/[?#]/g, encodeURIComponent) +
      link.replace(/^[^?#]*(\?filename=[^&#]*)?/, '').replace(/^&/, '?')
  )
}

/** The origin URL of an element's `src`, when it is an IPFS link to a site asset. */
const srcOrigin = (e: Element) => originUrl(e.getAttribute('src') as string)

/** CSS text with the links of a dead gateway replaced; while it is alive, its links are probed. */
function fix(text: string): string {
  return text.replace(URL_TOKEN, (link) => {
    const origin = originUrl(link)
    if (origin && !dead) probe(link)
    return (dead && origin) || link
  })
}

function fixStyle(style: CSSStyleDeclaration): void {
  for (const name of style) {
    const value = style.getPropertyValue(name)
    const fixed = fix(value)
    if (fixed !== value) style.setProperty(name, fixed, style.getPropertyPriority(name))
  }
}

/** Every rule, nested and imported ones too; an unreadable (cross-origin) or missing sheet is skipped. */
function fixRules(sheet: CSSStyleSheet | AnyRule | null): void {
  try {
    const rules = (sheet as CSSStyleSheet).cssRules
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as AnyRule
      if (rule.styleSheet !== undefined) {
        // @import: a new rule with the new URL, as the browser fetches an import only once.
        const text = rule.cssText
        const fixed = fix(text)
        if (fixed !== text || !rule.styleSheet) importing = true
        if (fixed !== text) {
          ;(sheet as CSSStyleSheet).deleteRule(i)
          ;(sheet as CSSStyleSheet).insertRule(fixed, i)
        } else fixRules(rule.styleSheet)
      }
      // Style rules, @font-face (the browser loads the new src), @keyframes frames.
      if (rule.style) fixStyle(rule.style)
      if (rule.cssRules) fixRules(rule)
    }
  } catch {}
}

function css(): void {
  importing = false
  // Not document.styleSheets: it leaves out a stylesheet until its @imports have loaded.
  for (const e of doc.querySelectorAll<HTMLLinkElement>('link,style')) fixRules(e.sheet)
  for (const e of doc.querySelectorAll<HTMLElement>('[style]')) fixStyle(e.style)
  // Stylesheets and imports arrive while the page loads: look again until it has.
  if ((doc.readyState !== 'complete' || importing) && polls++ < 300) later()
}

/** One CSS pass soon, at most one waiting. */
function later(): void {
  if (!pending)
    pending = setTimeout(() => {
      pending = 0
      css()
    }, 100) as unknown as number
}

/** Checks once that a gateway URL answers within the timeout; if not, the gateway is down. */
function probe(link: string): void {
  if (probed.has(link)) return
  probed.add(link)
  ready
    // Aborted at the timeout: a pending fetch would hold the page's load event. (A browser
    // without AbortSignal.timeout, from before 2022, takes the gateway as down: the origin.)
    .then(() => fetch(link, { method: 'HEAD', signal: AbortSignal.timeout(timeout) }))
    .then((r) => r.ok || down(), down)
}

/** The gateway failed: every asset not loaded yet (and every poster) goes to the origin. */
function down(): void {
  if (dead) return
  dead = true
  for (const unit of units) if (!state(unit)) fail(unit)
  css()
}

/** A `<source>`, and the `<img>` of a `<picture>`, fall back with their parent. */
function unitOf(e: Element): Element {
  const parent = e.parentElement
  return parent && (e.localName === 'source' || parent.localName === 'picture') ? parent : e
}

/**
 * true: loaded (or a script); false: loading and not done; undefined: no way
 * to tell (probe instead). A poster fires no event, so its video is never done.
 */
function state(unit: Element): boolean | undefined {
  const e = unit.localName === 'picture' ? unit.querySelector('img') || unit : unit
  if (e.hasAttribute(`${PREFIX}poster`)) return undefined
  if (loaded.has(e) || e.localName === 'script') return true
  // A lazy image may not have started, a media element may wait (preload=none), an icon fires no load.
  if (e instanceof HTMLImageElement)
    return e.complete ? e.naturalWidth > 0 : e.loading === 'lazy' && undefined
  if (e instanceof HTMLMediaElement) return e.readyState > 0 || (e.networkState !== 2 && undefined)
  return !(/^(input|image)$/.test(e.localName) || /stylesheet/i.test((e as HTMLLinkElement).rel)) && undefined
}

/**
 * Puts back an element's origin attributes; how many. An element a script
 * made, with an IPFS link a rewritten script holds, has none: its `src` goes
 * to the origin URL of its CID.
 */
function swap(e: Element): number {
  const names = attrs(e)
  const origin = !names.length && srcOrigin(e)
  if (origin) e.setAttribute('src', origin)
  for (const name of names) {
    const value = e.getAttribute(name) as string
    e.removeAttribute(name)
    // xlink:href comes back as SVG 2 `href`, which takes precedence over it.
    e.setAttribute(name.slice(12 /* PREFIX.length */).replace('xlink-', ''), value)
  }
  return names.length || +!!origin
}

/** Moves a unit and its children to the origin; how many attributes moved. */
function fail(unit: Element): number {
  if (unit.localName === 'script' && attrs(unit).length) {
    // A started script never loads again: a fresh element takes its place.
    const script = doc.createElement('script')
    for (const name of unit.getAttributeNames()) script.setAttribute(name, unit.getAttribute(name) as string)
    script.async = false
    swap(script)
    unit.replaceWith(script)
  }
  let moved = swap(unit)
  for (const child of unit.children) moved += swap(child)
  if (moved && unit instanceof HTMLMediaElement) unit.load()
  return moved
}

function track(e: Element): void {
  // An element with origin attributes, or one a script made with a rewritten script's IPFS link.
  if (!(attrs(e).length || srcOrigin(e)) || e.localName === 'meta') return
  const unit = unitOf(e)
  if (units.has(unit)) return
  units.add(unit)
  // Already failed before this script ran, or the gateway is known to be down.
  if (dead || ((unit as HTMLImageElement).complete && !(unit as HTMLImageElement).naturalWidth)) {
    if (fail(unit)) down()
    return
  }
  // No load event to wait for: ask the gateway for its links.
  if (state(unit) === undefined)
    for (const link of unit.outerHTML.match(URL_TOKEN) || []) if (CID.test(link)) probe(link)
  ready.then(() => setTimeout(() => state(unit) === false && down(), timeout))
}

const on = (type: string, listener: (e: Element) => void) =>
  doc.addEventListener(type, (event) => listener(event.target as Element), true)
// Whatever failed, if the origin values of it (or its siblings) could be put back.
on('error', (e) => fail(unitOf(e)) && down())
on('load', (e) => {
  loaded.add(e)
  // Before the stylesheet's first use, so that none of its dead links is requested.
  if (e.localName === 'link') css()
})
/** Tracks an element and its descendants. */
const scan = (node: Element = doc.documentElement) => {
  for (const e of [node, ...node.querySelectorAll('*')]) track(e)
}
scan()
new MutationObserver((records) => {
  for (const record of records)
    for (const node of record.addedNodes)
      if (node instanceof Element) {
        scan(node)
        later()
      }
}).observe(doc, { childList: true, subtree: true })
// Elements made before the data arrived are known by their CIDs only now.
ready.then(() => {
  scan()
  css()
})
