import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { decodeHTMLAttribute } from 'entities'
import fc from 'fast-check'
import { type DefaultTreeAdapterTypes, parse } from 'parse5'
import { describe, expect, it } from 'vitest'
import { decodeCssEscapes } from '../../src/rewrite/css-escapes.js'
import { findHtmlReferences, type HtmlReference } from '../../src/rewrite/html-references.js'
import { ROOT } from '../helpers/fs.js'
import { COVERAGE, type Found, NOTHING, SRCSET, SYNTAX } from './html-reference-cases.js'

const APPLE_PAGE = path.resolve(ROOT, '../shared/seed-data/speedtest-site/apple-cdn.html')
const EDGE_CASES = path.join(ROOT, 'fixtures/rewrite/edge-cases.html')
const FIXTURE_PAGES = [
  'fixtures/site/index.html',
  'fixtures/site/404.html',
  'fixtures/site/blog/2020/first post.html',
  'fixtures/rewrite/edge-cases.html',
  'fixtures/rewrite/malformed.html',
].map((page) => readFileSync(path.join(ROOT, page), 'utf8'))

function label(ref: HtmlReference): string {
  const c = ref.context
  if (c.type === 'css') return `css ${c.origin} ${c.syntax}`
  return [c.element, c.attribute, c.descriptor].filter(Boolean).join(' ')
}

/** Each reference as `[label, url]`, or `[label, url, slice]` when the source slice differs from the URL. */
function found(html: string): Found[] {
  return findHtmlReferences(html).references.map((ref) => {
    const slice = html.slice(ref.start, ref.end)
    return slice === ref.url ? [label(ref), ref.url] : [label(ref), ref.url, slice]
  })
}

type Element = DefaultTreeAdapterTypes.Element
type Node = DefaultTreeAdapterTypes.Node

/** Every element with a start tag in source, template contents included. */
function elementsOf(html: string): Element[] {
  const elements: Element[] = []
  const stack: Node[] = [parse(html, { sourceCodeLocationInfo: true })]
  for (let node = stack.pop(); node; node = stack.pop()) {
    if ('tagName' in node && node.sourceCodeLocation?.startTag) elements.push(node)
    if ('content' in node) stack.push(node.content)
    if ('childNodes' in node) stack.push(...node.childNodes)
  }
  return elements
}

/** Inserts ` data-test="1"` at each element's insertAt and checks that the re-parsed tag gained exactly it. */
function checkInsertAt(html: string): number {
  const positions = new Set(
    findHtmlReferences(html).references.flatMap((ref) => (ref.element ? [ref.element.insertAt] : [])),
  )
  const before = elementsOf(html)
  for (const insertAt of positions) {
    const element = before.find((e) => {
      const tag = e.sourceCodeLocation?.startTag
      return tag && tag.startOffset < insertAt && insertAt < tag.endOffset
    })
    expect(element, `an element around insertAt ${insertAt}`).toBeDefined()
    const start = element?.sourceCodeLocation?.startTag?.startOffset
    const edited = `${html.slice(0, insertAt)} data-test="1"${html.slice(insertAt)}`
    const after = elementsOf(edited).find((e) => e.sourceCodeLocation?.startTag?.startOffset === start)
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1)
    expect(after?.attrs.slice().sort(byName)).toEqual(
      [...(element?.attrs ?? []), { name: 'data-test', value: '1' }].sort(byName),
    )
  }
  return positions.size
}

describe('findHtmlReferences: coverage', () => {
  it.each(COVERAGE)('$name', ({ html, found: expected }) => {
    expect(found(html)).toEqual(expected)
  })
})

describe('findHtmlReferences: markup variations', () => {
  it.each(SYNTAX)('$name', ({ html, found: expected }) => {
    expect(found(html)).toEqual(expected)
  })
})

describe('findHtmlReferences: srcset', () => {
  it.each(SRCSET)('$name', ({ srcset, found: expected }) => {
    const html = `<img srcset="${srcset}">`
    const actual = findHtmlReferences(html).references.map((ref) => {
      const descriptor = ref.context.type === 'attribute' ? ref.context.descriptor : undefined
      const slice = html.slice(ref.start, ref.end)
      const row: (string | undefined)[] = [ref.url, descriptor, slice]
      if (slice === ref.url) row.pop()
      if (row.length === 2 && descriptor === undefined) row.pop()
      return row
    })
    expect(actual).toEqual(expected)
  })
})

describe('findHtmlReferences: never in text', () => {
  it.each(NOTHING)('$name', ({ html }) => {
    expect(findHtmlReferences(html).references).toEqual([])
  })
})

describe('findHtmlReferences: positions and element info', () => {
  it('gives line, quote and the start tag with decoded attributes', () => {
    const html = '<p>\n<IMG ALT="a &amp; b"\r\n  data-x SRC=\'x.png\' src=y.png>\r\n<img src=z.png>'
    const [first, second] = findHtmlReferences(html).references
    expect(first).toMatchObject({ url: 'x.png', line: 3, quote: "'" })
    expect(first?.element).toEqual({
      name: 'img',
      attributes: { alt: 'a & b', 'data-x': '', src: 'x.png' },
      insertAt: html.indexOf('src=y.png') + 'src=y.png'.length,
    })
    expect(second).toMatchObject({ url: 'z.png', line: 4, quote: '' })
  })

  it.each([
    ['<img src="a.png">', '<img src="a.png" data-test="1">'],
    ['<img src=a.png>', '<img src=a.png data-test="1">'],
    ['<img src="a.png"/>', '<img src="a.png" data-test="1"/>'],
    ['<img src="a.png" />', '<img src="a.png" data-test="1" />'],
    ['<img src=a.png/>', '<img src=a.png/ data-test="1">'],
    ['<img\n  src="a.png"\n  alt\n/>', '<img\n  src="a.png"\n  alt data-test="1"\n/>'],
    ['<img src="a.png" alt= >', '<img src="a.png" data-test="1" alt= >'],
    ['<img src="a.png"/ >', '<img src="a.png" data-test="1"/ >'],
    ['<link href=a.css rel=stylesheet\t>', '<link href=a.css rel=stylesheet data-test="1"\t>'],
  ])('insertAt in %j', (html, expected) => {
    const [ref] = findHtmlReferences(html).references
    const insertAt = ref?.element?.insertAt ?? -1
    expect(`${html.slice(0, insertAt)} data-test="1"${html.slice(insertAt)}`).toBe(expected)
    expect(checkInsertAt(html)).toBe(1)
  })

  it('insertAt lets an inserted attribute parse, for every element of every table row and fixture', () => {
    let checked = 0
    for (const row of [...COVERAGE, ...SYNTAX]) checked += checkInsertAt(row.html)
    for (const page of FIXTURE_PAGES) checked += checkInsertAt(page)
    expect(checked).toBeGreaterThan(100)
  })

  it('is pure: the same input gives the same result', () => {
    const page = FIXTURE_PAGES[3] ?? ''
    expect(findHtmlReferences(page)).toEqual(findHtmlReferences(page))
  })
})

describe('findHtmlReferences: base and charset', () => {
  it.each([
    ['<base href=" /x/ "><base href="/y/">', { url: '/x/', line: 1, start: 0, end: 19 }],
    ['<base target=_blank><base href="/y/">', { url: '/y/', line: 1, start: 20, end: 37 }],
    [
      '<template><base href="/t/"></template>\n<base href="/b/&amp;">',
      { url: '/b/&', line: 2, start: 39, end: 61 },
    ],
    ['<svg><base href="/svg/"></base></svg>', undefined],
  ])('base in %j', (html, expected) => {
    const base = findHtmlReferences(html).baseHref
    expect(base).toEqual(expected)
    // start…end is the whole start tag: where the fallback runtime's script can follow it.
    if (base !== undefined) expect(html.slice(base.start, base.end)).toMatch(/^<base [^<>]*>$/)
  })

  it.each([
    ['<meta charset=" UTF-8 ">', 'UTF-8'],
    ['<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">', 'windows-1252'],
    ['<meta http-equiv=content-type content="text/html;charset=\'iso-8859-1\'">', 'iso-8859-1'],
    ['<meta http-equiv=content-type content="text/html; charsetx; charset = koi8-r ;">', 'koi8-r'],
    ['<meta http-equiv=refresh content="0; charset=utf-8">', undefined],
    ['<meta name="x"><meta charset="shift_jis"><meta charset="utf-8">', 'shift_jis'],
    ['<template><meta charset="utf-16"></template>', undefined],
  ])('charset in %j', (html, expected) => {
    expect(findHtmlReferences(html).charset).toBe(expected)
  })
})

describe('findHtmlReferences: warnings', () => {
  it('skips an SVG <style> holding character references, with a warning', () => {
    const result = findHtmlReferences('<svg>\n<style>a{fill:url(#a&amp;b)}</style></svg>')
    expect(result.references).toEqual([])
    expect(result.warnings).toMatchObject([{ code: 'W_HTML_STYLE_UNMAPPED', line: 2 }])
  })

  it.each([
    ['<div style="background: url(&quot) no-repeat">', ') no-repeat'],
    ['<div style="background:url(&quotimg.png&quot)">', undefined],
    ['<img srcset="a.png 1x,&lt b.png 2x">', undefined],
    ['<img srcset="a.png 1x,&#44b.png 2x">', 'b.png'],
  ])('leaves a URL right after a reference without ";" as it is, with a warning: %j', (html, left) => {
    // A new URL there could change how the reference reads (`&quot)` is a quote, `&quothttps` is not).
    const result = findHtmlReferences(html)
    if (left !== undefined) {
      expect(result.references.map((ref) => ref.url)).not.toContain(left)
      expect(result.warnings).toMatchObject([{ code: 'W_HTML_REFERENCE_SPLIT', line: 1 }])
      expect(result.warnings[0]?.message).toContain('without its closing ";"')
    }
    for (const ref of result.references) expect(html.slice(0, ref.start)).not.toMatch(/&#?[A-Za-z0-9]*$/)
  })

  it('skips a URL with a CDATA marker inside it, with a warning', () => {
    const result = findHtmlReferences(
      '<svg><style><![CDATA[a{fill:url("#a]]><![CDATA[b")}]]> b{fill:url(#c)}</style></svg>',
    )
    expect(result.references.map((ref) => ref.url)).toEqual(['#c'])
    expect(result.warnings).toMatchObject([{ code: 'W_HTML_STYLE_UNMAPPED', line: 1 }])
  })
})

describe('findHtmlReferences: the edge-case fixture page', () => {
  it('finds every row of the coverage list in fixtures/rewrite/edge-cases.html, and no decoy', () => {
    const html = readFileSync(EDGE_CASES, 'utf8')
    const result = findHtmlReferences(html)
    expect(result.warnings).toEqual([])
    expect(result.baseHref).toEqual({ url: './', line: 19, start: 963, end: 979 })
    expect(html.slice(963, 979)).toBe('<BASE HREF="./">')
    expect(result.charset).toBe('utf-8')
    expect(found(html).map((row) => row.join(' | '))).toEqual(EDGE_CASE_REFERENCES)
    expect(result.references.filter((ref) => ref.url.includes('decoy'))).toEqual([])
    expect(html).toContain('decoy-script-string.png')
  })
})

describe('findHtmlReferences: bad input', () => {
  it('reads malformed markup the way browsers recover from it', () => {
    const html = readFileSync(path.join(ROOT, 'fixtures/rewrite/malformed.html'), 'utf8')
    const result = findHtmlReferences(html)
    expect(result.warnings).toEqual([])
    expect(result.charset).toBe('windows-1252')
    const urls = result.references.map((ref) => ref.url)
    expect(urls).toEqual(
      expect.arrayContaining([
        'img/c.png', // url( cut off by </style>: the end of the CSS closes it
        'css/site.css/', // unquoted value before "/>" keeps the slash
        'img/clone.png', // <b> cloned by the adoption agency: reported once
        'img/foster.png', // foster-parented out of the table
        'img/dup.png',
        'img/eq.png',
        'img/svg.png',
        'img/foreign.png',
        'img/math.png',
      ]),
    )
    expect(urls.filter((url) => url === 'img/clone.png')).toHaveLength(1)
    expect(urls).not.toContain('img/dup-second.png')
    expect(urls).not.toContain('img/after.png') // swallowed by the unclosed quote before it
    expect(urls).toContain('srcset="img/missing-value.png') // `src= srcset=…`: the value is what follows
    expect(urls).not.toContain('img/unterminated.png') // a tag cut off by the end of input is dropped
  })

  it('survives 10,000 levels of nesting', () => {
    const html = `${'<div>'.repeat(10_000)}<img src="deep.png">${'<b style="background:url(b.png)">'.repeat(10_000)}`
    const result = findHtmlReferences(html)
    expect(result.references[0]?.url).toBe('deep.png')
    expect(result.references).toHaveLength(10_001)
  })

  it('reads a 10 MB page', () => {
    const row =
      '<p class="a"><img src="img/a.png" srcset="img/a.png 1x, img/b.png 2x" alt="x"> text &amp; <span style="background:url(c.png)">more</span></p>\n'
    const copies = Math.ceil(10_000_000 / row.length)
    const result = findHtmlReferences(row.repeat(copies))
    expect(result.references).toHaveLength(4 * copies)
    expect(result.references.at(-1)?.line).toBe(copies)
  })

  it('reads huge inline data: URIs in attributes and style', () => {
    const data = `data:image/png;base64,${'A'.repeat(5_000_000)}`
    const withEntities = `data:image/svg+xml,${'%3Cg%3E&amp;'.repeat(200_000)}`
    const html = `<img src="${data}" srcset="${data} 2x"><img src="${withEntities}"><div style="background:url(${data})"></div>`
    const urls = findHtmlReferences(html).references.map((ref) => ref.url)
    expect(urls).toEqual([data, data, withEntities.replaceAll('&amp;', '&'), data])
  })
})

/** Decodes an attribute's raw slice the way the tokenizer reads it (the next character decides `&amp=`). */
function decodeAttributeSlice(html: string, start: number, end: number): string {
  const next = html.charAt(end)
  const extra = /[=A-Za-z0-9]/.test(next) ? next : ''
  const decoded = decodeHTMLAttribute(
    (html.slice(start, end) + extra).replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD'),
  )
  return extra ? decoded.slice(0, -1) : decoded
}

/** Checks the invariants every result must hold; returns the insertAt positions seen. */
function checkInvariants(html: string): number[] {
  const result = findHtmlReferences(html)
  expect(result.warnings.filter((w) => w.code === 'W_HTML_TAG_UNMAPPED')).toEqual([])
  let previousEnd = 0
  for (const ref of result.references) {
    expect(ref.start).toBeGreaterThanOrEqual(previousEnd)
    expect(ref.end).toBeGreaterThanOrEqual(ref.start)
    expect(ref.end).toBeLessThanOrEqual(html.length)
    previousEnd = ref.end
    expect(ref.line).toBe(1 + (html.slice(0, ref.start).match(/\r\n|\r|\n/g)?.length ?? 0))
    const context = ref.context
    const slice = html.slice(ref.start, ref.end)
    if (context.type === 'attribute') {
      expect(decodeAttributeSlice(html, ref.start, ref.end)).toBe(ref.url)
      expect(ref.url.length).toBeGreaterThan(0)
    } else if (context.origin === 'style-attribute') {
      expect(decodeCssEscapes(decodeAttributeSlice(html, ref.start, ref.end))).toBe(ref.url)
    } else {
      expect(decodeCssEscapes(slice)).toBe(ref.url)
    }
    if (ref.element) {
      expect(ref.element.insertAt).toBeGreaterThan(0)
      expect(ref.element.insertAt).toBeLessThan(html.length)
    }
  }
  return [...new Set(result.references.flatMap((ref) => (ref.element ? [ref.element.insertAt] : [])))]
}

const SNIPPETS = [
  '<',
  '>',
  '"',
  "'",
  '=',
  '/',
  '/>',
  '&',
  '&amp;',
  '&#x2c;',
  '&quot;',
  ';',
  ',',
  ' ',
  '\n',
  '\r\n',
  '\r',
  '\t',
  '\0',
  '<!--',
  '-->',
  '<script>',
  '</script>',
  '<style>',
  '</style>',
  '<textarea>',
  '</textarea>',
  '<title>',
  '<svg>',
  '</svg>',
  '<math>',
  '<template>',
  '</template>',
  '<table>',
  '<td>',
  '<b>',
  '</b>',
  '<p>',
  '<noscript>',
  '<select>',
  '<![CDATA[',
  ']]>',
  '<img src=',
  '<img srcset="a.png 1x, b,c.png 2x">',
  ' src="x.png"',
  ' style="background:url(&quot;y.png&quot;)"',
  'url(',
  ')',
  '\\',
  '<base href=z/>',
  '<meta charset=x>',
  '<source srcset=s.png>',
  '<picture>',
  '<video poster=v.png>',
  '<image href=i.png/>',
  '<plaintext>',
]

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...SNIPPETS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('copy' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 80 }),
    to: fc.nat(),
  }),
)

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

function mutate(page: string, mutations: Mutation[]): string {
  let html = page
  for (const m of mutations) {
    const at = html.length === 0 ? 0 : m.at % (html.length + 1)
    if (m.kind === 'insert') html = html.slice(0, at) + m.text + html.slice(at)
    else if (m.kind === 'delete') html = html.slice(0, at) + html.slice(at + m.length)
    else {
      const to = html.length === 0 ? 0 : m.to % (html.length + 1)
      html = html.slice(0, to) + html.slice(at, at + m.length) + html.slice(to)
    }
  }
  return html
}

describe('findHtmlReferences: property', () => {
  it('never throws, and every range is in bounds, ordered, non-overlapping and decodes to its url', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURE_PAGES),
        fc.array(mutation, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        (page, mutations, pick) => {
          const html = mutate(page, mutations)
          const positions = checkInvariants(html)
          // Re-parsing after an insertion is costly: check one element per run.
          if (positions.length > 0) {
            const insertAt = positions[pick % positions.length] ?? 0
            const edited = `${html.slice(0, insertAt)} data-test="1"${html.slice(insertAt)}`
            expect(elementsOf(edited).some((e) => e.attrs.some((a) => a.name === 'data-test'))).toBe(true)
          }
        },
      ),
      { numRuns: Number(process.env.HTML_PROPERTY_RUNS ?? 1500) },
    )
  })
})

describe('findHtmlReferences: the Apple homepage snapshot', () => {
  it.skipIf(!existsSync(APPLE_PAGE))(
    'finds the 66 url()s of its inline <style> blocks (skipped when ../shared/seed-data is absent)',
    () => {
      const html = readFileSync(APPLE_PAGE, 'utf8')
      const result = findHtmlReferences(html)
      expect(result.warnings).toEqual([])
      const apple = result.references.filter(
        (ref) =>
          ref.context.type === 'css' &&
          ref.context.origin === 'style-element' &&
          ref.url.startsWith('https://www.apple.com/'),
      )
      expect(apple).toHaveLength(66)
      expect(new Set(apple.map((ref) => ref.url)).size).toBe(9)
      for (const ref of apple) expect(html.slice(ref.start, ref.end)).toBe(ref.url)
      // Two of the nine are written with a newline inside `url( )`.
      const withNewline = apple.filter((ref) => {
        const around =
          html.slice(html.lastIndexOf('url(', ref.start), ref.start) +
          html.slice(ref.end, html.indexOf(')', ref.end))
        return around.includes('\n')
      })
      expect(new Set(withNewline.map((ref) => ref.url)).size).toBe(2)
    },
  )
})

/** fixtures/rewrite/edge-cases.html, written out by hand: `label | url [| slice]`, in source order. */
const EDGE_CASE_REFERENCES = `
link href | favicon.png
link href | apple-touch-icon.png
link href | apple-touch-icon-precomposed.png
link href | mask-icon.svg
link href | img/hero.png
link imagesrcset 1x | img/hero.png
link imagesrcset 2x | img/hero@2x.png
link href | js/module.js
link href | js/next.js
link href | css/print.css
link href | css/site.css
link href | site.webmanifest
meta content | https://www.example.com/img/og.png
meta content | https://www.example.com/img/og.png?v=url
meta content | https://www.example.com/img/og.png?v=secure
meta content | https://www.example.com/media/clip.mp4
meta content | https://www.example.com/media/sound.mp3
meta content | https://www.example.com/img/og.png?v=twitter
meta content | https://www.example.com/img/og.png?v=twitter-src
css style-element import | css/fonts.css
css style-element url | fonts/widget.woff2
css style-element url | img/bg.png
css style-element image-set | img/hero.png
css style-element url | img/hero@2x.png
script src | js/app.js
img src | img/hero.png
img srcset 1x | img/hero.png
img srcset 2x | img/hero@2x.png
img src | img/icon.png
img src | img/icon.png?unquoted
img src | img/q&a.png | img/q&amp;a.png
img src | img/icon.png?newlines
img src | img/icon.png?self-closing
img srcset 1x | img/a,b.png
img srcset 2x | img/hero@2x.png
img srcset 3x | data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==
img src | img/hero.png?srcset
img srcset 480w | img/hero.png
img srcset 960w | img/hero@2x.png
img src | img/hero.png?w
source srcset 2x | img/hero@2x.png
source srcset | img/hero.png
img src | img/hero.png?picture
video src | media/clip.mp4
video poster | img/poster.jpg
source src | media/clip.webm
source src | media/clip.mp4?source
track src | media/captions.vtt
audio src | media/sound.mp3
source src | media/sound.ogg
input src | img/icon.png?input
embed src | media/movie.swf
object data | media/doc.svg
feimage href | img/filter.png
image href | img/icon.png?svg-href
image xlink:href | img/icon.png?svg-xlink
use href | img/sprite.svg#dot
use xlink:href | img/sprite.svg#ring
css style-attribute url | img/bg.png?style-attribute
css style-attribute url | img/tile.png
img src | img/template.png
css style-attribute url | img/template-bg.png
`
  .trim()
  .split('\n')
