/**
 * The CSS finder and rewriter: every syntax that names an asset, the awkward spellings
 * (whitespace, newlines, quotes and escapes inside `url( )`), what must never be touched, the
 * seed page's 66 inline `background-image` URLs, and random mutations of real stylesheets.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type CssReferenceOptions, findCssReferences, rewriteCss } from '../../src/rewrite/css-references.js'
import type { Reference } from '../../src/rewrite/types.js'
import { ROOT } from '../helpers/fs.js'

type Origin = CssReferenceOptions['origin']
type Syntax = 'url' | 'image-set' | 'import'

/**
 * CSS Syntax Level 3 §3.3 (preprocessing) and §4.3.5–4.3.7 (strings, url tokens, escapes),
 * transcribed code point by code point: the oracle the finder's `url` must agree with.
 */
function specDecode(written: string, quoted: boolean): string {
  const cps = Array.from(written.replace(/\r\n?|\f/g, '\n').replaceAll('\0', '\uFFFD'))
  const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c)
  let out = ''
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string
    if (c !== '\\') {
      out += c
      continue
    }
    const next = cps[i + 1]
    if (next === undefined) break // a backslash at EOF: nothing (strings only)
    if (next === '\n') {
      if (!quoted)
        throw new Error(`a newline escape cannot be in an unquoted url: ${JSON.stringify(written)}`)
      i++ // line continuation
      continue
    }
    if (!isHex(next)) {
      out += next
      i++
      continue
    }
    let hex = ''
    let j = i + 1
    while (j < cps.length && hex.length < 6 && isHex(cps[j])) hex += cps[j++]
    if (cps[j] === ' ' || cps[j] === '\t' || cps[j] === '\n') j++
    const code = Number.parseInt(hex, 16)
    out += String.fromCodePoint(
      code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff ? 0xfffd : code,
    )
    i = j - 1
  }
  return out
}

/** A reference reduced to what a table row states: URL, the characters as written, quote, syntax. */
const brief = (css: string, refs: Reference[]) =>
  refs.map((r) => [
    r.url,
    css.slice(r.start, r.end),
    r.quote,
    r.context.type === 'css' ? r.context.syntax : '',
  ])

type Row = [url: string, written: string, quote: Reference['quote'], syntax: Syntax]

const FOUND: Array<{ name: string; css: string; origin?: Origin; refs: Row[] }> = [
  // Property coverage: url() wherever a value names an image, font or cursor.
  {
    name: 'background, background-image, several layers',
    css: '.a{background:#fff url(a.png) no-repeat}.b{background-image:url(b.png),url(c.png)}',
    refs: [
      ['a.png', 'a.png', '', 'url'],
      ['b.png', 'b.png', '', 'url'],
      ['c.png', 'c.png', '', 'url'],
    ],
  },
  {
    name: 'border-image, mask, mask-image, list-style, cursor, content, filter',
    css: `a{border-image:url("border.svg") 30 round;mask:url(m.svg#x) center/contain;-webkit-mask-image:url('wm.png');
list-style:square url(bullet.gif);cursor:url(c.cur) 4 4,pointer;content:url(icon.svg) " text";filter:url(#blur)}`,
    refs: [
      ['border.svg', 'border.svg', '"', 'url'],
      ['m.svg#x', 'm.svg#x', '', 'url'],
      ['wm.png', 'wm.png', "'", 'url'],
      ['bullet.gif', 'bullet.gif', '', 'url'],
      ['c.cur', 'c.cur', '', 'url'],
      ['icon.svg', 'icon.svg', '', 'url'],
      ['#blur', '#blur', '', 'url'],
    ],
  },
  {
    name: '@font-face src with format() and local(), whose strings are not URLs',
    css: `@font-face{font-family:"X";src:local("X Regular"),url(/f/x.woff2) format("woff2"),url('/f/x.woff') format('woff')}`,
    refs: [
      ['/f/x.woff2', '/f/x.woff2', '', 'url'],
      ['/f/x.woff', '/f/x.woff', "'", 'url'],
    ],
  },
  {
    name: 'custom properties, nested blocks (@media, @supports, CSS nesting), @page',
    css: `:root{--hero:url(hero.jpg)}@media (min-width:1px){@supports (display:grid){.a{background:url(m.png)}}}
.card{.icon{background:url(nested.png)}}@page{background:url(page.png)}`,
    refs: [
      ['hero.jpg', 'hero.jpg', '', 'url'],
      ['m.png', 'm.png', '', 'url'],
      ['nested.png', 'nested.png', '', 'url'],
      ['page.png', 'page.png', '', 'url'],
    ],
  },
  {
    name: 'image-set() and -webkit-image-set(): strings and url(), not type() strings',
    css: `a{background-image:image-set("a.avif" type("image/avif"),'a.png' 1x,url(a2.png) 2x);
b{background:-webkit-image-set("w.png" 1x, url("w2.png") 2x)}`,
    refs: [
      ['a.avif', 'a.avif', '"', 'image-set'],
      ['a.png', 'a.png', "'", 'image-set'],
      ['a2.png', 'a2.png', '', 'url'],
      ['w.png', 'w.png', '"', 'image-set'],
      ['w2.png', 'w2.png', '"', 'url'],
    ],
  },
  {
    name: '@import in every form, with media, layer and supports after it',
    css: `@charset "utf-8";@import "a.css";@import 'b.css' screen;@import url(c.css) layer(base) supports(display:grid) print and (min-width:1px);
@import url( "d.css" );@IMPORT "e.css";@import url(f.css)`,
    refs: [
      ['a.css', 'a.css', '"', 'import'],
      ['b.css', 'b.css', "'", 'import'],
      ['c.css', 'c.css', '', 'import'],
      ['d.css', 'd.css', '"', 'import'],
      ['e.css', 'e.css', '"', 'import'],
      ['f.css', 'f.css', '', 'import'],
    ],
  },
  {
    name: 'data: URIs and other schemes are reported as they are',
    css: `a{background:url(data:image/svg+xml;base64,PHN2Zz4=)}b{background:url("data:image/svg+xml,%3Csvg%3E")}c{background:url(//cdn.example/x.png)}`,
    refs: [
      ['data:image/svg+xml;base64,PHN2Zz4=', 'data:image/svg+xml;base64,PHN2Zz4=', '', 'url'],
      ['data:image/svg+xml,%3Csvg%3E', 'data:image/svg+xml,%3Csvg%3E', '"', 'url'],
      ['//cdn.example/x.png', '//cdn.example/x.png', '', 'url'],
    ],
  },
  // Whitespace, newlines and quotes inside url( ).
  {
    name: 'whitespace and newlines around an unquoted URL (the seed page has both)',
    css: 'a{background-image:url(\n  https://x.test/a.jpg\n)}b{background:url(\t b.png \t)}c{background:url(\r\nc.png\r\n)}d{background:URL(d.png)}',
    refs: [
      ['https://x.test/a.jpg', 'https://x.test/a.jpg', '', 'url'],
      ['b.png', 'b.png', '', 'url'],
      ['c.png', 'c.png', '', 'url'],
      ['d.png', 'd.png', '', 'url'],
    ],
  },
  {
    name: 'whitespace around a quoted URL, and inside the quotes (kept: it is part of the string)',
    css: `a{background:url(  "a.png"  )}b{background:url(\n'b.png'\n)}c{background:url(" c.png ")}`,
    refs: [
      ['a.png', 'a.png', '"', 'url'],
      ['b.png', 'b.png', "'", 'url'],
      [' c.png ', ' c.png ', '"', 'url'],
    ],
  },
  {
    name: 'escapes in unquoted URLs: hex with and without the space, escaped space and parentheses',
    css: String.raw`a{b:url(a\28 1\29 .png)}b{b:url(my\ file.png)}c{b:url(\(x\).png)}d{b:url(\000061.png)}e{b:url(caf\E9 .png)}f{b:url(x\41 )}`,
    refs: [
      ['a(1).png', String.raw`a\28 1\29 .png`, '', 'url'],
      ['my file.png', String.raw`my\ file.png`, '', 'url'],
      ['(x).png', String.raw`\(x\).png`, '', 'url'],
      ['a.png', String.raw`\000061.png`, '', 'url'],
      ['café.png', String.raw`caf\E9 .png`, '', 'url'],
      ['xA', String.raw`x\41 `, '', 'url'],
    ],
  },
  {
    name: 'escapes in strings: quotes, backslash, line continuation, NUL and surrogates become U+FFFD',
    css: `a{b:url("say \\"hi\\".png")}b{b:url('it\\'s.png')}c{b:url("back\\\\slash.png")}d{b:url("long\\\nname.png")}e{b:url("\\0 \\d800 x")}`,
    refs: [
      ['say "hi".png', 'say \\"hi\\".png', '"', 'url'],
      ["it's.png", "it\\'s.png", "'", 'url'],
      ['back\\slash.png', 'back\\\\slash.png', '"', 'url'],
      ['longname.png', 'long\\\nname.png', '"', 'url'],
      ['\uFFFD\uFFFDx', '\\0 \\d800 x', '"', 'url'],
    ],
  },
  {
    name: 'a comment after the string is allowed; in an unquoted url it is part of the URL (as in browsers)',
    css: 'a{b:url("a.png" /* note */)}b{b:url(/*x*/b.png)}',
    refs: [
      ['a.png', 'a.png', '"', 'url'],
      ['/*x*/b.png', '/*x*/b.png', '', 'url'],
    ],
  },
  {
    name: 'non-ASCII and astral characters (positions in UTF-16 code units)',
    css: 'a{content:"😀"}b{background:url(ü/😀.png)}c{background:url("日本.png")}',
    refs: [
      ['ü/😀.png', 'ü/😀.png', '', 'url'],
      ['日本.png', '日本.png', '"', 'url'],
    ],
  },
  {
    name: 'empty url() and url(""): reported (the caller skips them)',
    css: 'a{b:url()}b{b:url("")}',
    refs: [
      ['', '', '', 'url'],
      ['', '', '"', 'url'],
    ],
  },
  {
    name: 'a style="" value is a declaration list: URLs at its top level count',
    origin: 'style-attribute',
    css: 'background: url(a.png) center; --x: url("b.png"); background-image: image-set("c.png" 1x)',
    refs: [
      ['a.png', 'a.png', '', 'url'],
      ['b.png', 'b.png', '"', 'url'],
      ['c.png', 'c.png', '"', 'image-set'],
    ],
  },
  {
    name: '<!-- --> around a <style> body do not hide its rules',
    origin: 'style-element',
    css: '<!--\n.a{background:url(a.png)}\n-->',
    refs: [['a.png', 'a.png', '', 'url']],
  },
  {
    name: 'a byte-order mark before the stylesheet',
    css: '\uFEFF@import "a.css";a{b:url(b.png)}',
    refs: [
      ['a.css', 'a.css', '"', 'import'],
      ['b.png', 'b.png', '', 'url'],
    ],
  },
  // Never touched.
  {
    name: 'nothing inside comments, even unterminated ones',
    css: '/* a{b:url(x.png)} @import "y.css"; */ a{b:url(kept.png) /* url(z.png) */} /* url(open.png)',
    refs: [['kept.png', 'kept.png', '', 'url']],
  },
  {
    name: 'plain strings, selectors, and at-rule preludes other than @import are not URLs',
    css: `@namespace svg url(http://www.w3.org/2000/svg);@supports (background:url(s.png)){a{b:url(in.png)}}
a[href="url(attr.png)"]{content:"url(str.png)";font-family:"x.woff"}url(top.png){}a{grid-area:"a.png"}`,
    refs: [['in.png', 'in.png', '', 'url']],
  },
  {
    name: '@import inside a block, after a declaration start, or in a style="" value is not an import',
    css: '@media print{@import "in-block.css";}a{b:c @import "mid.css"}',
    refs: [],
  },
  {
    name: '@import in a style attribute is not an import',
    origin: 'style-attribute',
    css: '@import "x.css"; background: url(ok.png)',
    refs: [['ok.png', 'ok.png', '', 'url']],
  },
  {
    name: 'top-level declarations in a stylesheet are not applied, so not reported',
    origin: 'style-element',
    css: 'background: url(stray.png); a{b:url(ok.png)}',
    refs: [['ok.png', 'ok.png', '', 'url']],
  },
  {
    name: 'bad url tokens (space, quote or parenthesis inside) and bad strings (newline) are dropped, like browsers do',
    css: 'a{b:url(a b.png)}b{b:url(a"b.png)}c{b:url(a(b.png)}d{b:url("new\nline.png)}e{b:url(ok.png)}',
    refs: [['ok.png', 'ok.png', '', 'url']],
  },
  {
    name: 'url("…") followed by anything but modifiers is invalid',
    css: 'a{b:url("a.png" "b.png")}b{b:url("c.png" 12px)}c{b:url("ok.png" crossorigin(anonymous))}',
    refs: [['ok.png', 'ok.png', '"', 'url']],
  },
  {
    name: 'the end of the input closes what is open: unterminated url(, url(" and string',
    css: 'a{b:url("open.png',
    refs: [['open.png', 'open.png', '"', 'url']],
  },
  {
    name: 'an unterminated unquoted url( at the end of the input',
    css: 'a{b:url( end.png  ',
    refs: [['end.png', 'end.png', '', 'url']],
  },
  {
    name: 'a lone backslash at the end of an unterminated string is dropped, and not part of the range',
    css: 'a{b:url("x.png\\',
    refs: [['x.png', 'x.png', '"', 'url']],
  },
  {
    name: 'a `}` inside an open url("…") does not end the block: the rest of the sheet is inside the function',
    css: 'a{b:url("x.png" ; } c{d:url(y.png)}',
    refs: [],
  },
  {
    name: 'unbalanced closers are ordinary tokens; later rules still count',
    css: ')) ]] } a{b:url(a.png)) ] } c{d:url(c.png)}',
    refs: [
      ['a.png', 'a.png', '', 'url'],
      ['c.png', 'c.png', '', 'url'],
    ],
  },
]

describe('findCssReferences', () => {
  it.each(FOUND)('$name', ({ css, origin = 'stylesheet', refs }) => {
    const found = findCssReferences(css, { origin })
    expect(brief(css, found)).toEqual(refs)
    for (const ref of found) {
      expect(ref.context).toMatchObject({ type: 'css', origin })
      expect(specDecode(css.slice(ref.start, ref.end), ref.quote !== '')).toBe(ref.url)
    }
  })

  it('reports 1-based lines (LF, CRLF and lone CR each end a line), shifted by offset and firstLine', () => {
    const css = 'a{b:url(one.png)}\nb{b:url(\ntwo.png)}\r\nc{b:url(three.png)}\rd{b:url("four.png")}'
    expect(findCssReferences(css, { origin: 'stylesheet' }).map((r) => [r.url, r.line])).toEqual([
      ['one.png', 1],
      ['two.png', 3],
      ['three.png', 4],
      ['four.png', 5],
    ])
    const shifted = findCssReferences(css, { origin: 'style-element', offset: 1000, firstLine: 40 })
    const plain = findCssReferences(css, { origin: 'style-element' })
    expect(shifted.map((r) => [r.start - 1000, r.end - 1000, r.line - 39])).toEqual(
      plain.map((r) => [r.start, r.end, r.line]),
    )
    expect(shifted.every((r) => r.context.type === 'css' && r.context.origin === 'style-element')).toBe(true)
  })

  it('finds a URL in CSS embedded in a document at the document offsets', () => {
    const doc = '<p>x</p>\n<style>\na{background:url( "a.png" )}\n</style>'
    const start = doc.indexOf('<style>') + '<style>'.length
    const css = doc.slice(start, doc.indexOf('</style>'))
    const [ref] = findCssReferences(css, { origin: 'style-element', offset: start, firstLine: 2 })
    expect(ref && doc.slice(ref.start, ref.end)).toBe('a.png')
    expect(ref?.line).toBe(3)
  })
})

describe('findCssReferences on bad and large input', () => {
  it('reads a huge data: URI, quoted and unquoted, whole', () => {
    const data = `data:image/png;base64,${'QUJD'.repeat(2_000_000)}` // 8 MB
    const css = `a{background:url(${data})}b{background:url("${data}")}c{background:url(after.png)}`
    const refs = findCssReferences(css, { origin: 'stylesheet' })
    expect(refs.map((r) => [r.url.length, r.end - r.start, r.quote])).toEqual([
      [data.length, data.length, ''],
      [data.length, data.length, '"'],
      [9, 9, ''],
    ])
    expect(refs[0]?.url === data && refs[1]?.url === data).toBe(true)
  })

  it('finds every URL of a 10 MB stylesheet in a few seconds', () => {
    const rule = (i: number) =>
      `/* rule ${i} url(no.png) */\n.r${i}{background:url(/img/${i}.png) no-repeat;mask:url("m/${i}.svg");color:red}\n`
    const parts: string[] = []
    let size = 0
    let n = 0
    while (size < 10 * 1024 * 1024) {
      const r = rule(n++)
      parts.push(r)
      size += r.length
    }
    const css = parts.join('')
    const began = performance.now()
    const refs = findCssReferences(css, { origin: 'stylesheet' })
    expect(performance.now() - began).toBeLessThan(5_000)
    expect(refs).toHaveLength(2 * n)
    expect(refs[2 * n - 1]).toMatchObject({ url: `m/${n - 1}.svg`, line: 2 * n })
  })

  it('returns nothing invented from 10 MB of random CSS-ish bytes, and does not throw', () => {
    const alphabet = 'url(a)"\'\\/*{};:@import ,\n'
    let seed = 42
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed
    }
    const chars = new Array<string>(10 * 1024 * 1024)
    for (let i = 0; i < chars.length; i++) chars[i] = alphabet[random() % alphabet.length] as string
    const css = chars.join('')
    const refs = findCssReferences(css, { origin: 'stylesheet' })
    for (const ref of refs) expect(specDecode(css.slice(ref.start, ref.end), ref.quote !== '')).toBe(ref.url)
  })

  it('survives deep nesting, and reads it as browsers do', () => {
    const deep = '(['.repeat(100_000)
    // Inside a declaration, brackets do not hide a url(), and `}` cannot close the rule while
    // they are open; at the top of a sheet, an unclosed bracket makes the rest of the sheet
    // one broken selector, so nothing after it counts.
    const inValue = `a{--x:${deep}url(x.png)}}}{b:url(y.png)}`
    expect(findCssReferences(inValue, { origin: 'stylesheet' }).map((r) => r.url)).toEqual(['x.png', 'y.png'])
    expect(findCssReferences(`${deep}{b:url(y.png)}`, { origin: 'stylesheet' })).toEqual([])
  })
})

describe('rewriteCss', () => {
  const SHEET = `@import url(base.css) screen;
/* url(comment.png) */
.hero{background:#000 url(
  https://www.apple.com/hero.jpg
) center/cover}
.logo{background-image:image-set("logo.png" 1x, 'logo@2x.png' 2x)}
@font-face{src:url("font.woff2") format("woff2")}
.x{cursor:url(a\\ b.cur),auto}`

  it('changes only the URL ranges, escaped for where they stand', () => {
    const replace = (ref: Reference) => `https://gw.test/ipfs/cid?filename=${ref.url}`
    const { css, edits } = rewriteCss(SHEET, replace, { origin: 'stylesheet' })
    const refs = findCssReferences(SHEET, { origin: 'stylesheet' })
    expect(edits.map((e) => [e.start, e.end])).toEqual(refs.map((r) => [r.start, r.end]))
    // The bytes between URLs are the original bytes.
    let at = 0
    let out = 0
    for (const edit of edits) {
      const gap = SHEET.slice(at, edit.start)
      expect(css.slice(out, out + gap.length)).toBe(gap)
      out += gap.length + edit.text.length
      at = edit.end
    }
    expect(css.slice(out)).toBe(SHEET.slice(at))
    expect(css).toContain('url(\n  https://gw.test/ipfs/cid?filename=https://www.apple.com/hero.jpg\n)')
    expect(css).toContain('url(https://gw.test/ipfs/cid?filename=a\\ b.cur)')
    expect(findCssReferences(css, { origin: 'stylesheet' }).map((r) => r.url)).toEqual(
      refs.map((r) => replace(r)),
    )
  })

  it.each([
    ['unquoted', 'a{b:url(x)}', ''],
    ['double-quoted', 'a{b:url("x")}', '"'],
    ['single-quoted', "a{b:url('x')}", "'"],
  ] as const)(
    'escapes a URL with quotes, spaces, parentheses, backslashes and newlines when %s',
    (_, sheet, quote) => {
      const wild = `a "b" 'c' (d) \\e\nf\tg\r\fh\u0001i\u007f`
      const { css } = rewriteCss(sheet, () => wild, { origin: 'stylesheet' })
      const [ref] = findCssReferences(css, { origin: 'stylesheet' })
      expect(ref).toMatchObject({ url: wild, quote })
      expect(Array.from(css).filter((c) => (c.codePointAt(0) ?? 0) < 0x20 || c === '\u007f')).toEqual([])
      expect(css.slice(0, 8)).toBe(sheet.slice(0, 8))
      expect(css.at(-2)).toBe(sheet.at(-2))
    },
  )

  it('is idempotent: a second pass that leaves rewritten URLs alone changes nothing', () => {
    const replace = (ref: Reference) =>
      ref.url.startsWith('https://gw.test/') ? undefined : `https://gw.test/ipfs/${ref.url.length}`
    const once = rewriteCss(SHEET, replace, { origin: 'stylesheet' })
    const twice = rewriteCss(once.css, replace, { origin: 'stylesheet' })
    expect(once.edits.length).toBe(6)
    expect(twice).toEqual({ css: once.css, edits: [] })
  })

  it('leaves a URL alone when replace returns undefined or the same URL (even if spelled with escapes)', () => {
    const sheet = 'a{b:url(a\\2e png)}c{d:url("keep.png")}'
    const { css, edits } = rewriteCss(sheet, (ref) => (ref.url === 'a.png' ? 'a.png' : undefined), {
      origin: 'stylesheet',
    })
    expect(css).toBe(sheet)
    expect(edits).toEqual([])
  })

  it('returns edits in document coordinates when given an offset', () => {
    const doc = '<style>a{b:url(x.png)}</style><p style="background:url(\'y.png\')">'
    const styleStart = 7
    const style = doc.slice(styleStart, doc.indexOf('</style>'))
    const attrStart = doc.indexOf('background')
    const attr = doc.slice(attrStart, doc.indexOf('"', attrStart))
    const a = rewriteCss(style, () => 'X', { origin: 'style-element', offset: styleStart })
    const b = rewriteCss(attr, () => 'Y', { origin: 'style-attribute', offset: attrStart })
    expect(a.css).toBe('a{b:url(X)}')
    expect(b.css).toBe("background:url('Y')")
    expect([...a.edits, ...b.edits].map((e) => doc.slice(e.start, e.end))).toEqual(['x.png', 'y.png'])
  })
})

const SEED = path.resolve(ROOT, '../shared/seed-data/speedtest-site/apple-cdn.html')
const SEED_IPFS = path.resolve(ROOT, '../shared/seed-data/speedtest-site/apple-ipfs.html')
const SEED_CIDS = path.resolve(ROOT, '../shared/seed-data/speedtest-site/out.json')
const seedExists = existsSync(SEED) && existsSync(SEED_IPFS) && existsSync(SEED_CIDS)

/** The bodies of the page's `<style>` elements, with their offset and line in the page. */
function styleBlocks(html: string) {
  const blocks: Array<{ css: string; offset: number; firstLine: number }> = []
  for (const m of html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)) {
    const offset = (m.index ?? 0) + m[0].indexOf('>') + 1
    const firstLine = html.slice(0, offset).split(/\r\n|\r|\n/).length
    blocks.push({ css: m[1] ?? '', offset, firstLine })
  }
  return blocks
}

describe('the seed page (apple-cdn.html)', () => {
  const skipNote = seedExists ? '' : ' (skipped: ../shared/seed-data/speedtest-site is absent)'

  it.skipIf(!seedExists)(
    `finds exactly the 66 https://www.apple.com images and the data: URIs${skipNote}`,
    () => {
      const html = readFileSync(SEED, 'utf8')
      const refs = styleBlocks(html).flatMap((b) =>
        findCssReferences(b.css, { origin: 'style-element', offset: b.offset, firstLine: b.firstLine }),
      )
      const apple = refs.filter((r) => r.url.startsWith('https://www.apple.com/'))
      const data = refs.filter((r) => r.url.startsWith('data:'))
      expect(apple).toHaveLength(66)
      expect(new Set(apple.map((r) => r.url)).size).toBe(9)
      expect(data).toHaveLength(63)
      expect(refs).toHaveLength(66 + 63)
      for (const ref of refs) {
        expect(html.slice(ref.start, ref.end)).toBe(ref.url)
        expect(ref.line).toBe(html.slice(0, ref.start).split('\n').length)
        expect(ref.context).toEqual({ type: 'css', syntax: 'url', origin: 'style-element' })
      }
      // The two values with a newline inside url( ), each used 6 times.
      const newline = apple.filter((r) => /\s/.test(html[r.start - 1] ?? '') || /\s/.test(html[r.end] ?? ''))
      expect(new Set(newline.map((r) => r.url))).toEqual(
        new Set([
          'https://www.apple.com/v/home/h/images/promos/taa-refresh/tile__cauwwcyyn9hy_large.jpg',
          'https://www.apple.com/v/home/h/images/promos/wwdc-2020/tile__cauwwcyyn9hy_large.jpg',
        ]),
      )
      expect(newline).toHaveLength(12)
    },
  )

  it.skipIf(!seedExists)(
    `rewrites the 66 into the hand-made apple-ipfs.html, keeping every other byte${skipNote}`,
    () => {
      const html = readFileSync(SEED, 'utf8')
      const cids = JSON.parse(readFileSync(SEED_CIDS, 'utf8')) as Record<string, string>
      const edits = styleBlocks(html).flatMap(
        (b) =>
          rewriteCss(b.css, (ref) => (cids[ref.url] ? `http://ipfs.io/ipfs/${cids[ref.url]}` : undefined), {
            origin: 'style-element',
            offset: b.offset,
            firstLine: b.firstLine,
          }).edits,
      )
      expect(edits).toHaveLength(66)
      let out = ''
      let at = 0
      for (const e of edits) {
        out += html.slice(at, e.start) + e.text
        at = e.end
      }
      out += html.slice(at)
      // The hand edit also dropped the newline inside those 12 url( ): that is the only difference.
      const handMade = readFileSync(SEED_IPFS, 'utf8')
      expect(out.length - handMade.length).toBe(12)
      expect(out.replace(/url\(\s*(http:\/\/ipfs\.io\/[^\s)]*)\s*\)/g, 'url($1)')).toBe(handMade)
    },
  )
})

const MUTATION_SHEET = `@charset "utf-8";
@import "reset.css";
@import url(theme.css) layer(theme) supports(display: grid) screen and (min-width: 40em);
@namespace svg url(http://www.w3.org/2000/svg);
/* a comment with url(c.png) and "quotes' */
@font-face { font-family: "Brand"; src: local("Brand"), url("/fonts/brand.woff2") format("woff2"), url(/fonts/brand.woff) format('woff') }
:root { --hero: url( 'img/hero.jpg' ) }
.hero { background: #000 url(
  https://www.apple.com/v/home/h/images/hero.jpg
) center / cover no-repeat }
.logo { background-image: image-set("logo.avif" type("image/avif"), 'logo.png' 1x, url(logo@2x.png) 2x) }
.x::after { content: url(icon.svg) " \\201C quoted \\201D"; cursor: url(cur\\ sor.cur) 2 2, auto }
@media (min-resolution: 2dppx) { .hero { background-image: url("img/hero@2x.jpg") } }
@supports (mask: url(m.svg)) { .m { mask: url(m.svg#shape) } }
.esc { background: url("say \\"cheese\\".png"), url(caf\\E9 .png) }`

/** Stylesheets the mutations start from: every syntax above, in a realistic arrangement. */
const FIXTURES: Array<{ css: string; origin: Origin }> = [
  { css: MUTATION_SHEET, origin: 'stylesheet' },
  {
    css: `background: #fff url( "a b.png" ) no-repeat; --icon: url(i\\28 1\\29 .svg); background-image: -webkit-image-set("x.png" 1x, url('x2.png') 2x)`,
    origin: 'style-attribute',
  },
  {
    css: `<!--\n.a{background-image:url(\nhttps://www.apple.com/v/home/a.jpg)}\n.b{background:url(data:image/png;base64,iVBORw0KGgo=)}\n-->`,
    origin: 'style-element',
  },
]

describe('findCssReferences and rewriteCss under random mutation', () => {
  const mutation = fc.oneof(
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.constantFrom(
        '(',
        ')',
        '"',
        "'",
        '/*',
        '*/',
        '\\',
        '\n',
        '\r\n',
        '{',
        '}',
        ';',
        ':',
        ' ',
        '\0',
        'url(',
        '@import ',
        ',',
        'é',
        '😀',
      ),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({
      kind: fc.constant('duplicate' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 40 }),
    }),
  )
  const urlChar = fc.constantFrom(
    ...Array.from('abcXYZ019/:.?#=&%-_ "\'()\\\n\r\f\t\u0001\u007f*,;{}[]@éü日😀'),
  )
  const newUrl = fc.string({ unit: urlChar, minLength: 1, maxLength: 12 })

  it('never throws, reports consistent ranges, and rewriting then re-finding gives the new URLs at the new ranges', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: FIXTURES.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        fc.array(newUrl, { minLength: 1, maxLength: 5 }),
        (which, mutations, urls) => {
          const { origin, css: original } = FIXTURES[which] as (typeof FIXTURES)[number]
          let css = original
          for (const m of mutations) {
            const at = m.at % (css.length + 1)
            if (m.kind === 'insert') css = css.slice(0, at) + m.text + css.slice(at)
            else if (m.kind === 'delete') css = css.slice(0, at) + css.slice(at + m.length)
            else css = css.slice(0, at) + css.slice(at, at + m.length) + css.slice(at)
          }
          const refs = findCssReferences(css, { origin })
          let previousEnd = 0
          for (const ref of refs) {
            expect(ref.start).toBeGreaterThanOrEqual(previousEnd)
            expect(ref.end).toBeGreaterThanOrEqual(ref.start)
            expect(ref.end).toBeLessThanOrEqual(css.length)
            expect(specDecode(css.slice(ref.start, ref.end), ref.quote !== '')).toBe(ref.url)
            expect(ref.line).toBe(css.slice(0, ref.start).split(/\r\n|\r|\n/).length)
            previousEnd = ref.end
          }

          let i = 0
          const wanted: string[] = []
          const { css: rewritten, edits } = rewriteCss(
            css,
            () => {
              const next = urls[i++ % urls.length] as string
              wanted.push(next)
              return next
            },
            { origin },
          )
          const again = findCssReferences(rewritten, { origin })
          expect(again.map((r) => r.url)).toEqual(wanted)
          let shift = 0
          let e = 0
          for (const [k, ref] of refs.entries()) {
            const edit = edits[e]
            const moved = again[k] as Reference
            expect(moved.start).toBe(ref.start + shift)
            if (edit && edit.start === ref.start) {
              shift += edit.text.length - (edit.end - edit.start)
              e++
            }
            expect(moved.end).toBe(ref.end + shift)
            expect(moved.quote).toBe(ref.quote)
            expect(moved.context).toEqual(ref.context)
          }
          // Outside the edits, every character is the original one.
          let at = 0
          let out = 0
          for (const edit of edits) {
            expect(rewritten.slice(out, out + edit.start - at)).toBe(css.slice(at, edit.start))
            out += edit.start - at + edit.text.length
            at = edit.end
          }
          expect(rewritten.slice(out)).toBe(css.slice(at))
        },
      ),
      // FC_RUNS=100000 for a longer search; the default keeps this file well under 20 s.
      { numRuns: Number(process.env.FC_RUNS ?? 3000) },
    )
  })
})
