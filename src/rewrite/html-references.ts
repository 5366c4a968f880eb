/**
 * The HTML side of the rewriter's finder: every place a page names a fetchable
 * asset, by exact source position. parse5 builds the tree the browser would
 * (so comments, script bodies, RCDATA and misplaced tags are read as browsers
 * read them); each start tag it reports is then re-read in place to locate
 * attribute values. Nothing is ever re-serialised.
 */
import { type DefaultTreeAdapterTypes, parse } from 'parse5'
import { findCharset } from './html-charset.js'
import { asciiLowerCase, type DecodedValue, decodeAttributeValue, isAsciiWhitespace } from './html-decode.js'
import { type Namespace, type UrlAttributeKind, urlAttributesOf } from './html-rules.js'
import { parseSrcset } from './html-srcset.js'
import { type ScannedAttribute, scanStartTag } from './html-start-tag.js'
import { readStyleAttribute, readStyleElement } from './html-style.js'
import { type HtmlReferences, lineStartsOf, mapRange, type Walk } from './html-walk.js'
import type { ElementInfo, Reference } from './types.js'

export type { HtmlReference, HtmlReferences, HtmlWarning } from './html-walk.js'

type Element = DefaultTreeAdapterTypes.Element
type Node = DefaultTreeAdapterTypes.Node

const SVG_NS = 'http://www.w3.org/2000/svg'
const HTML_NS = 'http://www.w3.org/1999/xhtml'

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
    seen: new Set(),
    result,
  }
  const document = parse(html, { sourceCodeLocationInfo: true })
  // Depth-first in tree order, without recursion (10,000 levels of nesting are fine).
  const stack: Array<{ node: Node; inTemplate: boolean }> = [{ node: document, inTemplate: false }]
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const { node, inTemplate } = entry
    if ('tagName' in node) visitElement(walk, node, inTemplate)
    if ('content' in node) stack.push({ node: node.content, inTemplate: true })
    if ('childNodes' in node) {
      for (let i = node.childNodes.length - 1; i >= 0; i--) {
        const child = node.childNodes[i]
        if (child) stack.push({ node: child, inTemplate })
      }
    }
  }
  result.references.sort((a, b) => a.start - b.start)
  return result
}

function visitElement(walk: Walk, element: Element, inTemplate: boolean): void {
  const tag = element.sourceCodeLocation?.startTag
  if (!tag || walk.seen.has(tag.startOffset)) return
  walk.seen.add(tag.startOffset)
  const namespace: Namespace =
    element.namespaceURI === HTML_NS ? 'html' : element.namespaceURI === SVG_NS ? 'svg' : 'other'
  const name = asciiLowerCase(element.tagName)
  const parsed: Record<string, string> = Object.create(null)
  for (const attr of element.attrs) {
    const qualified = asciiLowerCase(attr.prefix ? `${attr.prefix}:${attr.name}` : attr.name)
    if (!(qualified in parsed)) parsed[qualified] = attr.value
  }

  if (namespace === 'html' && !inTemplate)
    readDocumentSettings(walk, name, parsed, tag.startLine, tag.startOffset, tag.endOffset)

  const parent = element.parentNode
  const parentName = parent && 'tagName' in parent ? asciiLowerCase(parent.tagName) : undefined
  const rules = urlAttributesOf(namespace, name, parsed, parentName)
  const isStyleElement = name === 'style' && namespace !== 'other'
  if (!rules && !('style' in parsed) && !isStyleElement) return

  const scanned = scanStartTag(walk.html, tag.startOffset, tag.endOffset)
  const read = scanned && readAttributes(walk.html, scanned.attributes, element)
  if (!scanned || !read) {
    walk.warnings.push({
      code: 'W_HTML_TAG_UNMAPPED',
      message: `The <${name}> start tag on line ${tag.startLine} could not be mapped to source positions, so its asset references are left as they are. Check the tag's markup (quotes, stray characters).`,
      line: tag.startLine,
    })
    if (isStyleElement) readStyleElement(walk, element, namespace, undefined)
    return
  }
  const info: ElementInfo = { name, attributes: read.values, insertAt: scanned.insertAt }
  for (const [attribute, kind] of Object.entries(rules ?? {})) {
    const found = read.first.get(attribute)
    if (found) readUrlAttribute(walk, info, found.attribute, found.decoded, kind)
  }
  const style = read.first.get('style')
  if (style) readStyleAttribute(walk, info, style.attribute, style.decoded)
  if (isStyleElement) readStyleElement(walk, element, namespace, info)
}

/** `<base href>` and the declared charset: the first of each in tree order, outside templates. */
function readDocumentSettings(
  walk: Walk,
  name: string,
  attrs: Record<string, string>,
  line: number,
  tagStart: number,
  tagEnd: number,
): void {
  const { result } = walk
  // Only start tags written in the source get here (implied ones have no location).
  if (name === 'head' && result.headTagEnd === undefined) result.headTagEnd = tagEnd
  if (name === 'html' && result.htmlTagEnd === undefined) result.htmlTagEnd = tagEnd
  if (name === 'base' && result.baseHref === undefined && attrs.href !== undefined) {
    result.baseHref = { url: trimAsciiWhitespace(attrs.href), line, start: tagStart, end: tagEnd }
  } else if (name === 'meta' && result.charset === undefined) {
    const charset = findCharset(attrs)
    if (charset !== undefined) result.charset = charset
  }
}

interface ReadAttribute {
  attribute: ScannedAttribute
  decoded: DecodedValue
}

/**
 * Decodes the first occurrence of each scanned attribute (the browser drops later
 * duplicates) and checks them against parse5's reading; `undefined` if they differ.
 */
function readAttributes(
  html: string,
  attributes: ScannedAttribute[],
  element: Element,
): { first: Map<string, ReadAttribute>; values: Record<string, string> } | undefined {
  const first = new Map<string, ReadAttribute>()
  const values: Record<string, string> = {}
  for (const attribute of attributes) {
    if (first.has(attribute.name)) continue
    const decoded = decodeAttributeValue(html.slice(attribute.valueStart, attribute.valueEnd))
    const parsed = element.attrs[first.size]
    if (!parsed) return
    const parsedName = parsed.prefix ? `${parsed.prefix}:${parsed.name}` : parsed.name
    if (asciiLowerCase(parsedName) !== attribute.name || parsed.value !== decoded.value) return
    first.set(attribute.name, { attribute, decoded })
    Object.defineProperty(values, attribute.name, {
      value: decoded.value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
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
        candidate.descriptor === undefined ? context : { ...context, descriptor: candidate.descriptor }
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
    walk.references.push({ url, ...range, quote: attribute.quote, context, element })
  }
}

function trimAsciiWhitespace(text: string): string {
  return text.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '')
}
