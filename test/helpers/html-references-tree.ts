/**
 * The test oracle for src/rewrite/html-references.ts: the rewriter's former
 * HTML finder, which has parse5 build the whole tree the browser would and
 * re-reads each start tag in place. Slow but plainly right, so the
 * tokenizer-level finder is checked against it (test/rewrite/html-references.differential.test.ts).
 */
import { type DefaultTreeAdapterTypes, parse } from 'parse5'
import { findCssReferences } from '../../src/rewrite/css-references.js'
import { findCharset } from '../../src/rewrite/html-charset.js'
import {
  asciiLowerCase,
  type DecodedValue,
  decodeAttributeValue,
  isAsciiWhitespace,
  normaliseRawText,
} from '../../src/rewrite/html-decode.js'
import { type Namespace, type UrlAttributeKind, urlAttributesOf } from '../../src/rewrite/html-rules.js'
import { parseSrcset } from '../../src/rewrite/html-srcset.js'
import { type ScannedAttribute, scanStartTag } from '../../src/rewrite/html-start-tag.js'
import { readStyleAttribute } from '../../src/rewrite/html-style.js'
import {
  type HtmlReferences,
  lineAt,
  lineStartsOf,
  mapRange,
  type Walk,
} from '../../src/rewrite/html-walk.js'
import type { ElementInfo, Reference } from '../../src/rewrite/types.js'

type Element = DefaultTreeAdapterTypes.Element
/** A walk that also remembers the start tags it read (the adoption agency clones elements, sharing their tag). */
type TreeWalk = Walk & { seen: Set<number> }
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
 * findHtmlReferencesByTree('<img src="a.png" srcset="b.png 2x">').references.map((r) => r.url)
 * // ['a.png', 'b.png']
 */
export function findHtmlReferencesByTree(html: string): HtmlReferences {
  const result: HtmlReferences = { references: [], warnings: [] }
  const walk: TreeWalk = {
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

function visitElement(walk: TreeWalk, element: Element, inTemplate: boolean): void {
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
    readDocumentSettings(walk, name, parsed, lineOf(walk, tag.startOffset), tag.startOffset, tag.endOffset)

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
      message: `The <${name}> start tag on line ${lineOf(walk, tag.startOffset)} could not be mapped to source positions, so its asset references are left as they are. Check the tag's markup (quotes, stray characters).`,
      line: lineOf(walk, tag.startOffset),
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

/**
 * The line of an offset. The former finder took parse5's `startLine`, which counts a line
 * break twice after a character reference in an unquoted attribute value (`<img src=a&\nb>`):
 * the one difference from its results that is parse5's, not the finder's.
 */
function lineOf(walk: Walk, offset: number): number {
  return lineAt(walk.lineStarts, offset)
}

function trimAsciiWhitespace(text: string): string {
  return text.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '')
}

/**
 * CSS in a `<style>` element. HTML `<style>` is raw text: the source between the
 * tags is the CSS. SVG `<style>` is parsed: CDATA markers are blanked out (same
 * length), and content with character references or markup is skipped with a warning.
 */
function readStyleElement(
  walk: Walk,
  element: Element,
  namespace: Namespace,
  info: ElementInfo | undefined,
): void {
  const children = element.childNodes
  if (children.length === 0) return
  const texts: string[] = []
  for (const child of children) {
    if (!('value' in child) || !child.sourceCodeLocation) {
      unmappedStyle(walk, element)
      return
    }
    texts.push(child.value)
  }
  const start = children[0]?.sourceCodeLocation?.startOffset ?? 0
  const end = children[children.length - 1]?.sourceCodeLocation?.endOffset ?? 0
  let css = walk.html.slice(start, end)
  let expected = css
  if (namespace === 'svg' && css.includes('<![CDATA[')) {
    expected = css.replace(/<!\[CDATA\[|\]\]>/g, '')
    css = css.replace(/<!\[CDATA\[|\]\]>/g, (marker) => ' '.repeat(marker.length))
  }
  if (normaliseRawText(expected) !== texts.join('')) {
    unmappedStyle(walk, element)
    return
  }
  const firstLine = lineAt(walk.lineStarts, start)
  for (const ref of findCssReferences(css, { origin: 'style-element', offset: start, firstLine })) {
    // A CDATA marker inside a URL: the blanked text is not what the browser reads.
    if (
      css !== expected &&
      walk.html.slice(ref.start, ref.end) !== css.slice(ref.start - start, ref.end - start)
    ) {
      unmappedStyle(walk, element)
      continue
    }
    walk.references.push(info ? { ...ref, element: info } : ref)
  }
}

function unmappedStyle(walk: Walk, element: Element): void {
  const start = element.sourceCodeLocation?.startOffset
  const line = start === undefined ? undefined : lineOf(walk, start)
  walk.warnings.push({
    code: 'W_HTML_STYLE_UNMAPPED',
    message: `The <style> element on line ${line} holds markup or character references, so its CSS cannot be mapped to source positions and its url()s are left as they are. Wrap the CSS in <![CDATA[ … ]]> or write it without entities.`,
    ...(line === undefined ? {} : { line }),
  })
}
