/**
 * CSS inside HTML: `<style>` elements and `style=""` values, handed to the CSS
 * finder with their source offsets (or mapped back through the decoding).
 */
import type { DefaultTreeAdapterTypes } from 'parse5'
import { findCssReferences } from './css-references.js'
import { type DecodedValue, normaliseRawText } from './html-decode.js'
import type { Namespace } from './html-rules.js'
import type { ScannedAttribute } from './html-start-tag.js'
import { lineAt, mapRange, type Walk } from './html-walk.js'
import type { ElementInfo } from './types.js'

type Element = DefaultTreeAdapterTypes.Element

/**
 * CSS in a `style=""` value. With character references (or CR, U+0000) in it, the
 * decoded value is searched and each range is mapped back through the decoding.
 */
export function readStyleAttribute(
  walk: Walk,
  element: ElementInfo,
  attribute: ScannedAttribute,
  decoded: DecodedValue,
): void {
  const raw = walk.html.slice(attribute.valueStart, attribute.valueEnd)
  if (raw === decoded.value) {
    const firstLine = lineAt(walk.lineStarts, attribute.valueStart)
    for (const ref of findCssReferences(raw, {
      origin: 'style-attribute',
      offset: attribute.valueStart,
      firstLine,
    })) {
      walk.references.push({ ...ref, element })
    }
    return
  }
  for (const ref of findCssReferences(decoded.value, { origin: 'style-attribute' })) {
    const range = mapRange(walk, element, attribute, decoded, ref.start, ref.end)
    if (range) walk.references.push({ ...ref, ...range, element })
  }
}

/**
 * CSS in a `<style>` element. HTML `<style>` is raw text: the source between the
 * tags is the CSS. SVG `<style>` is parsed: CDATA markers are blanked out (same
 * length), and content with character references or markup is skipped with a warning.
 */
export function readStyleElement(
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
  const line = element.sourceCodeLocation?.startLine
  walk.warnings.push({
    code: 'W_HTML_STYLE_UNMAPPED',
    message: `The <style> element on line ${line} holds markup or character references, so its CSS cannot be mapped to source positions and its url()s are left as they are. Wrap the CSS in <![CDATA[ … ]]> or write it without entities.`,
    ...(line === undefined ? {} : { line }),
  })
}
