/**
 * Re-reads one start tag, whose range the parser has already found, with the
 * tokenizer's own states (tag name, attribute name, before/after value,
 * quoted and unquoted values, self-closing), to get the source range of every
 * attribute value and the place where a new attribute can go.
 */
import { asciiLowerCase, isAsciiWhitespace } from './html-decode.js'

/** One attribute as written in a start tag, duplicates included. */
export interface ScannedAttribute {
  /** Name in ASCII lower case, U+0000 replaced, as the tokenizer reads it (`xlink:href`). */
  name: string
  /** Offset of the first character of the name. */
  nameStart: number
  /** `[valueStart, valueEnd)`: the raw value inside any quotes; equal when the value is empty or missing. */
  valueStart: number
  valueEnd: number
  /** The quote around the value, `''` when unquoted or missing. */
  quote: '"' | "'" | ''
  /** Offset after the attribute (after its closing quote, value or name). */
  end: number
  /** `name=` directly followed by `>`: whatever is appended after it becomes its value, so `insertAt` stays before it. */
  valueMissing: boolean
}

/** What a start tag holds, by source position. */
export interface ScannedStartTag {
  attributes: ScannedAttribute[]
  /** Where ` name="value"` can be inserted: after the last attribute, before any `/` and the `>`. */
  insertAt: number
}

const SOLIDUS = 0x2f
const GREATER_THAN = 0x3e
const EQUALS = 0x3d
const QUOTE = 0x22
const APOSTROPHE = 0x27

/**
 * Scans the start tag `html.slice(start, end)`, where `start` is its `<` and
 * `end` the offset after its `>` (as parse5's `startTag` location gives them).
 * Returns `undefined` when the text does not read as one complete start tag
 * ending exactly at `end`, so the caller can skip the element with a warning.
 *
 * @example
 * scanStartTag('<img src="a.png"/>', 0, 18)?.insertAt // 16
 */
export function scanStartTag(html: string, start: number, end: number): ScannedStartTag | undefined {
  const last = end - 1
  if (html.charCodeAt(start) !== 0x3c || html.charCodeAt(last) !== GREATER_THAN || last <= start + 1) return
  let i = start + 1
  while (i < last && !isNameEnd(html.charCodeAt(i))) i++
  let insertAt = i
  const attributes: ScannedAttribute[] = []
  while (i < last) {
    const code = html.charCodeAt(i)
    // A `>` before `end` means the parser's tag ended elsewhere: do not guess.
    if (code === GREATER_THAN) return
    if (isAsciiWhitespace(code) || code === SOLIDUS) {
      // `/` not followed by `>` is an unexpected solidus: read on as before an attribute name.
      i++
      continue
    }
    // A new attribute; a leading `=` belongs to its name.
    const nameStart = i
    i++
    while (i < last && !isNameEnd(html.charCodeAt(i)) && html.charCodeAt(i) !== EQUALS) i++
    const name = asciiLowerCase(html.slice(nameStart, i)).replace(/\0/g, '\uFFFD')
    const nameEnd = i
    while (i < last && isAsciiWhitespace(html.charCodeAt(i))) i++
    if (html.charCodeAt(i) !== EQUALS || i >= last) {
      attributes.push(valueless(name, nameStart, nameEnd, false))
      insertAt = nameEnd
      continue
    }
    i++
    while (i < last && isAsciiWhitespace(html.charCodeAt(i))) i++
    if (i >= last) {
      // `name=>`: anything appended after `=` would become the value, so insertAt stays before it.
      attributes.push(valueless(name, nameStart, nameEnd, true))
      break
    }
    const quoteCode = html.charCodeAt(i)
    if (quoteCode === QUOTE || quoteCode === APOSTROPHE) {
      const quote = quoteCode === QUOTE ? '"' : "'"
      const close = html.indexOf(quote, i + 1)
      if (close < 0 || close >= last) return
      attributes.push({
        name,
        nameStart,
        valueStart: i + 1,
        valueEnd: close,
        quote,
        end: close + 1,
        valueMissing: false,
      })
      i = close + 1
    } else {
      const valueStart = i
      while (i < last && !isAsciiWhitespace(html.charCodeAt(i)) && html.charCodeAt(i) !== GREATER_THAN) i++
      attributes.push({ name, nameStart, valueStart, valueEnd: i, quote: '', end: i, valueMissing: false })
    }
    insertAt = i
  }
  return { attributes, insertAt }
}

function valueless(
  name: string,
  nameStart: number,
  nameEnd: number,
  valueMissing: boolean,
): ScannedAttribute {
  return { name, nameStart, valueStart: nameEnd, valueEnd: nameEnd, quote: '', end: nameEnd, valueMissing }
}

/** Ends a tag or attribute name: whitespace, `/` or `>`. */
function isNameEnd(code: number): boolean {
  return isAsciiWhitespace(code) || code === SOLIDUS || code === GREATER_THAN
}
