/**
 * Where the fallback runtime's `<script>` goes in a rewritten page, and its `src`, for every form
 * of `<base>`: the browser resolves a script's URL when the parser reaches it, against the
 * document's URL before the `<base>` element and against the base after it. Each case checks the
 * exact output, that the URL lands on the runtime at the site root as a browser would resolve it,
 * and that a second pass changes nothing.
 */
import { describe, expect, it } from 'vitest'
import { findHtmlReferences } from '../../src/rewrite/html-references.js'
import type { PublishedAsset, RewriteContext } from '../../src/rewrite/plan-reference.js'
import { rewriteHtml } from '../../src/rewrite/rewrite-html.js'
import { runtimeSrc } from '../../src/rewrite/runtime-src.js'

const ORIGIN = 'https://www.example.com'
const PAGE = 'a/b/page.html'
const RUNTIME_URL = `${ORIGIN}/p2pcdn-fallback.js`
/** An image on the origin by absolute URL, so that it is rewritten (and the page gets the runtime) whatever the base. */
const IMG = `<img src="${ORIGIN}/img/x.png">`

const context = (documentPath: string): RewriteContext => ({
  documentPath,
  origins: [ORIGIN],
  assets: new Map<string, PublishedAsset>([
    [
      'img/x.png',
      { cid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku', integrity: 'sha256-x' },
    ],
  ]),
  link: { format: 'path', gateway: 'https://gateway.example.com' },
})

function rewrite(html: string, page = PAGE) {
  return rewriteHtml(html, context(page), {
    runtimeScript: (baseHref) => runtimeSrc(page, baseHref, [ORIGIN]),
  })
}

/** The URL a browser fetches for the runtime's script in `html`, served at `documentUrl`. */
function fetchedRuntimeUrl(html: string, documentUrl: string): string {
  const found = findHtmlReferences(html)
  const script = found.references.find((r) => /p2pcdn-fallback\.js$/.test(r.url))
  if (script === undefined) throw new Error(`no runtime script in ${html}`)
  const base = found.baseHref
  const against =
    base !== undefined && base.end <= script.start ? new URL(base.url, documentUrl) : documentUrl
  return new URL(script.url, against).href
}

const S = (src: string) => `<script src="${src}"></script>`

describe('the fallback runtime script in a page with <base>', () => {
  it.each([
    {
      name: 'no base: first in <head>, relative to the page',
      html: `<!doctype html><html><head><title>t</title></head><body>${IMG}</body></html>`,
      expected: `<head>${S('../../p2pcdn-fallback.js')}<title>`,
    },
    {
      name: 'relative base (../../x/): after the base, relative to it',
      html: `<head><base href="../../x/">${IMG}`,
      expected: `<head><base href="../../x/">${S('../p2pcdn-fallback.js')}<img`,
    },
    {
      name: 'root-relative base elsewhere (/other/deep/)',
      html: `<head><base href="/other/deep/"></head>${IMG}`,
      expected: `<base href="/other/deep/">${S('../../p2pcdn-fallback.js')}</head>`,
    },
    {
      name: 'base at the root (/), as single-page apps write it',
      html: `<head><base href="/"></head>${IMG}`,
      expected: `<base href="/">${S('p2pcdn-fallback.js')}</head>`,
    },
    {
      name: 'base naming a file (/other/page.html): its folder counts',
      html: `<head><base href="/other/page.html"></head>${IMG}`,
      expected: `<base href="/other/page.html">${S('../p2pcdn-fallback.js')}</head>`,
    },
    {
      name: 'absolute base on the site origin',
      html: `<head><base href="${ORIGIN}/blog/"></head>${IMG}`,
      expected: `<base href="${ORIGIN}/blog/">${S('../p2pcdn-fallback.js')}</head>`,
    },
    {
      name: 'protocol-relative base on the site origin',
      html: `<head><base href="//www.example.com/x/y/"></head>${IMG}`,
      expected: `<base href="//www.example.com/x/y/">${S('../../p2pcdn-fallback.js')}</head>`,
    },
    {
      name: 'base on another origin: before the base, relative to the page',
      html: `<head><meta charset="utf-8"><base href="https://cdn.example.net/x/"></head>${IMG}`,
      expected: `<head>${S('../../p2pcdn-fallback.js')}<meta charset="utf-8"><base href="https://cdn.example.net/x/">`,
    },
    {
      name: 'base after other head elements: right after the base, ahead of the rest',
      html: `<!doctype html>\n<html>\n<head>\n  <meta charset="utf-8">\n  <title>x</title>\n  <base href="/blog/">\n  <link rel="icon" href="/img/x.png">\n</head>\n<body>${IMG}</body>\n</html>`,
      expected: `\n  <meta charset="utf-8">\n  <title>x</title>\n  <base href="/blog/">${S('../p2pcdn-fallback.js')}\n  <link rel="icon"`,
    },
    {
      name: 'base with a target only: ignored, first in <head>',
      html: `<head><base target="_blank"></head>${IMG}`,
      expected: `<head>${S('../../p2pcdn-fallback.js')}<base target="_blank">`,
    },
    {
      name: 'target-only base, then one with href: after the one with href',
      html: `<head><base target="_blank"><base href="/x/"></head>${IMG}`,
      expected: `<head><base target="_blank"><base href="/x/">${S('../p2pcdn-fallback.js')}</head>`,
    },
    {
      name: 'two bases with href: after the first (the one browsers use)',
      html: `<head><base href="/x/"><base href="/y/z/"></head>${IMG}`,
      expected: `<base href="/x/">${S('../p2pcdn-fallback.js')}<base href="/y/z/">`,
    },
    {
      name: 'unquoted, self-closing, upper-case base without <head>',
      html: `<!DOCTYPE html><BASE HREF=/x/ />${IMG}`,
      expected: `<BASE HREF=/x/ />${S('../p2pcdn-fallback.js')}<img`,
    },
    {
      name: 'empty href: the document itself',
      html: `<head><base href=""></head>${IMG}`,
      expected: `<base href="">${S('../../p2pcdn-fallback.js')}</head>`,
    },
    {
      name: 'base climbing above the root (clamped by browsers): before the base',
      html: `<head><base href="../../../../x/"></head>${IMG}`,
      expected: `<head>${S('../../p2pcdn-fallback.js')}<base`,
    },
  ])('$name', ({ html, expected }) => {
    const result = rewrite(html)
    expect(result.runtime).toBe(true)
    expect(result.html).toContain(expected)
    expect(result.html.match(/p2pcdn-fallback\.js/g)).toHaveLength(1)
    // What the browser fetches, the page served at its own path.
    expect(fetchedRuntimeUrl(result.html, `${ORIGIN}/${PAGE}`)).toBe(RUNTIME_URL)
    // Byte-faithful: the script is the only thing beside the URL edits of a run without it.
    const without = rewriteHtml(html, context(PAGE)).html
    expect(result.html.replace(/<script src="[^"]*p2pcdn-fallback\.js"><\/script>/, '')).toBe(without)
    // Idempotent.
    expect(rewrite(result.html).html).toBe(result.html)
  })

  it('after a root-relative base, the script is found wherever the page is served (a single-page app)', () => {
    const result = rewrite(`<head><base href="/"></head>${IMG}`, 'index.html')
    for (const url of [`${ORIGIN}/`, `${ORIGIN}/some/deep/route`, `${ORIGIN}/index.html?q=1`])
      expect(fetchedRuntimeUrl(result.html, url), url).toBe(RUNTIME_URL)
  })

  it('fixtures/site\'s blog/2020/first post.html: after <base href="/blog/">, ../p2pcdn-fallback.js', () => {
    const page = 'blog/2020/first post.html'
    const html = `<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <base href="/blog/">\n  <title>First post</title>\n</head>\n<body>${IMG}</body></html>`
    const result = rewrite(html, page)
    expect(result.html).toContain(`<base href="/blog/">${S('../p2pcdn-fallback.js')}\n  <title>`)
    expect(fetchedRuntimeUrl(result.html, `${ORIGIN}/blog/2020/first%20post.html`)).toBe(RUNTIME_URL)
  })

  it('a page already linking the runtime (before its base) gains no second script', () => {
    const html = `<head>${S('../../p2pcdn-fallback.js')}<base href="/x/"></head>${IMG}`
    const result = rewrite(html)
    expect(result.runtime).toBe(true)
    expect(result.html.match(/p2pcdn-fallback\.js/g)).toHaveLength(1)
  })
})

describe('runtimeSrc', () => {
  it.each([
    ['index.html', undefined, 'p2pcdn-fallback.js'],
    ['a/b/page.html', undefined, '../../p2pcdn-fallback.js'],
    ['a/b/page.html', '/other/', '../p2pcdn-fallback.js'],
    ['a/b/page.html', '../../x/', '../p2pcdn-fallback.js'],
    ['a/b/page.html', './', '../../p2pcdn-fallback.js'],
    ['a/b/page.html', '/', 'p2pcdn-fallback.js'],
    ['a/b/page.html', `${ORIGIN}/c/`, '../p2pcdn-fallback.js'],
    ['a/b/page.html', 'https://cdn.example.net/c/', undefined],
    ['a/b/page.html', 'data:text/html,x', undefined],
  ])('%s with base %j → %j', (page, baseHref, expected) => {
    expect(runtimeSrc(page, baseHref, [ORIGIN])).toBe(expected)
  })
})
