/**
 * CSS escape sequences in URLs, both ways: reading them as the browser does
 * (CSS Syntax Level 3 §4.3.7) and writing a URL so it reads back unchanged
 * in a quoted string or an unquoted `url( )`.
 */

const BACKSLASH = 0x5c
const LF = 0x0a
const CR = 0x0d
const FF = 0x0c

const isNewline = (c: number): boolean => c === LF || c === CR || c === FF
/** CSS whitespace: newline, tab or space. */
export const isCssWhitespace = (c: number): boolean => isNewline(c) || c === 0x09 || c === 0x20
const isHexDigit = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)

/**
 * End (exclusive) of the escape that starts with the backslash at `at`, as the
 * tokenizer consumes it: up to six hex digits plus one whitespace (CRLF counts
 * as one), a newline (a line continuation, valid in strings only), or one code
 * unit. A backslash at the end of `text` ends there.
 */
export function escapeEnd(text: string, at: number, limit = text.length): number {
  const first = at + 1 < limit ? text.charCodeAt(at + 1) : -1
  if (first === -1) return at + 1
  if (first === CR && at + 2 < limit && text.charCodeAt(at + 2) === LF) return at + 3
  if (!isHexDigit(first)) return at + 2
  let end = at + 2
  const max = Math.min(limit, at + 7)
  while (end < max && isHexDigit(text.charCodeAt(end))) end++
  const after = end < limit ? text.charCodeAt(end) : -1
  if (after === CR && end + 1 < limit && text.charCodeAt(end + 1) === LF) return end + 2
  return isCssWhitespace(after) ? end + 1 : end
}

/**
 * Reads CSS escapes the way the browser does: `\28` and `\000028 ` become `(`,
 * `\ ` a space, `\"` a quote, a backslash before a newline disappears (string
 * line continuation), a backslash at the very end disappears, and U+0000, a
 * surrogate or anything above U+10FFFF becomes U+FFFD (as does a literal NUL).
 *
 * @example decodeCssEscapes('a\\28 1\\29 .png') // 'a(1).png'
 */
export function decodeCssEscapes(raw: string): string {
  if (!raw.includes('\\') && !raw.includes('\0')) return raw
  let out = ''
  let run = 0
  let i = 0
  while (i < raw.length) {
    const c = raw.charCodeAt(i)
    if (c === 0) {
      out += `${raw.slice(run, i)}\uFFFD`
      run = ++i
      continue
    }
    if (c !== BACKSLASH) {
      i++
      continue
    }
    out += raw.slice(run, i)
    const end = escapeEnd(raw, i)
    const next = i + 1 < raw.length ? raw.charCodeAt(i + 1) : -1
    if (next === 0) {
      out += '\uFFFD'
    } else if (isHexDigit(next)) {
      let hexEnd = i + 1
      while (hexEnd < end && isHexDigit(raw.charCodeAt(hexEnd))) hexEnd++
      const code = Number.parseInt(raw.slice(i + 1, hexEnd), 16)
      out += String.fromCodePoint(
        code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff ? 0xfffd : code,
      )
    } else if (next !== -1 && !isNewline(next)) {
      out += raw[i + 1]
    }
    i = end
    run = end
  }
  return out + raw.slice(run)
}

/**
 * Whether a UTF-16 code unit must be escaped: controls always; the quote and
 * the backslash in a string; whitespace, quotes, parentheses and backslash in
 * an unquoted url( ) (where a control would also end the token).
 */
function needsEscape(c: number, quote: '"' | "'" | ''): boolean {
  if (c < 0x20 || c === 0x7f || c === BACKSLASH) return true
  if (quote) return c === quote.charCodeAt(0)
  return c === 0x20 || c === 0x22 || c === 0x27 || c === 0x28 || c === 0x29
}

/**
 * Writes `url` so that, placed between the given quotes (or inside an unquoted
 * `url( )` when `quote` is `''`), CSS reads it back as `url`. Controls and
 * newlines become hex escapes followed by a space (`\a `); the quote, the
 * backslash, and for unquoted URLs also space, quotes and parentheses get a
 * backslash. U+0000 cannot be written in CSS and becomes U+FFFD.
 *
 * @example escapeCssUrl('a b(1).png', '') // 'a\\ b\\(1\\).png'
 * @example escapeCssUrl('say "hi"', '"') // 'say \\"hi\\"'
 */
export function escapeCssUrl(url: string, quote: '"' | "'" | ''): string {
  let clean = true
  for (let i = 0; i < url.length && clean; i++) clean = !needsEscape(url.charCodeAt(i), quote)
  if (clean) return url
  let out = ''
  for (const ch of url) {
    const c = ch.charCodeAt(0)
    if (ch.length > 1 || !needsEscape(c, quote)) out += ch
    else if (c === 0) out += '\uFFFD'
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(16)} `
    else out += `\\${ch}`
  }
  return out
}
