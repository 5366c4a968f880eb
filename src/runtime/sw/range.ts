/**
 * Single byte ranges (`Range: bytes=a-b`, `bytes=a-`, `bytes=-n`) as media
 * elements send them. Anything else (several ranges, another unit, a
 * malformed header) is ignored and the whole file is sent with 200, as RFC
 * 9110 allows.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#name-range-requests
 */
import type { ByteRange } from './assemble-file.js'

/** The range a `Range` header asks of a file of `size` bytes; 'unsatisfiable' for 416; undefined: send it all. */
export function parseRange(header: string | null, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = header && /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (!match) return undefined
  const [, first = '', last = ''] = match
  if (first === '') {
    if (last === '') return undefined
    const suffix = Number(last)
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size }
  }
  const start = Number(first)
  const end = last === '' ? size : Math.min(size, Number(last) + 1)
  if (last !== '' && Number(last) < start) return undefined
  return start >= size ? 'unsatisfiable' : { start, end }
}

/** The headers that make a 206 of `range` of a file of `size` bytes. */
export function partialHeaders(range: ByteRange, size: number): Record<string, string> {
  return {
    'Content-Range': `bytes ${range.start}-${range.end - 1}/${size}`,
    'Content-Length': String(range.end - range.start),
  }
}

/** 416 for a range past the end of a file of `size` bytes. */
export function unsatisfiable(size: number): Response {
  return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } })
}
