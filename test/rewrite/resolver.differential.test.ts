/**
 * The memoised resolver and planner (createResolver, createPlanner) against the
 * plain resolveReference and planReference they stand for, on generated URLs:
 * plain paths (their fast path), and everything around it that must fall
 * through to the URL parser; and the attribute decoder's offset map against
 * the per-unit one it replaced.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createResolver } from '../../src/rewrite/create-resolver.js'
import { decodeAttributeValue } from '../../src/rewrite/html-decode.js'
import { ipfsLink, parseIpfsLink } from '../../src/rewrite/ipfs-link.js'
import { createPlanner, planReference, type RewriteContext } from '../../src/rewrite/plan-reference.js'
import { resolveReference } from '../../src/rewrite/resolve-reference.js'
import { decodeAttributeValueByUnits } from '../helpers/html-decode-units.js'

const CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const URL_PIECES = [
  'a',
  'img',
  'b.png',
  'c d.png',
  '.',
  '..',
  '/',
  '//',
  '\\',
  '%2e',
  '%2F',
  '?v=2',
  '#top',
  '?',
  '#',
  ' ',
  '\t',
  '\n',
  'x:',
  'data:',
  'DATA:',
  'https://www.example.com/',
  'https://cdn.example.org/',
  'ipfs://',
  `/ipfs/${CID}`,
  '@',
  '+',
  ',',
  '~',
  'é',
  'index.html',
]
const url = fc.array(fc.constantFrom(...URL_PIECES), { maxLength: 8 }).map((pieces) => pieces.join(''))
const documentPath = fc.constantFrom(
  'index.html',
  'blog/post.html',
  'a/b/c.html',
  'my dir/p.html',
  'x/./y.html',
)
const baseHref = fc.option(
  fc.constantFrom('/', 'sub/', '../', 'https://www.example.com/x/', 'https://other.org/'),
  {
    nil: undefined,
  },
)

describe('createResolver and createPlanner', () => {
  it('resolve every URL as resolveReference does', () => {
    fc.assert(
      fc.property(
        documentPath,
        baseHref,
        fc.array(url, { minLength: 1, maxLength: 6 }),
        (doc, base, urls) => {
          const context = {
            documentPath: doc,
            origins: ['https://www.example.com'],
            ...(base ? { baseHref: base } : {}),
          }
          const resolve = createResolver(context)
          // Twice each, so that the memoised answers are checked too.
          for (const u of [...urls, ...urls])
            expect(resolve(u), JSON.stringify(u)).toEqual(resolveReference(u, context))
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('plan every reference as planReference does', () => {
    const assets = new Map(
      ['b.png', 'img/b.png', 'a/b/b.png', 'blog/b.png', 'index.html', 'c d.png'].map((p) => [
        p,
        { cid: CID, integrity: `sha256-${'A'.repeat(43)}=` },
      ]),
    )
    fc.assert(
      fc.property(
        documentPath,
        baseHref,
        fc.array(url, { minLength: 1, maxLength: 6 }),
        (doc, base, urls) => {
          const context: RewriteContext = {
            documentPath: doc,
            origins: ['https://www.example.com'],
            assets,
            link: { format: 'path', gateway: 'https://gateway.example.com' },
          }
          const plan = createPlanner(context, base)
          for (const [i, u] of [...urls, ...urls].entries()) {
            expect(plan({ url: u, line: i }), JSON.stringify(u)).toEqual(
              planReference({ url: u, line: i }, context, base),
            )
          }
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('recognise IPFS links hidden from a plain search for "ipfs"', () => {
    const link = ipfsLink(CID, 'a.png', { format: 'subdomain', gateway: 'https://gw.example.com' })
    expect(parseIpfsLink(link.replace('ipfs', '%69pfs'))?.cid).toBe(CID)
    expect(parseIpfsLink(link.replace('ipfs', 'ip\tfs'))?.cid).toBe(CID)
    expect(parseIpfsLink(link.replace('ipfs', 'ｉｐｆｓ'))?.cid).toBe(CID)
    expect(parseIpfsLink('https://gw.example.com/img/a.png')).toBeUndefined()
  })
})

describe('decodeAttributeValue', () => {
  it('maps every decoded offset back as the per-unit decoder does', () => {
    const pieces = [
      'a',
      '&amp;',
      '&amp',
      '&ampx',
      '&amp=',
      '&#x41;',
      '&#65',
      '&NotEqualTilde;',
      '&lt',
      '\r\n',
      '\r',
      '\0',
      '&',
      ';',
      ' ',
    ]
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (parts) => {
        const raw = parts.join('')
        const ours = decodeAttributeValue(raw)
        const oracle = decodeAttributeValueByUnits(raw)
        expect(ours.value).toBe(oracle.value)
        for (let d = 0; d <= ours.value.length; d++) {
          expect(
            [ours.rawStart(d), ours.rawEnd(d), ours.isBoundary(d)],
            `${JSON.stringify(raw)} at ${d}`,
          ).toEqual([oracle.rawStart(d), oracle.rawEnd(d), oracle.isBoundary(d)])
        }
      }),
      { numRuns: 3000 },
    )
  })
})
