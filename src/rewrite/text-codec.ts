import { isUtf8 } from 'node:buffer'
import iconv from 'iconv-lite'

/** A document's bytes as text, and the way back to exactly those bytes. */
export interface DecodedText {
  text: string
  encode(text: string): Buffer
}

const LATIN = new Set([
  'windows-1252',
  'cp1252',
  'x-cp1252',
  'iso-8859-1',
  'iso8859-1',
  'latin1',
  'l1',
  'us-ascii',
  'ascii',
])
const UTF8 = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8'])

/** The charset a page declares in its first 1024 bytes (`<meta charset>` or `http-equiv` content), lower-cased. */
function declaredCharset(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 1024).toString('latin1')
  const match = /<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)
  return match?.[1]?.toLowerCase()
}

/**
 * Decodes a page or stylesheet so that encoding the unchanged text gives back
 * the very same bytes (a BOM stays a BOM). HTML honours a UTF-8 or UTF-16 BOM,
 * then a `windows-1252`/`iso-8859-1` declaration in a meta tag, else UTF-8.
 * Returns `undefined` when the bytes would not survive the round trip
 * (invalid UTF-8, an unsupported charset): such a document is left as it is.
 */
export function decodeDocument(bytes: Buffer, kind: 'html' | 'css'): DecodedText | undefined {
  let charset = 'utf-8'
  if (bytes[0] === 0xfe && bytes[1] === 0xff) charset = 'utf-16be'
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) charset = 'utf-16le'
  else if (!(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) && kind === 'html') {
    const declared = declaredCharset(bytes)
    if (declared !== undefined && LATIN.has(declared)) charset = 'windows-1252'
    else if (declared !== undefined && !UTF8.has(declared)) return undefined
  }
  // Valid UTF-8 decodes and encodes back to the same bytes (a BOM included): Node's own codec, no check needed.
  if (charset === 'utf-8') {
    if (!isUtf8(bytes)) return undefined
    return { text: bytes.toString('utf8'), encode: (t) => Buffer.from(t, 'utf8') }
  }
  const text = iconv.decode(bytes, charset, { stripBOM: false })
  const encode = (t: string) => iconv.encode(t, charset, { addBOM: false })
  return encode(text).equals(bytes) ? { text, encode } : undefined
}
