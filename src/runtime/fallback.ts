/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The fallback runtime, `p2pcdn-fallback.js`: a classic script that publish
 * puts first in every rewritten page's `<head>`, so that every asset still
 * renders, from the origin, when the IPFS gateway fails or is slow.
 *
 * - Elements: a rewritten attribute keeps its origin value in
 *   `data-p2pcdn-<attribute>`. On an `error` event, or when the element has not
 *   loaded after the timeout, those values are put back (for `<source>`, all of
 *   the `<picture>`'s or media element's sources).
 * - CSS (`<style>`, `style=""`, stylesheets): browsers fire no event for a
 *   failed `url()`, so each IPFS URL found there is probed with a `HEAD`
 *   request; on failure it is replaced by its origin URL (site root + the path
 *   that `p2pcdn-fallback.json` gives for its CID) through the CSSOM, which a
 *   strict CSP allows.
 * - Once one gateway request fails or times out, the gateway is taken as down
 *   for this page view: every asset not loaded yet moves to the origin at once.
 *
 * Built with esbuild into one minified IIFE (`npm run build:runtime`); it
 * exports nothing and runs no inline code.
 */

interface FallbackConfig {
  /** Milliseconds before a gateway request counts as failed. */
  timeout?: number
  /** Site path of every asset referenced from CSS, by the CID written in its links. */
  assets?: Record<string, string>
}

const PREFIX = 'data-p2pcdn-'
const doc = document
const root = new URL('.', (doc.currentScript as HTMLScriptElement).src).href
let timeout = 3000
let assets: Record<string, string> = {}
let dead = false
let pending = 0
let tries = 0
const loaded = new WeakSet<EventTarget>()
const units = new Set<Element>()
const probed = new Set<string>()
/** An absolute URL as it stands in CSS or an attribute (IPFS links hold no quote, space, parenthesis or comma). */
const URL_TOKEN = /(?:https?|ipfs):\/\/[^\s"'(),\\]+/g
/** The CID of a path (`/ipfs/<cid>`), native (`ipfs://<cid>`) or subdomain (`//<cid>.ipfs.`) link. */
const CID = /\/ipfs\/([^/?#]+)|^ipfs:\/\/([^/?#]+)|\/\/([^./]+)\.ipfs\./

const attrs = (e: Element): string[] => e.getAttributeNames().filter((n) => n.startsWith(PREFIX))
const urls = (e: Element): string[] =>
  attrs(e).flatMap((n) => e.getAttribute(n.slice(PREFIX.length).replace('-', ':'))?.match(URL_TOKEN) ?? [])

/** The origin URL of a site asset's IPFS link, or undefined when the link names no known asset. */
function originUrl(link: string): string | undefined {
  const m = CID.exec(link)
  const path = m && assets[(m[1] ?? m[2] ?? m[3]) as string]
  if (!path) return undefined
  const encoded = path
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`))
    .join('/')
  // The link's own query (less `filename`) and fragment carry over.
  const suffix = link
    .replace(/^[^?#]*/, '')
    .replace(/filename=[^&#]*&?/, '')
    .replace(/^\?(?=#|$)/, '')
  return root + encoded + suffix
}

/** CSS text with the IPFS links of a dead gateway replaced; the others are probed. */
function fix(text: string): string {
  return text.replace(URL_TOKEN, (link) => {
    const origin = originUrl(link)
    if (origin === undefined) return link
    if (dead) return origin
    probe(link)
    return link
  })
}

function fixDeclarations(style: CSSStyleDeclaration): void {
  for (let i = 0; i < style.length; i++) {
    const name = style[i] as string
    const value = style.getPropertyValue(name)
    const fixed = fix(value)
    if (fixed !== value) style.setProperty(name, fixed, style.getPropertyPriority(name))
  }
}

function fixRules(sheet: CSSStyleSheet | CSSGroupingRule | null): void {
  let rules: CSSRuleList
  try {
    // A gateway stylesheet without CORS is not readable: nothing to do there.
    rules = (sheet as CSSStyleSheet).cssRules
  } catch {
    return
  }
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as CSSRule & Partial<CSSImportRule & CSSGroupingRule & CSSStyleRule>
    const text = rule.cssText
    if (rule.styleSheet !== undefined || rule.style === undefined ? false : rule.selectorText === undefined) {
      // @font-face (and other descriptor blocks): replaced whole, so the browser loads the new source.
      replaceRule(sheet, i, text)
    } else if (rule.styleSheet !== undefined) {
      if (!replaceRule(sheet, i, text)) {
        if (rule.styleSheet) fixRules(rule.styleSheet)
        else if (tries++ < 50) later()
      }
    } else {
      if (rule.style) fixDeclarations(rule.style)
      if (rule.cssRules) fixRules(rule as CSSGroupingRule)
    }
  }
}

/** Replaces rule `i` of `parent` by its text with dead links replaced; true when it changed. */
function replaceRule(parent: CSSStyleSheet | CSSGroupingRule | null, i: number, text: string): boolean {
  const fixed = fix(text)
  if (fixed === text || !parent) return false
  parent.deleteRule(i)
  parent.insertRule(fixed, i)
  later()
  return true
}

function css(): void {
  for (const sheet of doc.styleSheets) fixRules(sheet)
  for (const e of doc.querySelectorAll<HTMLElement>('[style]')) fixDeclarations(e.style)
}

/** One CSS pass soon, at most one waiting. */
function later(): void {
  pending ||= setTimeout(() => {
    pending = 0
    css()
  }, 100) as unknown as number
}

const ready = fetch(`${root}p2pcdn-fallback.json`)
  .then((r) => r.json())
  .then(
    (config: FallbackConfig) => {
      timeout = config.timeout ?? timeout
      assets = config.assets ?? {}
    },
    () => {},
  )

/** Checks once that a gateway URL answers within the timeout; if not, the gateway is down. */
function probe(link: string): void {
  if (dead || probed.has(link)) return
  probed.add(link)
  ready
    .then(() =>
      Promise.race([
        fetch(link, { method: 'HEAD', mode: 'cors' }).then((r) => r.ok),
        new Promise((resolve) => setTimeout(resolve, timeout)),
      ]),
    )
    .then((ok) => ok || down(), down)
}

/** The gateway failed: every asset not loaded yet goes to the origin. */
function down(): void {
  if (dead) return
  dead = true
  for (const unit of units) if (!state(unit) || unit.hasAttribute(`${PREFIX}poster`)) fail(unit)
  css()
}

/** A `<source>` (and the `<img>` of a `<picture>`) falls back with its parent. */
function unitOf(e: Element): Element {
  const parent = e.parentElement
  return parent && (e.tagName === 'SOURCE' || (e.tagName === 'IMG' && parent.tagName === 'PICTURE'))
    ? parent
    : e
}

/** true: loaded; false: loading and not done; undefined: no way to tell (probe instead). */
function state(unit: Element): boolean | undefined {
  if (loaded.has(unit)) return true
  const tag = unit.tagName
  if (tag === 'PICTURE') {
    const img = unit.querySelector('img')
    return img ? state(img) : undefined
  }
  if (unit instanceof HTMLImageElement) {
    if (unit.complete) return unit.naturalWidth > 0
    return unit.loading === 'lazy' ? undefined : false
  }
  if (unit instanceof HTMLMediaElement)
    return unit.readyState > 0 || (unit.networkState === 2 ? false : undefined)
  return tag === 'SCRIPT' ||
    tag === 'INPUT' ||
    tag === 'image' ||
    /stylesheet/i.test(unit.getAttribute('rel') ?? '')
    ? false
    : undefined
}

/** Puts back an element's origin attributes; the number of attributes put back. */
function swap(e: Element): number {
  const names = attrs(e)
  for (const name of names) {
    const value = e.getAttribute(name) as string
    const attribute = name.slice(PREFIX.length)
    e.removeAttribute(name)
    if (attribute === 'xlink-href') e.setAttributeNS('http://www.w3.org/1999/xlink', 'xlink:href', value)
    else e.setAttribute(attribute, value)
  }
  return names.length
}

/** Moves a unit to the origin: its attributes and its children's; a script is run again from the origin. */
function fail(unit: Element): number {
  if (unit.tagName === 'SCRIPT') {
    if (!attrs(unit).length) return 0
    // A started script never loads again: a fresh element takes its place.
    const script = doc.createElement('script')
    for (const name of unit.getAttributeNames()) script.setAttribute(name, unit.getAttribute(name) as string)
    script.async = false
    swap(script)
    unit.replaceWith(script)
    return swap(unit)
  }
  let children = 0
  for (const child of unit.children) children += swap(child)
  if (children && unit instanceof HTMLMediaElement) unit.load()
  return swap(unit) + children
}

function track(e: Element): void {
  if (!attrs(e).length || e.tagName === 'META') return
  const unit = unitOf(e)
  if (units.has(unit)) return
  units.add(unit)
  const seen = performance.now()
  if (dead || ((unit as HTMLImageElement).complete && !(unit as HTMLImageElement).naturalWidth)) {
    if (fail(unit)) down()
    return
  }
  if (state(unit) === undefined || unit.hasAttribute(`${PREFIX}poster`)) {
    for (const link of urls(unit)) probe(link)
  }
  ready.then(() =>
    setTimeout(
      () => {
        if (state(unit) === false) down()
      },
      seen + timeout - performance.now(),
    ),
  )
}

doc.addEventListener(
  'error',
  (event) => {
    const e = event.target
    if (e instanceof Element && (units.has(unitOf(e)) || attrs(e).length) && fail(unitOf(e))) down()
  },
  true,
)
doc.addEventListener(
  'load',
  (event) => {
    loaded.add(event.target as EventTarget)
    if ((event.target as Element).tagName === 'LINK') later()
  },
  true,
)
for (const e of doc.getElementsByTagName('*')) track(e)
new MutationObserver((records) => {
  for (const record of records)
    for (const node of record.addedNodes)
      if (node instanceof Element) {
        track(node)
        for (const e of node.querySelectorAll('*')) track(e)
        later()
      }
}).observe(doc, { childList: true, subtree: true })
ready.then(css)
