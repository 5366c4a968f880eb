import { extname } from 'node:path/posix'
import mime from 'mime-types'
import { FALLBACK_CONTENT_TYPE } from '../../../constants.js'

/** Bytes read from the start of a file to sniff its type. */
export const SNIFF_BYTES = 512

/** The content type of a file name's extension, with its charset, or undefined when unknown. */
export function typeFromName(name: string | undefined): string | undefined {
  const extension = name === undefined ? '' : extname(name)
  if (extension === '') return undefined
  return mime.contentType(extension) || undefined
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0) =>
  prefix.every((byte, i) => bytes[at + i] === byte)
const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0))

/** Magic numbers of common web formats. */
const MAGIC: ReadonlyArray<[type: string, prefix: readonly number[], at?: number]> = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', ascii('GIF87a')],
  ['image/gif', ascii('GIF89a')],
  ['image/x-icon', [0x00, 0x00, 0x01, 0x00]],
  ['application/pdf', ascii('%PDF-')],
  ['application/wasm', [0x00, 0x61, 0x73, 0x6d]],
  ['application/gzip', [0x1f, 0x8b, 0x08]],
  ['application/zip', [0x50, 0x4b, 0x03, 0x04]],
  ['font/woff', ascii('wOFF')],
  ['font/woff2', ascii('wOF2')],
  ['video/mp4', ascii('ftyp'), 4],
]

/**
 * Guesses a content type from the first bytes of a file: a few magic
 * numbers, HTML and SVG markup, then UTF-8 text; `application/octet-stream`
 * otherwise.
 */
export function sniffType(bytes: Uint8Array): string {
  for (const [type, prefix, at] of MAGIC) if (startsWith(bytes, prefix, at)) return type
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp'
  if (bytes.length === 0) return FALLBACK_CONTENT_TYPE
  // Control characters other than whitespace mean binary.
  if (bytes.some((byte) => byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d)) {
    return FALLBACK_CONTENT_TYPE
  }
  let text: string
  try {
    // `stream` tolerates a character cut at the end of the sniffed prefix.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true })
  } catch {
    return FALLBACK_CONTENT_TYPE
  }
  const start = text.replace(/^\uFEFF?\s*/, '').toLowerCase()
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'text/html; charset=utf-8'
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && start.includes('<svg')))
    return 'image/svg+xml'
  if (start.startsWith('<?xml')) return 'application/xml'
  return 'text/plain; charset=utf-8'
}

const encodeRfc8187 = (value: string) =>
  encodeURIComponent(value).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)

/**
 * A `Content-Disposition` value; non-ASCII names get an ASCII fallback with
 * `_` and a UTF-8 `filename*` (RFC 8187), as the path gateway spec asks.
 */
export function contentDisposition(kind: 'inline' | 'attachment', filename?: string): string {
  if (filename === undefined || filename === '') return kind
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  if (fallback === filename) return `${kind}; filename="${fallback}"`
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encodeRfc8187(filename)}`
}
