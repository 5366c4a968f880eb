import { tokenize, tokenTypes } from 'css-tree'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCssEscapes, escapeCssUrl } from '../../src/rewrite/css-escapes.js'

describe('decodeCssEscapes', () => {
  it.each([
    ['plain.png', 'plain.png'],
    [String.raw`a\28 1\29 .png`, 'a(1).png'],
    [String.raw`\000061.png`, 'a.png'],
    [String.raw`\0000611`, 'a1'], // six hex digits at most
    [String.raw`\61\62`, 'ab'],
    ['\\61\r\nb', 'ab'], // CRLF after a hex escape is one whitespace
    ['\\61  b', 'a b'], // only one whitespace belongs to the escape
    [String.raw`my\ file`, 'my file'],
    [String.raw`\"\'\\\(\)`, `"'\\()`],
    ['line\\\ncontinued', 'linecontinued'],
    ['line\\\r\ncontinued', 'linecontinued'],
    [String.raw`\0 \d800 \110000 x`, '\uFFFD\uFFFD\uFFFDx'],
    ['nul\0', 'nul\uFFFD'],
    ['\\\0', '\uFFFD'],
    ['end\\', 'end'],
    ['\\😀', '😀'],
    [String.raw`\1F600 `, '😀'],
  ])('%j reads as %j', (written, url) => {
    expect(decodeCssEscapes(written)).toBe(url)
  })
})

describe('escapeCssUrl', () => {
  it.each([
    ['https://gw.test/ipfs/bafy?filename=a.png', '', 'https://gw.test/ipfs/bafy?filename=a.png'],
    ['a b(1).png', '', String.raw`a\ b\(1\).png`],
    [`"q" 'q'`, '', String.raw`\"q\"\ \'q\'`],
    ['back\\slash', '', String.raw`back\\slash`],
    ['new\nline\ttab', '', String.raw`new\a line\9 tab`],
    [`say "hi" it's`, '"', String.raw`say \"hi\" it's`],
    [`say "hi" it's`, "'", String.raw`say "hi" it\'s`],
    ['a(b) c', '"', 'a(b) c'],
    ['cr\rff\f', "'", String.raw`cr\d ff\c `],
    ['nul\0', '"', 'nul\uFFFD'],
    ['café 😀', '"', 'café 😀'],
  ] as const)('%j in %j is written %j', (url, quote, written) => {
    expect(escapeCssUrl(url, quote)).toBe(written)
  })

  /** What css-tree's tokenizer makes of `url(<written>)` or `url(<q><written><q>)`: one url or string token? */
  function tokens(css: string): number[] {
    const types: number[] = []
    tokenize(css, (type) => types.push(type))
    return types
  }

  it('round-trips any URL without U+0000, and keeps it one token', () => {
    const unit = fc.oneof(
      fc.constantFrom(...Array.from(' \t\n\r\f"\'()\\\u0001\u007f/*;{}0aF😀é')),
      fc.string({ unit: 'binary', maxLength: 1 }),
    )
    fc.assert(
      fc.property(
        fc.string({ unit, maxLength: 20 }),
        fc.constantFrom('"', "'", '') as fc.Arbitrary<'"' | "'" | ''>,
        (raw, quote) => {
          const url = raw.replaceAll('\0', '')
          const written = escapeCssUrl(url, quote)
          expect(decodeCssEscapes(written)).toBe(url)
          const css = quote ? `${quote}${written}${quote}` : `url(${written})`
          expect(tokens(css)).toEqual([quote ? tokenTypes.String : tokenTypes.Url])
        },
      ),
      { numRuns: 2000 },
    )
  })
})
