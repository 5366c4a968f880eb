import { describe, expect, it } from 'vitest'
import { applyEdits } from '../../src/rewrite/apply-edits.js'
import type { Edit } from '../../src/rewrite/types.js'

describe('applyEdits', () => {
  it.each<[string, string, Edit[], string]>([
    ['no edits', 'abc', [], 'abc'],
    ['one replacement', 'url(a.png)', [{ start: 4, end: 9, text: 'b.png' }], 'url(b.png)'],
    [
      'edits in any order are applied by position',
      '0123456789',
      [
        { start: 8, end: 9, text: 'X' },
        { start: 1, end: 3, text: 'YY' },
      ],
      '0YY34567X9',
    ],
    [
      'insertions at one offset keep their order, and go before a replacement starting there',
      'abc',
      [
        { start: 1, end: 2, text: 'B' },
        { start: 1, end: 1, text: '1' },
        { start: 1, end: 1, text: '2' },
      ],
      'a12Bc',
    ],
    [
      'adjacent replacements, at both ends',
      'abcd',
      [
        { start: 0, end: 2, text: '' },
        { start: 2, end: 4, text: 'xyz' },
      ],
      'xyz',
    ],
    ['an insertion at the end', 'ab', [{ start: 2, end: 2, text: '!' }], 'ab!'],
  ])('%s', (_, text, edits, expected) => {
    expect(applyEdits(text, edits)).toBe(expected)
  })

  it.each<[string, Edit[], RegExp]>([
    [
      'overlapping edits',
      [
        { start: 1, end: 4, text: 'x' },
        { start: 3, end: 5, text: 'y' },
      ],
      /overlaps an earlier edit ending at 4/,
    ],
    [
      'an insertion inside a replaced range',
      [
        { start: 1, end: 4, text: 'x' },
        { start: 2, end: 2, text: 'y' },
      ],
      /overlaps/,
    ],
    [
      'an edit past the end',
      [{ start: 5, end: 11, text: 'x' }],
      /\[5, 11\) does not lie within the text \(length 10\)/,
    ],
    ['an edit ending before it starts', [{ start: 4, end: 2, text: 'x' }], /does not lie within/],
    ['a negative offset', [{ start: -1, end: 2, text: 'x' }], /does not lie within/],
  ])('throws on %s', (_, edits, message) => {
    expect(() => applyEdits('0123456789', edits)).toThrow(message)
  })

  it('does not modify the edits it is given', () => {
    const edits: Edit[] = [
      { start: 3, end: 4, text: 'b' },
      { start: 0, end: 1, text: 'a' },
    ]
    const copy = structuredClone(edits)
    applyEdits('wxyz', edits)
    expect(edits).toEqual(copy)
  })
})
