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

const same = (d: number): number => d
const always = (): boolean => true

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
  if (!NEEDS_DECODING.test(raw)) return { value: raw, rawStart: same, rawEnd: same, isBoundary: always }
  const parts: string[] = []
  // The pieces that are not copied unchanged (references, CR, U+0000): decoded start and end, raw start and end.
  const pieces = new Pieces()
  let decoded = 0
  let i = 0
  while (i < raw.length) {
    const code = raw.charCodeAt(i)
    let text: string
    let end: number
    if (code === 0x26) [text, end] = characterReference(raw, i)
    else if (code === 0x0d) [text, end] = ['\n', raw.charCodeAt(i + 1) === 0x0a ? i + 2 : i + 1]
    else if (code === 0) [text, end] = ['\uFFFD', i + 1]
    else {
      end = i + 1
      while (end < raw.length && !isSpecial(raw.charCodeAt(end))) end++
      parts.push(raw.slice(i, end))
      decoded += end - i
      i = end
      continue
    }
    parts.push(text)
    pieces.add(decoded, decoded + text.length, i, end)
    decoded += text.length
    i = end
  }
  const value = parts.join('')
  return {
    value,
    rawStart: (d) => (d >= value.length ? raw.length : pieces.rawStart(d)),
    rawEnd: (d) => (d <= 0 ? 0 : pieces.rawEnd(d)),
    isBoundary: (d) => d <= 0 || d >= value.length || !pieces.inside(d),
  }
}

/** The decoded pieces of a value that are not copied unchanged, in order; between them raw and decoded offsets differ by a constant. */
class Pieces {
  private readonly decodedStarts: number[] = []
  private readonly decodedEnds: number[] = []
  private readonly rawStarts: number[] = []
  private readonly rawEnds: number[] = []

  add(decodedStart: number, decodedEnd: number, rawStart: number, rawEnd: number): void {
    this.decodedStarts.push(decodedStart)
    this.decodedEnds.push(decodedEnd)
    this.rawStarts.push(rawStart)
    this.rawEnds.push(rawEnd)
  }

  /** Index of the last piece starting at or before decoded offset `d`, or -1. */
  private at(d: number): number {
    let low = -1
    let high = this.decodedStarts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if ((this.decodedStarts[mid] as number) <= d) low = mid
      else high = mid - 1
    }
    return low
  }

  /** Raw offset where the decoded unit at `d` starts. */
  rawStart(d: number): number {
    const k = this.at(d)
    if (k < 0) return d
    const end = this.decodedEnds[k] as number
    return d < end ? (this.rawStarts[k] as number) : (this.rawEnds[k] as number) + d - end
  }

  /** Raw offset where a range ending at decoded offset `d` (after unit `d - 1`) ends. */
  rawEnd(d: number): number {
    const k = this.at(d - 1)
    if (k >= 0 && d - 1 < (this.decodedEnds[k] as number)) return this.rawEnds[k] as number
    return this.rawStart(d - 1) + 1
  }

  /** Whether decoded offset `d` falls strictly inside one piece. */
  inside(d: number): boolean {
    const k = this.at(d)
    return k >= 0 && (this.decodedStarts[k] as number) < d && d < (this.decodedEnds[k] as number)
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
