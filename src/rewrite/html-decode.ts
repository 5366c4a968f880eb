/**
 * Decoding of HTML attribute values as the tokenizer does it (newline
 * normalisation, U+0000, character references), keeping the way back from
 * each decoded UTF-16 unit to the raw source characters it came from.
 */
import { decodeHTMLAttribute } from 'entities'

/** An attribute value as the browser reads it, and the map back to the raw text. */
export interface DecodedValue {
  /** The decoded value. */
  value: string
  /** Raw offset (relative to the raw value) where decoded offset `d` starts; `d` may equal `value.length`. */
  rawStart(d: number): number
  /** Raw offset (relative to the raw value) where a range ending at decoded offset `d` ends. */
  rawEnd(d: number): number
  /** Whether decoded offset `d` sits between two raw pieces, not inside one character reference or CRLF. */
  isBoundary(d: number): boolean
}

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
export function decodeAttributeValue(raw: string): DecodedValue {
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

/** Normalises newlines and U+0000 the way the input stream and a raw text element do. */
export function normaliseRawText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD')
}

/** ASCII lower case, leaving other letters as written (as the tokenizer does for names). */
export function asciiLowerCase(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : text
}

/** Whether `code` is ASCII whitespace (tab, LF, FF, CR, space). */
export function isAsciiWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d
}
