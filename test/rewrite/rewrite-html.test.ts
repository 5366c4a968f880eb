import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { findHtmlReferences } from '../../src/rewrite/html-references.js'
import { parseIpfsLink } from '../../src/rewrite/ipfs-link.js'
import type { PublishedAsset, RewriteContext } from '../../src/rewrite/plan-reference.js'
import { rewriteHtml } from '../../src/rewrite/rewrite-html.js'
import { rewriteStylesheet, stylesheetImports } from '../../src/rewrite/rewrite-stylesheet.js'
import { ROOT } from '../helpers/fs.js'

const GATEWAY = 'https://gateway.example.com'
const CID_A = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const CID_B = 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH'
const SRI = `sha256-${'A'.repeat(43)}=`

function context(
  documentPath: string,
  assets: Record<string, string>,
  origins: string[] = [],
): RewriteContext {
  const map = new Map<string, PublishedAsset>(
    Object.entries(assets).map(([p, cid]) => [p, { cid, integrity: SRI }]),
  )
  return { documentPath, origins, assets: map, link: { format: 'path', gateway: GATEWAY } }
}

describe('rewriteHtml', () => {
  it.each([
    {
      name: 'img src, with its origin value kept for the fallback',
      html: '<img src="img/a.png" alt="">',
      out: `<img src="${GATEWAY}/ipfs/${CID_A}?filename=a.png" alt="" data-p2pcdn-src="img/a.png">`,
    },
    {
      name: 'srcset: every candidate, and the whole value kept once',
      html: "<img srcset='img/a.png 1x, img/b.png 2x'>",
      out: `<img srcset='${GATEWAY}/ipfs/${CID_A}?filename=a.png 1x, ${GATEWAY}/ipfs/${CID_B}?filename=b.png 2x' data-p2pcdn-srcset="img/a.png 1x, img/b.png 2x">`,
    },
    {
      name: 'query and fragment carried over, & escaped in the attribute',
      html: '<svg><image href="img/a.png?v=2#icon"/></svg>',
      out: `<svg><image href="${GATEWAY}/ipfs/${CID_A}?filename=a.png&amp;v=2#icon" data-p2pcdn-href="img/a.png?v=2#icon"/></svg>`,
    },
    {
      name: 'SVG <use> and <track> stay on the origin (browsers block them cross-origin)',
      html: '<svg><use href="img/a.png#icon"/></svg><video src="img/b.png"><track src="img/a.png"></video>',
      out: `<svg><use href="img/a.png#icon"/></svg><video src="${GATEWAY}/ipfs/${CID_B}?filename=b.png" data-p2pcdn-src="img/b.png"><track src="img/a.png"></video>`,
    },
    {
      name: 'a style attribute: only the URL changes',
      html: '<div style="background: url( img/a.png ) no-repeat">x</div>',
      out: `<div style="background: url( ${GATEWAY}/ipfs/${CID_A}?filename=a.png ) no-repeat">x</div>`,
    },
    {
      name: 'a script gets integrity and crossorigin',
      html: '<script src="app.js" defer></script>',
      out: `<script src="${GATEWAY}/ipfs/${CID_B}?filename=app.js" defer integrity="${SRI}" crossorigin="anonymous" data-p2pcdn-src="app.js"></script>`,
    },
    {
      name: 'external, data: and fragment-only references stay',
      html: '<img src="https://elsewhere.example.org/a.png"><img src="data:image/png;base64,AAAA"><use href="#x"/>',
      out: '<img src="https://elsewhere.example.org/a.png"><img src="data:image/png;base64,AAAA"><use href="#x"/>',
    },
    {
      name: 'comments, script bodies and title text are never touched',
      html: '<title>img/a.png</title><!-- <img src="img/a.png"> --><script>const s = "<img src=img/a.png>"</script>',
      out: '<title>img/a.png</title><!-- <img src="img/a.png"> --><script>const s = "<img src=img/a.png>"</script>',
    },
  ])('$name', ({ html, out }) => {
    const ctx = context('index.html', { 'img/a.png': CID_A, 'img/b.png': CID_B, 'app.js': CID_B })
    const first = rewriteHtml(html, ctx)
    expect(first.html).toBe(out)
    expect(first.warnings).toEqual([])
    // Idempotent: the output published again stays as it is.
    expect(rewriteHtml(first.html, ctx).html).toBe(first.html)
  })

  it('leaves scripts and stylesheets on the origin without SRI, and on a mismatching integrity', () => {
    const ctx = context('index.html', { 'app.js': CID_B, 'site.css': CID_A })
    const html = '<link rel="stylesheet" href="site.css"><script src="app.js"></script>'
    expect(rewriteHtml(html, ctx, { subresourceIntegrity: false }).html).toBe(html)
    const pinned = '<script src="app.js" integrity="sha256-other"></script>'
    const result = rewriteHtml(pinned, ctx)
    expect(result.html).toBe(pinned)
    expect(result.warnings[0]).toMatchObject({ code: 'W_INTEGRITY_MISMATCH', path: 'index.html', line: 1 })
  })

  it('warns about a missing file with the page and line, and leaves the reference', () => {
    const result = rewriteHtml('<p>\n\n<img src="img/missing.png">', context('blog/post.html', {}))
    expect(result.html).toBe('<p>\n\n<img src="img/missing.png">')
    expect(result.warnings).toEqual([
      expect.objectContaining({ code: 'W_ASSET_MISSING', path: 'blog/post.html', line: 3 }),
    ])
    expect(result.warnings[0]?.message).toContain('blog/img/missing.png')
  })

  it('resolves through <base href> and absolute URLs on the site origins', () => {
    const ctx = context('blog/post.html', { 'img/a.png': CID_A }, ['https://www.example.com'])
    const html = '<base href="/img/"><img src="a.png"><img src="https://www.example.com/img/a.png">'
    const result = rewriteHtml(html, ctx)
    expect(result.rewritten.map((r) => r.path)).toEqual(['img/a.png', 'img/a.png'])
  })
})

describe('rewriteStylesheet', () => {
  it('rewrites url(), image-set() and @import, reports imports, and is idempotent', () => {
    const css =
      '@import "b.css";\n.a { background: image-set("../img/a.png" 1x); }\n.b { mask: url(../img/missing.svg) }'
    const ctx = context('css/a.css', { 'css/b.css': CID_B, 'img/a.png': CID_A })
    const result = rewriteStylesheet(css, ctx)
    expect(stylesheetImports(css, ctx)).toEqual(['css/b.css'])
    expect(result.css).toBe(
      `@import "${GATEWAY}/ipfs/${CID_B}?filename=b.css";\n.a { background: image-set("${GATEWAY}/ipfs/${CID_A}?filename=a.png" 1x); }\n.b { mask: url(../img/missing.svg) }`,
    )
    expect(result.warnings).toEqual([
      expect.objectContaining({ code: 'W_ASSET_MISSING', path: 'css/a.css', line: 3 }),
    ])
    expect(rewriteStylesheet(result.css, ctx).css).toBe(result.css)
  })
})

// The paper's Apple homepage snapshot and the authors' hand rewrite of it.
const SEED = path.resolve(ROOT, '../shared/seed-data/speedtest-site')
const seedExists = existsSync(path.join(SEED, 'apple-cdn.html'))
const skipNote = seedExists ? '' : ' (skipped: ../shared/seed-data/speedtest-site is absent)'

describe('the seed page (apple-cdn.html → apple-ipfs.html)', () => {
  it.skipIf(!seedExists)(
    `rewrites all 66 image URLs, with the authors' CIDs, and nothing else${skipNote}`,
    () => {
      const html = readFileSync(path.join(SEED, 'apple-cdn.html'), 'utf8')
      const byHand = readFileSync(path.join(SEED, 'apple-ipfs.html'), 'utf8')
      const cids = JSON.parse(readFileSync(path.join(SEED, 'out.json'), 'utf8')) as Record<string, string>
      const assets = Object.fromEntries(
        Object.entries(cids).map(([url, cid]) => [new URL(url).pathname.slice(1), cid]),
      )
      const ctx = context('index.html', assets, ['https://www.apple.com'])

      const result = rewriteHtml(html, ctx)
      expect(result.rewritten).toHaveLength(66)
      // The page's og:image names a file the authors did not publish: a warning, and it stays.
      expect(result.warnings).toEqual([expect.objectContaining({ code: 'W_ASSET_MISSING', line: 21 })])
      expect(result.warnings[0]?.message).toContain('open_graph_logo.png')

      // Outside the rewritten URLs every character is the same.
      const before = findHtmlReferences(html).references.filter(
        (r) => r.url.startsWith('https://www.apple.com/') && r.context.type === 'css',
      )
      expect(before).toHaveLength(66)
      let at = 0
      let pos = 0
      for (const [i, ref] of before.entries()) {
        const link = result.rewritten[i]?.url as string
        expect(result.html.slice(pos, pos + (ref.start - at))).toBe(html.slice(at, ref.start))
        pos += ref.start - at
        expect(result.html.slice(pos, pos + link.length)).toBe(link)
        pos += link.length
        at = ref.end
      }
      expect(result.html.slice(pos)).toBe(html.slice(at))

      // The same CIDs, in the same places, as the authors' hand rewrite.
      const handLinks = findHtmlReferences(byHand)
        .references.map((r) => parseIpfsLink(r.url))
        .filter((l) => l !== undefined)
        .map((l) => l.cid)
      expect(result.rewritten.map((r) => parseIpfsLink(r.url)?.cid)).toEqual(handLinks)

      // Published again: nothing changes.
      expect(rewriteHtml(result.html, ctx).html).toBe(result.html)
    },
  )
})
