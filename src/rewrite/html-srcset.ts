/**
 * The HTML standard's "parse a srcset attribute" algorithm, keeping where each
 * candidate's URL sits: https://html.spec.whatwg.org/multipage/images.html#parse-a-srcset-attribute
 */
import { isAsciiWhitespace } from './html-decode.js'

/** One image candidate of a `srcset` value. */
export interface SrcsetCandidate {
  url: string
  /** `[start, end)` of the URL in the (decoded) value. */
  start: number
  end: number
  /** The descriptors as written, joined by one space (`2x`, `480w`), when there are any. */
  descriptor?: string
}

const COMMA = 0x2c

/**
 * Splits a decoded `srcset` value into candidates the way browsers do: URLs
 * end at whitespace (commas inside them are kept, trailing commas are not),
 * descriptors run to the next comma outside parentheses. Candidates are kept
 * even when their descriptors are invalid, since the URL is still named.
 *
 * @example
 * parseSrcset('a.png 1x, b,c.png 2x').map((c) => c.url) // ['a.png', 'b,c.png']
 */
export function parseSrcset(value: string): SrcsetCandidate[] {
  const candidates: SrcsetCandidate[] = []
  let i = 0
  const length = value.length
  while (true) {
    while (i < length && (isAsciiWhitespace(value.charCodeAt(i)) || value.charCodeAt(i) === COMMA)) i++
    if (i >= length) return candidates
    const start = i
    while (i < length && !isAsciiWhitespace(value.charCodeAt(i))) i++
    let end = i
    const descriptors: string[] = []
    if (value.charCodeAt(end - 1) === COMMA) {
      while (end > start && value.charCodeAt(end - 1) === COMMA) end--
    } else {
      i = readDescriptors(value, i, descriptors)
    }
    if (end > start) {
      const candidate: SrcsetCandidate = { url: value.slice(start, end), start, end }
      if (descriptors.length > 0) candidate.descriptor = descriptors.join(' ')
      candidates.push(candidate)
    }
  }
}

/** The descriptor tokenizer: fills `descriptors`, returns the offset after the candidate's comma. */
function readDescriptors(value: string, from: number, descriptors: string[]): number {
  let i = from
  while (i < value.length && isAsciiWhitespace(value.charCodeAt(i))) i++
  let current = ''
  let state: 'in' | 'parens' | 'after' = 'in'
  for (; i < value.length; i++) {
    const char = value.charAt(i)
    const code = value.charCodeAt(i)
    if (state === 'in') {
      if (isAsciiWhitespace(code)) {
        if (current) descriptors.push(current)
        current = ''
        state = 'after'
      } else if (code === COMMA) {
        if (current) descriptors.push(current)
        return i + 1
      } else {
        current += char
        if (char === '(') state = 'parens'
      }
    } else if (state === 'parens') {
      current += char
      if (char === ')') state = 'in'
    } else if (!isAsciiWhitespace(code)) {
      state = 'in'
      i--
    }
  }
  if (current) descriptors.push(current)
  return i
}
