/**
 * The character encoding a `<meta>` element declares, by the HTML standard's rules.
 */
import { asciiLowerCase, isAsciiWhitespace } from './html-decode.js'

/**
 * The charset label a `<meta>` element declares, trimmed but otherwise as
 * written (`utf-8`, `Windows-1252`), or `undefined` when it declares none:
 * its `charset` attribute, or for `http-equiv="content-type"` the `charset=`
 * parameter of `content`, extracted as the HTML standard says
 * (https://html.spec.whatwg.org/multipage/urls-and-fetching.html#algorithm-for-extracting-a-character-encoding-from-a-meta-element).
 *
 * @example
 * findCharset({ 'http-equiv': 'Content-Type', content: 'text/html; charset="iso-8859-1"' }) // 'iso-8859-1'
 */
export function findCharset(attributes: Readonly<Record<string, string>>): string | undefined {
  const declared = attributes.charset?.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '')
  if (declared) return declared
  const httpEquiv = attributes['http-equiv']
  const content = attributes.content
  if (httpEquiv === undefined || content === undefined) return
  if (asciiLowerCase(httpEquiv) !== 'content-type') return
  return charsetOfContent(content)
}

/** The standard's "algorithm for extracting a character encoding from a meta element". */
function charsetOfContent(content: string): string | undefined {
  const lower = asciiLowerCase(content)
  let position = 0
  while (true) {
    const found = lower.indexOf('charset', position)
    if (found < 0) return
    let i = found + 'charset'.length
    while (i < content.length && isAsciiWhitespace(content.charCodeAt(i))) i++
    if (content.charAt(i) !== '=') {
      position = i
      continue
    }
    i++
    while (i < content.length && isAsciiWhitespace(content.charCodeAt(i))) i++
    const quote = content.charAt(i)
    if (quote === '"' || quote === "'") {
      const close = content.indexOf(quote, i + 1)
      return close < 0 ? undefined : content.slice(i + 1, close) || undefined
    }
    let end = i
    while (end < content.length && !isAsciiWhitespace(content.charCodeAt(end)) && content.charAt(end) !== ';')
      end++
    return end > i ? content.slice(i, end) : undefined
  }
}
