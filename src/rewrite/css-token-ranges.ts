/**
 * From a token css-tree's tokenizer found to the exact characters of the URL
 * it holds: the part the tokenizer's start/end offsets do not give.
 */
import { decodeCssEscapes, escapeEnd, isCssWhitespace } from './css-escapes.js'

const BACKSLASH = 0x5c
const RIGHT_PAREN = 0x29

/** ASCII-lower-cased name of an ident-like token, escapes resolved (`@IMPORT`, `image-s\65t`). */
export function nameOf(css: string, start: number, end: number): string {
  return decodeCssEscapes(css.slice(start, end)).replace(/[A-Z]/g, (c) => c.toLowerCase())
}

/** `[start, end)` of the characters of a `url(…)` token's value, without the whitespace around it. */
export function unquotedRange(css: string, tokenStart: number, tokenEnd: number): [number, number] {
  let i = tokenStart + 4 // `url(`: the tokenizer makes url tokens only for a literal, unescaped `url`
  while (i < tokenEnd && isCssWhitespace(css.charCodeAt(i))) i++
  const start = i
  let end = i
  while (i < tokenEnd) {
    const c = css.charCodeAt(i)
    if (c === RIGHT_PAREN) break
    if (c === BACKSLASH) {
      i = escapeEnd(css, i, tokenEnd)
      end = i
    } else if (isCssWhitespace(c)) {
      i++
    } else {
      end = ++i
    }
  }
  return [start, end]
}

/**
 * `[start, end)` of a string token's contents, inside the quotes. An
 * unterminated string (at the end of the input) runs to the end, less a final
 * lone backslash, which the browser drops.
 */
export function stringRange(css: string, tokenStart: number, tokenEnd: number): [number, number] {
  const quote = css.charCodeAt(tokenStart)
  let i = tokenStart + 1
  while (i < tokenEnd) {
    const c = css.charCodeAt(i)
    if (c === quote) return [tokenStart + 1, i]
    if (c === BACKSLASH) {
      if (i + 1 === tokenEnd) return [tokenStart + 1, i]
      i = escapeEnd(css, i, tokenEnd)
    } else {
      i++
    }
  }
  return [tokenStart + 1, tokenEnd]
}
