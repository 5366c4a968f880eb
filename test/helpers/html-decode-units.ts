/**
 * Test oracle for src/rewrite/html-decode.ts: the former `decodeAttributeValue`,
 * which keeps the raw range of every decoded UTF-16 unit in two arrays. The
 * current one keeps only the pieces that are not copied unchanged.
 */
import { decodeHTMLAttribute } from 'entities'
import type { DecodedValue } from '../../src/rewrite/html-decode.js'

const NEEDS_DECODING = /[&\r\0]/
const NUMERIC_REFERENCE = /&#(?:[xX][0-9a-fA-F]+|[0-9]+);?/y
const NAMED_REFERENCE = /&[A-Za-z0-9]+;?/y

/** Code points that stop a run of characters copied unchanged. */
function isSpecial(code: number): boolean {
  return code === 0x26 || code === 0x0d || code === 0
}

/**
 * Decodes an attribute value as written in the source (without its quotes)
 * the way the HTML tokenizer does: CRLF and CR become LF, U+0000 becomes
 * U+FFFD, character references are resolved with the attribute rules
 * (`&amp=` and `&ampx` stay as written).
 *
 * @example
 * decodeAttributeValue('a&amp;b').value // 'a&b'
 * decodeAttributeValue('a&amp;b').rawStart(2) // 6
 */
export function decodeAttributeValueByUnits(raw: string): DecodedValue {
  if (!NEEDS_DECODING.test(raw)) {
    return {
      value: raw,
      rawStart: (d) => d,
      rawEnd: (d) => d,
      isBoundary: () => true,
    }
  }
  const parts: string[] = []
  // For each decoded UTF-16 unit: the raw piece [starts[i], ends[i]) it came from.
  const starts: number[] = []
  const ends: number[] = []
  const piece = (text: string, start: number, end: number): void => {
    parts.push(text)
    for (let k = 0; k < text.length; k++) {
      starts.push(start)
      ends.push(end)
    }
  }
  let i = 0
  while (i < raw.length) {
    const code = raw.charCodeAt(i)
    if (code === 0x26) {
      const [text, end] = characterReference(raw, i)
      piece(text, i, end)
      i = end
    } else if (code === 0x0d) {
      const end = raw.charCodeAt(i + 1) === 0x0a ? i + 2 : i + 1
      piece('\n', i, end)
      i = end
    } else if (code === 0) {
      piece('\uFFFD', i, i + 1)
      i++
    } else {
      let j = i + 1
      while (j < raw.length && !isSpecial(raw.charCodeAt(j))) j++
      parts.push(raw.slice(i, j))
      for (let k = i; k < j; k++) {
        starts.push(k)
        ends.push(k + 1)
      }
      i = j
    }
  }
  const value = parts.join('')
  return {
    value,
    rawStart: (d) => (d >= value.length ? raw.length : (starts[d] ?? raw.length)),
    rawEnd: (d) => (d <= 0 ? 0 : (ends[d - 1] ?? raw.length)),
    isBoundary: (d) => d <= 0 || d >= value.length || starts[d] !== starts[d - 1],
  }
}

/** The decoded text of the `&` at `at`, and the raw offset after what it consumed. */
function characterReference(raw: string, at: number): [string, number] {
  NUMERIC_REFERENCE.lastIndex = at
  const numeric = NUMERIC_REFERENCE.exec(raw)
  if (numeric) return [decodeHTMLAttribute(numeric[0]), at + numeric[0].length]
  NAMED_REFERENCE.lastIndex = at
  const named = NAMED_REFERENCE.exec(raw)
  if (!named) return ['&', at + 1]
  const written = named[0]
  const end = at + written.length
  // The attribute rules look at the character after an unterminated name (`=` or alphanumeric: no reference).
  const next = !written.endsWith(';') && end < raw.length ? raw.charAt(end) : ''
  const decoded = decodeHTMLAttribute(written + next)
  if (decoded === written + next || !decoded.endsWith(next)) return ['&', at + 1]
  return [decoded.slice(0, decoded.length - next.length), end]
}
