/**
 * The HTML side of the rewriter's finder: every place a page names a fetchable
 * asset, by exact source position. A tokenizer (html-tokenizer.ts) reads the
 * page as browsers read it (comments, script bodies, RCDATA and misplaced tags
 * included), with the tree construction followed as a light stack of open
 * elements (html-outline.ts) instead of a tree; the start tags that matter are
 * then re-read in place to locate attribute values. Nothing is ever re-serialised.
 */
import { findCharset } from './html-charset.js'
import { type DecodedValue, decodeAttributeValue, isAsciiWhitespace } from './html-decode.js'
import { type Followed, HtmlOutline, type OutlineElement, type OutlineHandler } from './html-outline.js'
import { type UrlAttributeKind, urlAttributesOf } from './html-rules.js'
import { parseSrcset } from './html-srcset.js'
import { type ScannedAttribute, scanStartTag } from './html-start-tag.js'
import { readStyleAttribute, readStyleElement } from './html-style.js'
import { tokenizeHtml } from './html-tokenizer.js'
import { type HtmlReferences, lineAt, lineStartsOf, mapRange, type Walk } from './html-walk.js'
import type { ElementInfo, Reference } from './types.js'

export type { HtmlReference, HtmlReferences, HtmlWarning } from './html-walk.js'

/** Elements whose start tag the finder reads whatever their attributes (beside any with `style=""`). */
const WANTED = new Set(
  'img video audio track embed object script source input link meta base style image use feimage'.split(' '),
)

/**
 * Finds every place in an HTML document (a decoded string) that names a
 * fetchable asset:
 *
 * - URL attributes: `img` src/srcset, `picture > source` srcset, `audio`/`video > source` src,
 *   `video` src/poster, `audio`/`track`/`embed`/`script` src, `input type=image` src,
 *   `object` data, `link` href (rel icon, apple-touch-icon(-precomposed), mask-icon, preload,
 *   modulepreload, prefetch, stylesheet, manifest) and imagesrcset (rel preload), SVG
 *   `image`/`use`/`feImage` href and xlink:href, `meta` content for og:image(:url,
 *   :secure_url), og:video, og:audio, twitter:image(:src); inside `<template>` contents too;
 * - CSS in `<style>` elements and `style=""` values, through `findCssReferences` (css-references.ts):
 *   `url()`, `image-set()`, `@import`; in `style=""` values with character references the
 *   ranges are mapped back through the decoding.
 *
 * Each `srcset` candidate is its own reference. `url` is the value as the browser
 * reads it (character references decoded, surrounding whitespace removed); `start`/`end`
 * cover its raw characters. Empty values are skipped; `data:` and external URLs are
 * included. Nothing in comments, script bodies, RCDATA/RAWTEXT text or `<noscript>`
 * (read as text, as a browser with scripting on reads it) is reported. Never throws on
 * malformed input; what cannot be mapped to source positions is left out with a warning.
 *
 * @example
 * findHtmlReferences('<img src="a.png" srcset="b.png 2x">').references.map((r) => r.url)
 * // ['a.png', 'b.png']
 */
export function findHtmlReferences(html: string): HtmlReferences {
  const result: HtmlReferences = { references: [], warnings: [] }
  const walk: Walk = {
    html,
    lineStarts: lineStartsOf(html),
    references: result.references,
    warnings: result.warnings,
    result,
  }
  /** Each `<style>`'s start tag as read, for its content when the element closes. */
  const styles = new Map<OutlineElement, ElementInfo | undefined>()
  const handler: OutlineHandler = {
    wants: (name, style) => style || WANTED.has(name),
    element: (element) => visitElement(walk, element, styles),
    attributesOf: (start, end) =>
      readAttributes(html, scanStartTag(html, start, end)?.attributes ?? []).values,
    closed: (followed) => readFollowedStyle(walk, followed, styles),
    htmlTag: (end) => {
      result.htmlTagEnd ??= end
    },
    headTag: (end) => {
      result.headTagEnd ??= end
    },
  }
  const outline = new HtmlOutline(html, handler)
  tokenizeHtml(html, outline)
  outline.finish()
  result.references.sort((a, b) => a.start - b.start)
  return result
}

function visitElement(
  walk: Walk,
  element: OutlineElement,
  styles: Map<OutlineElement, ElementInfo | undefined>,
) {
  const { name, namespace } = element
  const line = (): number => lineAt(walk.lineStarts, element.start)
  const scanned = scanStartTag(walk.html, element.start, element.end)
  const isStyleElement = name === 'style' && namespace !== 'other'
  if (!scanned) {
    walk.warnings.push({
      code: 'W_HTML_TAG_UNMAPPED',
      message: `The <${name}> start tag on line ${line()} could not be mapped to source positions, so its asset references are left as they are. Check the tag's markup (quotes, stray characters).`,
      line: line(),
    })
    if (isStyleElement) readStyle(walk, element, styles, undefined)
    return
  }
  const read = readAttributes(walk.html, scanned.attributes)
  if (namespace === 'html' && !element.inTemplate)
    readDocumentSettings(walk, name, read.values, element, line)
  const rules = urlAttributesOf(namespace, name, read.values, element.parentName)
  if (!rules && !read.first.has('style') && !isStyleElement) return
  const info: ElementInfo = { name, attributes: read.values, insertAt: scanned.insertAt }
  for (const [attribute, kind] of Object.entries(rules ?? {})) {
    const found = read.first.get(attribute)
    if (found) readUrlAttribute(walk, info, found.attribute, found.decoded, kind)
  }
  const style = read.first.get('style')
  if (style) readStyleAttribute(walk, info, style.attribute, style.decoded)
  if (isStyleElement) readStyle(walk, element, styles, info)
}

/** An HTML `<style>`'s CSS is the raw text up to its end tag: read now. An SVG one is read when it closes. */
function readStyle(
  walk: Walk,
  element: OutlineElement,
  styles: Map<OutlineElement, ElementInfo | undefined>,
  info: ElementInfo | undefined,
): void {
  if (element.namespace === 'svg') {
    styles.set(element, info)
    return
  }
  const end = rawTextEnd(walk.html, element.end, 'style')
  if (end === element.end) return
  const content = { tagStart: element.start, texts: [[element.end, end, false] as const], otherChild: false }
  readStyleElement(walk, content, 'html', info)
}

function readFollowedStyle(
  walk: Walk,
  followed: Followed,
  styles: Map<OutlineElement, ElementInfo | undefined>,
): void {
  if (!styles.has(followed.element)) return
  const content = { tagStart: followed.element.start, texts: followed.texts, otherChild: followed.otherChild }
  readStyleElement(walk, content, 'svg', styles.get(followed.element))
}

/** Where raw text opened at `from` ends: at its appropriate end tag (`</style` and a delimiter), or the end of the page. */
function rawTextEnd(html: string, from: number, name: string): number {
  const end = new RegExp(`</${name}[\\t\\n\\f\\r />]`, 'gi')
  end.lastIndex = from
  return end.exec(html)?.index ?? html.length
}

/** `<base href>` and the declared charset: the first of each in tree order, outside templates. */
function readDocumentSettings(
  walk: Walk,
  name: string,
  attrs: Record<string, string>,
  element: OutlineElement,
  line: () => number,
): void {
  const { result } = walk
  if (name === 'base' && result.baseHref === undefined && attrs.href !== undefined) {
    const url = trimAsciiWhitespace(attrs.href)
    result.baseHref = { url, line: line(), start: element.start, end: element.end }
  } else if (name === 'meta' && result.charset === undefined) {
    const charset = findCharset(attrs)
    if (charset !== undefined) result.charset = charset
  }
}

interface ReadAttribute {
  attribute: ScannedAttribute
  decoded: DecodedValue
}

/** Decodes the first occurrence of each scanned attribute (the browser drops later duplicates). */
function readAttributes(
  html: string,
  attributes: ScannedAttribute[],
): { first: Map<string, ReadAttribute>; values: Record<string, string> } {
  const first = new Map<string, ReadAttribute>()
  const values: Record<string, string> = {}
  for (const attribute of attributes) {
    if (first.has(attribute.name)) continue
    const decoded = decodeAttributeValue(html.slice(attribute.valueStart, attribute.valueEnd))
    first.set(attribute.name, { attribute, decoded })
    // `__proto__` as an own property, not the prototype setter.
    if (attribute.name === '__proto__') {
      Object.defineProperty(values, attribute.name, {
        value: decoded.value,
        enumerable: true,
        writable: true,
        configurable: true,
      })
    } else values[attribute.name] = decoded.value
  }
  return { first, values }
}

function readUrlAttribute(
  walk: Walk,
  element: ElementInfo,
  attribute: ScannedAttribute,
  decoded: DecodedValue,
  kind: UrlAttributeKind,
): void {
  const context = { type: 'attribute' as const, element: element.name, attribute: attribute.name }
  if (kind === 'srcset') {
    for (const candidate of parseSrcset(decoded.value)) {
      const withDescriptor =
        candidate.descriptor === undefined
          ? context
          : {
              type: context.type,
              element: context.element,
              attribute: context.attribute,
              descriptor: candidate.descriptor,
            }
      addMapped(walk, element, attribute, decoded, candidate.start, candidate.end, withDescriptor)
    }
    return
  }
  const value = decoded.value
  let start = 0
  let end = value.length
  while (start < end && isAsciiWhitespace(value.charCodeAt(start))) start++
  while (end > start && isAsciiWhitespace(value.charCodeAt(end - 1))) end--
  if (start < end) addMapped(walk, element, attribute, decoded, start, end, context)
}

/** Adds the reference at decoded `[start, end)` of an attribute value, mapped back to the source. */
function addMapped(
  walk: Walk,
  element: ElementInfo,
  attribute: ScannedAttribute,
  decoded: DecodedValue,
  start: number,
  end: number,
  context: Reference['context'],
): void {
  const range = mapRange(walk, element, attribute, decoded, start, end)
  if (range) {
    const url = decoded.value.slice(start, end)
    const { quote } = attribute
    walk.references.push({
      url,
      start: range.start,
      end: range.end,
      line: range.line,
      quote,
      context,
      element,
    })
  }
}

function trimAsciiWhitespace(text: string): string {
  return text.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '')
}
