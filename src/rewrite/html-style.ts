/**
 * CSS inside HTML: `<style>` elements and `style=""` values, handed to the CSS
 * finder with their source offsets (or mapped back through the decoding).
 */
import { decodeHTML } from 'entities'
import { findCssReferences } from './css-references.js'
import { type DecodedValue, normaliseRawText } from './html-decode.js'
import type { Namespace } from './html-rules.js'
import type { ScannedAttribute } from './html-start-tag.js'
import { lineAt, mapRange, type Walk } from './html-walk.js'
import type { ElementInfo } from './types.js'

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

/** The content of a `<style>` element, by source position: its text (and CDATA) children in order. */
export interface StyleContent {
  /** Offset of its start tag (for the line of a warning). */
  tagStart: number
  /** Text children `[start, end, isCdata]`; a CDATA child is its content, inside the markers. */
  texts: ReadonlyArray<readonly [number, number, boolean]>
  /** It has an element or comment child too. */
  otherChild: boolean
}

/**
 * CSS in a `<style>` element. HTML `<style>` is raw text: the source between the
 * tags is the CSS. SVG `<style>` is parsed: CDATA markers are blanked out (same
 * length), and content with character references or markup is skipped with a warning.
 */
export function readStyleElement(
  walk: Walk,
  content: StyleContent,
  namespace: Namespace,
  info: ElementInfo | undefined,
): void {
  const { texts } = content
  const first = texts[0]
  const last = texts[texts.length - 1]
  if (content.otherChild) unmappedStyle(walk, content.tagStart)
  if (content.otherChild || first === undefined || last === undefined) return
  const start = first[0]
  const end = last[1]
  let css = walk.html.slice(start, end)
  let expected = css
  if (namespace === 'svg' && css.includes('<![CDATA[')) {
    expected = css.replace(/<!\[CDATA\[|\]\]>/g, '')
    css = css.replace(/<!\[CDATA\[|\]\]>/g, (marker) => ' '.repeat(marker.length))
  }
  if (namespace === 'svg' && normaliseRawText(expected) !== textOf(walk.html, texts)) {
    unmappedStyle(walk, content.tagStart)
    return
  }
  const firstLine = lineAt(walk.lineStarts, start)
  for (const ref of findCssReferences(css, { origin: 'style-element', offset: start, firstLine })) {
    // A CDATA marker inside a URL: the blanked text is not what the browser reads.
    if (
      css !== expected &&
      walk.html.slice(ref.start, ref.end) !== css.slice(ref.start - start, ref.end - start)
    ) {
      unmappedStyle(walk, content.tagStart)
      continue
    }
    walk.references.push(info ? { ...ref, element: info } : ref)
  }
}

/** The text the tree holds for these children: character references decoded outside CDATA. */
function textOf(html: string, texts: StyleContent['texts']): string {
  return texts
    .map(([start, end, cdata]) => {
      const raw = normaliseRawText(html.slice(start, end))
      return cdata || !raw.includes('&') ? raw : decodeHTML(raw)
    })
    .join('')
}

function unmappedStyle(walk: Walk, tagStart: number): void {
  const line = lineAt(walk.lineStarts, tagStart)
  walk.warnings.push({
    code: 'W_HTML_STYLE_UNMAPPED',
    message: `The <style> element on line ${line} holds markup or character references, so its CSS cannot be mapped to source positions and its url()s are left as they are. Wrap the CSS in <![CDATA[ … ]]> or write it without entities.`,
    line,
  })
}
