/**
 * What the HTML finder's passes share while walking one document: the source,
 * its line index, and the references and warnings found so far.
 */
import type { DecodedValue } from './html-decode.js'
import type { ScannedAttribute } from './html-start-tag.js'
import type { ElementInfo, Reference } from './types.js'

/** A reference found in HTML, with the start tag it sits in (for attribute and CSS references). */
export type HtmlReference = Reference & { element?: ElementInfo }

/** A non-fatal problem met while reading the page. */
export interface HtmlWarning {
  /** Stable code: `W_HTML_TAG_UNMAPPED`, `W_HTML_REFERENCE_SPLIT`, `W_HTML_STYLE_UNMAPPED`. */
  code: string
  message: string
  /** 1-based line, when known. */
  line?: number
}

/** What `findHtmlReferences` returns. */
export interface HtmlReferences {
  /** Every reference, ordered by `start`; ranges never overlap. */
  references: HtmlReference[]
  /**
   * The first `<base href>` in tree order (the one the browser uses), value decoded and trimmed,
   * with its start tag's source range (`start`…`end`).
   */
  baseHref?: { url: string; line: number; start: number; end: number }
  /** The charset label the document declares (`<meta charset>` or `http-equiv="content-type"`), as written. */
  charset?: string
  /** Offset right after the `<head…>` start tag, when the source has one: where head content can be inserted. */
  headTagEnd?: number
  /** Offset right after the `<html…>` start tag, when the source has one. */
  htmlTagEnd?: number
  warnings: HtmlWarning[]
}

/** The state of one walk over a document. */
export interface Walk {
  html: string
  lineStarts: number[]
  references: HtmlReference[]
  warnings: HtmlWarning[]
  result: HtmlReferences
}

/** An `&` the text right before a URL leaves open: what follows it decides whether it is a character reference. */
const OPEN_REFERENCE = /&#?[A-Za-z0-9]*$/

/**
 * The source range and line of decoded `[start, end)` of an attribute value, or
 * `undefined` with a warning when an end falls inside a character reference or the start
 * follows an unterminated one.
 */
export function mapRange(
  walk: Walk,
  element: ElementInfo,
  attribute: ScannedAttribute,
  decoded: DecodedValue,
  start: number,
  end: number,
): { start: number; end: number; line: number } | undefined {
  if (!decoded.isBoundary(start) || !decoded.isBoundary(end)) {
    const line = lineAt(walk.lineStarts, attribute.valueStart)
    const url = shorten(decoded.value.slice(start, end))
    walk.warnings.push({
      code: 'W_HTML_REFERENCE_SPLIT',
      message: `The URL "${url}" in the ${attribute.name} attribute of <${element.name}> on line ${line} starts or ends inside a character reference, so it is left as it is. Write the URL's first and last characters literally.`,
      line,
    })
    return
  }
  const rawStart = attribute.valueStart + decoded.rawStart(start)
  const before = walk.html.slice(Math.max(attribute.valueStart, rawStart - 40), rawStart)
  if (OPEN_REFERENCE.test(before)) {
    const line = lineAt(walk.lineStarts, attribute.valueStart)
    const url = shorten(decoded.value.slice(start, end))
    walk.warnings.push({
      code: 'W_HTML_REFERENCE_SPLIT',
      message: `The URL "${url}" in the ${attribute.name} attribute of <${element.name}> on line ${line} follows a character reference written without its closing ";", so it is left as it is (a new URL there would change how that reference reads). End the reference with ";".`,
      line,
    })
    return
  }
  return {
    start: rawStart,
    end: attribute.valueStart + decoded.rawEnd(end),
    line: lineAt(walk.lineStarts, rawStart),
  }
}

/** `text`, cut to 80 characters for a message. */
export function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/** Offsets where lines start: after LF, and after a CR not followed by LF (the parser's line breaks). */
export function lineStartsOf(text: string): number[] {
  const starts = [0]
  if (!text.includes('\r')) {
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1)
    return starts
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) starts.push(i + 1)
  }
  return starts
}

/** 1-based line of `offset`. */
export function lineAt(lineStarts: number[], offset: number): number {
  let low = 0
  let high = lineStarts.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if ((lineStarts[mid] ?? 0) <= offset) low = mid
    else high = mid - 1
  }
  return low + 1
}
