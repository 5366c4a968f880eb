/**
 * Keeps a script's source map true after the rewrite changed the length of
 * some strings in it: every generated column after an edit on the same line
 * moves by the edit's change in length. Edits never span a line break, so
 * lines stay as they were.
 *
 * @see https://tc39.es/ecma426/ (Source Map, ECMA-426: `mappings`, generated columns in UTF-16 code units)
 */
import { decode, encode } from '@jridgewell/sourcemap-codec'
import type { Edit } from './types.js'

/** A line's edits as columns: `[start, end)` of the old text, and the change in length. */
interface ColumnEdit {
  start: number
  end: number
  delta: number
}

/** The edits by 0-based line, as columns of that line (lines end at `\n`, `\r\n` or `\r`). */
function editsByLine(code: string, edits: readonly Edit[]): Map<number, ColumnEdit[]> {
  const lineStarts = [0]
  for (const match of code.matchAll(/\r\n?|\n/g)) lineStarts.push((match.index ?? 0) + match[0].length)
  const lineOf = (offset: number) => {
    let lo = 0
    let hi = lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((lineStarts[mid] as number) <= offset) lo = mid
      else hi = mid - 1
    }
    return lo
  }
  const byLine = new Map<number, ColumnEdit[]>()
  for (const edit of [...edits].sort((a, b) => a.start - b.start)) {
    const line = lineOf(edit.start)
    const first = lineStarts[line] as number
    const list = byLine.get(line) ?? []
    list.push({
      start: edit.start - first,
      end: edit.end - first,
      delta: edit.text.length - (edit.end - edit.start),
    })
    byLine.set(line, list)
  }
  return byLine
}

/**
 * The `mappings` of a source map for `code` after `edits` were applied to it.
 * A mapping inside a replaced range moves to the range's start.
 */
export function shiftMappings(mappings: string, code: string, edits: readonly Edit[]): string {
  if (edits.length === 0) return mappings
  const decoded = decode(mappings)
  for (const [line, columnEdits] of editsByLine(code, edits)) {
    const segments = decoded[line]
    if (segments === undefined) continue
    for (const segment of segments) {
      const column = segment[0]
      let shift = 0
      for (const edit of columnEdits) {
        if (column >= edit.end) shift += edit.delta
        else if (column > edit.start) shift += edit.start - column
      }
      segment[0] = column + shift
    }
  }
  return encode(decoded)
}

/** A parsed source map file; only `mappings` is changed, every other field is kept as it was. */
export interface SourceMapFile {
  version: number
  mappings: string
  sections?: unknown
  [key: string]: unknown
}

/**
 * The text of a source map file after its script was edited, or `undefined`
 * when it is not a plain (non-indexed) version 3 map with `mappings`.
 */
export function shiftSourceMap(mapText: string, code: string, edits: readonly Edit[]): string | undefined {
  let map: SourceMapFile
  try {
    map = JSON.parse(mapText.replace(/^\)\]\}'[^\n]*\n/, '')) as SourceMapFile
  } catch {
    return undefined
  }
  if (map === null || typeof map !== 'object' || map.version !== 3 || typeof map.mappings !== 'string')
    return undefined
  return JSON.stringify({ ...map, mappings: shiftMappings(map.mappings, code, edits) })
}
