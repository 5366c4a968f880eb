import type { Edit } from './types.js'

/**
 * Applies edits to `text` in one pass: each `[start, end)` is replaced by its
 * `text`, every other character is copied as it was. Edits may come in any
 * order; they are applied by position, and insertions at the same offset keep
 * their given order (an insertion at the start of a replaced range goes before
 * the replacement).
 *
 * @throws RangeError when an edit lies outside `text`, ends before it starts,
 * or overlaps another edit: that is a bug in the caller, never bad input.
 *
 * @example applyEdits('url(a.png)', [{ start: 4, end: 9, text: 'b.png' }]) // 'url(b.png)'
 */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  if (edits.length === 0) return text
  const sorted = edits
    .map((edit, index) => ({ edit, index }))
    .sort((a, b) => a.edit.start - b.edit.start || a.edit.end - b.edit.end || a.index - b.index)
    .map(({ edit }) => edit)
  const parts: string[] = []
  let at = 0
  for (const edit of sorted) {
    const { start, end } = edit
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > text.length || start > end) {
      throw new RangeError(
        `applyEdits: the edit [${start}, ${end}) does not lie within the text (length ${text.length}). Edits must use offsets of the text they are applied to.`,
      )
    }
    if (start < at) {
      throw new RangeError(
        `applyEdits: the edit [${start}, ${end}) overlaps an earlier edit ending at ${at}. Each range of the text may be replaced only once; merge the edits first.`,
      )
    }
    parts.push(text.slice(at, start), edit.text)
    at = end
  }
  parts.push(text.slice(at))
  return parts.join('')
}
