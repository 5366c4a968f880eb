/**
 * Property test of the document rewrite: thousands of random mutations of the fixture pages
 * (malformed markup, stray `<`, broken attributes, unbalanced CSS), each rewritten with every
 * site path published. The output must differ from the input only by URL replacements at
 * reference ranges and by the insertions the fallback needs, and a second pass must change
 * nothing.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyEdits } from '../../src/rewrite/apply-edits.js'
import { findHtmlReferences } from '../../src/rewrite/html-references.js'
import { parseIpfsLink } from '../../src/rewrite/ipfs-link.js'
import type { PublishedAsset, RewriteContext } from '../../src/rewrite/plan-reference.js'
import { rewriteHtml } from '../../src/rewrite/rewrite-html.js'
import { ROOT } from '../helpers/fs.js'

const PAGES = [
  ...['index.html', 'blog/2020/first post.html', '404.html'].map((p) => path.join(ROOT, 'fixtures/site', p)),
  ...readdirSync(path.join(ROOT, 'fixtures/rewrite'))
    .filter((f) => f.endsWith('.html'))
    .map((f) => path.join(ROOT, 'fixtures/rewrite', f)),
].map((f) => readFileSync(f, 'utf8'))

/** Every site path is published, with one CID. */
class EverySite extends Map<string, PublishedAsset> {
  override has(): boolean {
    return true
  }
  override get(): PublishedAsset {
    return {
      cid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
      integrity: `sha256-${'A'.repeat(43)}=`,
    }
  }
}
const context: RewriteContext = {
  documentPath: 'blog/page.html',
  origins: ['https://www.example.com'],
  assets: new EverySite(),
  link: { format: 'path', gateway: 'https://gateway.example.com' },
}
const runtimeScript = () => '../p2pcdn-fallback.js'

const SNIPPETS = [
  '<',
  '>',
  '"',
  "'",
  '=',
  '<img src=',
  ' srcset="a.png 1x, b.png 2x"',
  'url(',
  ')',
  '/*',
  '<style>',
  '</style>',
  '<!--',
  '&amp;',
  '<svg>',
  '<template>',
  ' style="background:url(c.png)"',
  '<script src=app.js>',
  '</script>',
]
const mutation = fc.oneof(
  fc.record({ at: fc.nat(), text: fc.constantFrom(...SNIPPETS), cut: fc.constant(0) }),
  fc.record({ at: fc.nat(), text: fc.constant(''), cut: fc.integer({ min: 1, max: 40 }) }),
)

const INSERTION =
  /^(?: data-p2pcdn-[\w-]+="[^"]*"| integrity="sha256-[^"]+"| crossorigin="anonymous"|<script src="[^"]*p2pcdn-fallback\.js"><\/script>)$/

describe('rewriteHtml: property', () => {
  it('only replaces reference URLs and inserts fallback attributes; a second pass changes nothing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PAGES),
        fc.array(mutation, { minLength: 1, maxLength: 10 }),
        (page, mutations) => {
          let html = page
          for (const m of mutations) {
            const at = m.at % (html.length + 1)
            html = html.slice(0, at) + m.text + html.slice(at + m.cut)
          }
          const result = rewriteHtml(html, context, { runtimeScript })
          expect(applyEdits(html, result.edits)).toBe(result.html)
          const ranges = new Set(findHtmlReferences(html).references.map((r) => `${r.start}:${r.end}`))
          for (const edit of result.edits) {
            if (edit.start === edit.end) {
              expect(edit.text).toMatch(INSERTION)
            } else {
              expect(ranges.has(`${edit.start}:${edit.end}`)).toBe(true)
              expect(parseIpfsLink(edit.text.replace(/&amp;/g, '&'))).toBeDefined()
            }
          }
          expect(rewriteHtml(result.html, context, { runtimeScript }).html).toBe(result.html)
        },
      ),
      { numRuns: Number(process.env.REWRITE_PROPERTY_RUNS ?? 1000) },
    )
  })
})
