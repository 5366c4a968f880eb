/**
 * `resolveReference`, table-driven: one row per resolution rule, with the expectation written by
 * hand from how a browser resolves the URL (WHATWG URL standard), never from the code's own output.
 */
import { describe, expect, it } from 'vitest'
import {
  matchAsset,
  type ReferenceResolutionContext,
  type ResolvedReference,
  resolveReference,
} from '../../src/rewrite/resolve-reference.js'

const ORIGINS = ['https://www.example.com', 'https://cdn.example.com:8443']
const DOC = 'blog/2020/first post.html'

interface Row {
  name: string
  url: string
  documentPath?: string
  baseHref?: string
  origins?: readonly string[]
  /** `[path, suffix]` for an asset, or the kind of a reference left alone. */
  expected: [path: string, suffix: string] | Exclude<ResolvedReference['kind'], 'asset'>
  /** For references left alone: what the reason must say. */
  reason?: RegExp
}

const rows: Row[] = [
  // Relative forms
  { name: 'a bare relative name', url: 'img.png', expected: ['blog/2020/img.png', ''] },
  { name: './ prefix', url: './img/a.png', expected: ['blog/2020/img/a.png', ''] },
  { name: '../ one level up', url: '../a.png', expected: ['blog/a.png', ''] },
  { name: '../../ up to the root', url: '../../a.png', expected: ['a.png', ''] },
  { name: '.. inside the path', url: 'x/../y/./a.png', expected: ['blog/2020/y/a.png', ''] },
  { name: 'root-relative', url: '/img/a.png', expected: ['img/a.png', ''] },
  { name: 'root-relative with .. that stays inside', url: '/a/../b.png', expected: ['b.png', ''] },
  {
    name: 'a backslash counts as a slash (http URLs)',
    url: '..\\img\\a.png',
    expected: ['blog/img/a.png', ''],
  },
  {
    name: 'a relative ref in a CSS file',
    url: '../fonts/a.woff2',
    documentPath: 'css/site.css',
    expected: ['fonts/a.woff2', ''],
  },
  { name: 'a document at the root', url: 'a.png', documentPath: 'index.html', expected: ['a.png', ''] },

  // Above the site root
  {
    name: '../ above the root',
    url: '../../../a.png',
    expected: 'unresolvable',
    reason: /above the site root/,
  },
  {
    name: '../ above the root from the root',
    url: '../a.png',
    documentPath: 'index.html',
    expected: 'unresolvable',
    reason: /above the site root/,
  },
  {
    name: '.. above the root after going down',
    url: '../x/../../../a.png',
    expected: 'unresolvable',
    reason: /above the site root/,
  },
  { name: 'root-relative /../', url: '/../a.png', expected: 'unresolvable', reason: /above the site root/ },
  {
    name: 'root-relative with .. deeper than it went down',
    url: '/a/../../b.png',
    expected: 'unresolvable',
    reason: /above the site root/,
  },
  {
    name: 'percent-encoded dot segments above the root',
    url: '/%2e%2E/a.png',
    expected: 'unresolvable',
    reason: /above the site root/,
  },
  { name: 'a folder named like the probe marker', url: '../../r/a.png', expected: ['r/a.png', ''] },
  {
    name: 'climbing out, then into a folder named like the marker',
    url: '../../../r/a.png',
    expected: 'unresolvable',
  },

  // Directories
  { name: 'a directory-like path', url: 'gallery/', expected: ['blog/2020/gallery/index.html', ''] },
  { name: './ alone', url: './', expected: ['blog/2020/index.html', ''] },
  { name: 'the root', url: '/', expected: ['index.html', ''] },
  { name: 'an origin without a path', url: 'https://www.example.com', expected: ['index.html', ''] },

  // Query and fragment: kept as written
  { name: 'a query', url: 'a.png?v=2', expected: ['blog/2020/a.png', '?v=2'] },
  { name: 'a fragment', url: 'sprite.svg#icon', expected: ['blog/2020/sprite.svg', '#icon'] },
  {
    name: 'query and fragment, as written',
    url: 'a.png?v=1&x=%20y#frag',
    expected: ['blog/2020/a.png', '?v=1&x=%20y#frag'],
  },
  { name: 'a ? inside the fragment', url: 'a.svg#x?y', expected: ['blog/2020/a.svg', '#x?y'] },
  { name: 'an empty query', url: 'a.png?', expected: ['blog/2020/a.png', '?'] },
  {
    name: 'query on an origin URL',
    url: 'https://www.example.com/a.png?v=3#t',
    expected: ['a.png', '?v=3#t'],
  },
  { name: 'query only: the document itself', url: '?v=2', expected: [DOC, '?v=2'] },

  // Percent-encoding, unicode and awkward names
  { name: 'an encoded space', url: 'my%20photo.png', expected: ['blog/2020/my photo.png', ''] },
  { name: 'a raw space', url: 'my photo.png', expected: ['blog/2020/my photo.png', ''] },
  { name: 'raw unicode', url: '/img/café été.png', expected: ['img/café été.png', ''] },
  {
    name: 'percent-encoded UTF-8',
    url: '/img/caf%C3%A9%20%C3%A9t%C3%A9.png',
    expected: ['img/café été.png', ''],
  },
  { name: 'NFD kept as written', url: '/cafe%CC%81.png', expected: ['cafe\u0301.png', ''] },
  { name: 'a % in a name, encoded', url: '100%25.png', expected: ['blog/2020/100%.png', ''] },
  { name: 'a # in a name, encoded', url: 'a%23b.png', expected: ['blog/2020/a#b.png', ''] },
  { name: 'a ? in a name, encoded', url: 'a%3Fb.png', expected: ['blog/2020/a?b.png', ''] },
  { name: 'a raw # starts the fragment', url: 'a#b.png', expected: ['blog/2020/a', '#b.png'] },
  {
    name: 'a raw % that is no escape',
    url: '100%.png',
    expected: 'unresolvable',
    reason: /percent-encoding/,
  },
  { name: 'an invalid escape', url: '/%zz.png', expected: 'unresolvable', reason: /percent-encoding/ },
  {
    name: 'an escape of invalid UTF-8',
    url: '/%C3%28.png',
    expected: 'unresolvable',
    reason: /percent-encoding/,
  },
  { name: 'an encoded slash', url: '/a%2Fb.png', expected: 'unresolvable', reason: /encodes a "\/"/ },
  {
    name: 'a document whose name holds %, # and ?',
    url: '?x',
    documentPath: 'x/100% #1?.html',
    expected: ['x/100% #1?.html', '?x'],
  },
  {
    name: 'a sibling of such a document',
    url: 'a.png',
    documentPath: 'x/100% #1?.html',
    expected: ['x/a.png', ''],
  },

  // Whitespace, as browsers strip it
  { name: 'surrounding spaces', url: '  img.png  ', expected: ['blog/2020/img.png', ''] },
  {
    name: 'surrounding tabs, newlines, form feed',
    url: '\n\t\fimg.png\r\n',
    expected: ['blog/2020/img.png', ''],
  },
  { name: 'a newline inside', url: 'im\ng.png', expected: ['blog/2020/img.png', ''] },
  { name: 'the empty string', url: '', expected: 'unresolvable', reason: /empty/ },
  { name: 'whitespace only', url: ' \t\n ', expected: 'unresolvable', reason: /empty/ },

  // Fragment-only
  { name: 'a fragment alone', url: '#icon', expected: 'fragment-only' },
  { name: 'a fragment alone, with spaces', url: '  #icon ', expected: 'fragment-only' },
  { name: 'a bare #', url: '#', expected: 'fragment-only' },

  // data:, blob:, javascript:
  { name: 'data:', url: 'data:image/png;base64,iVBORw0KGgo=', expected: 'data' },
  { name: 'DATA: upper case, with spaces', url: '  DATA:image/svg+xml,%3Csvg%3E ', expected: 'data' },
  { name: 'Data: mixed case after a tab', url: '\tDaTa:,x', expected: 'data' },
  { name: 'blob:', url: 'blob:https://www.example.com/0f7c2e1a', expected: 'blob' },
  { name: 'BLOB: upper case', url: ' BLOB:https://www.example.com/0f7c2e1a', expected: 'blob' },
  { name: 'javascript:', url: 'javascript:void(0)', expected: 'javascript' },
  { name: 'JavaScript: mixed case with spaces', url: ' JavaScript:alert(1) ', expected: 'javascript' },
  { name: 'javascript: with a tab inside the scheme', url: 'java\tscript:alert(1)', expected: 'javascript' },

  // Absolute URLs on the site's origins
  { name: 'on the site origin', url: 'https://www.example.com/img/a.png', expected: ['img/a.png', ''] },
  { name: 'http on an https origin', url: 'http://www.example.com/img/a.png', expected: ['img/a.png', ''] },
  {
    name: 'upper-case scheme and host',
    url: 'HTTPS://WWW.EXAMPLE.COM/Img/A.PNG',
    expected: ['Img/A.PNG', ''],
  },
  { name: 'an explicit default port', url: 'https://www.example.com:443/a.png', expected: ['a.png', ''] },
  { name: 'http with its default port', url: 'http://www.example.com:80/a.png', expected: ['a.png', ''] },
  {
    name: 'the CDN origin with its port',
    url: 'https://cdn.example.com:8443/a.png',
    expected: ['a.png', ''],
  },
  { name: 'the CDN host without its port', url: 'https://cdn.example.com/a.png', expected: 'external' },
  { name: 'the site host on another port', url: 'https://www.example.com:8080/a.png', expected: 'external' },
  {
    name: 'http to port 443 is not the default port',
    url: 'http://www.example.com:443/a.png',
    expected: 'external',
  },
  {
    name: 'a sibling subdomain',
    url: 'https://static.example.com/a.png',
    expected: 'external',
    reason: /static\.example\.com/,
  },
  {
    name: 'credentials in the URL',
    url: 'https://user:pw@www.example.com/a.png',
    expected: 'external',
    reason: /credentials/,
  },
  {
    name: 'an origin URL with .. is clamped as the browser does',
    url: 'https://www.example.com/../a.png',
    expected: ['a.png', ''],
  },
  {
    name: 'an origin with a port, both schemes',
    url: 'https://LOCALHOST:8080/a.png',
    origins: ['http://localhost:8080'],
    expected: ['a.png', ''],
  },
  {
    name: 'a port origin, no port given',
    url: 'http://localhost/a.png',
    origins: ['http://localhost:8080'],
    expected: 'external',
  },
  {
    name: 'an internationalised host',
    url: 'https://xn--bcher-kva.example/a.png',
    origins: ['https://bücher.example'],
    expected: ['a.png', ''],
  },
  {
    name: 'no origins: absolute URLs are external',
    url: 'https://www.example.com/a.png',
    origins: [],
    expected: 'external',
  },

  // Protocol-relative
  { name: 'protocol-relative to the site', url: '//www.example.com/a.png', expected: ['a.png', ''] },
  { name: 'protocol-relative, upper-case host', url: '//WWW.Example.COM/a.png?x', expected: ['a.png', '?x'] },
  {
    name: 'protocol-relative to the CDN port',
    url: '//cdn.example.com:8443/f/a.woff2',
    expected: ['f/a.woff2', ''],
  },
  { name: 'protocol-relative with backslashes', url: '\\\\www.example.com\\a.png', expected: ['a.png', ''] },
  { name: 'protocol-relative elsewhere', url: '//fonts.elsewhere.example.org/a.woff2', expected: 'external' },

  // Everything else
  { name: 'another host', url: 'https://elsewhere.example.org/a.png', expected: 'external' },
  { name: 'mailto:', url: 'mailto:someone@example.com', expected: 'external', reason: /mailto:/ },
  {
    name: 'an ipfs:// link',
    url: 'ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
    expected: 'external',
  },
  {
    name: 'the synthetic host itself, literally',
    url: 'https://site.p2pcdn.invalid/a.png',
    expected: 'external',
  },
  {
    name: 'a space in a host',
    url: 'https://exa mple.com/a.png',
    expected: 'unresolvable',
    reason: /parser/,
  },
  { name: 'a broken IPv6 host', url: 'http://[::1/a.png', expected: 'unresolvable' },

  // <base href>
  { name: 'base: root-relative folder', url: 'a.png', baseHref: '/static/', expected: ['static/a.png', ''] },
  {
    name: 'base: relative folder',
    url: 'a.png',
    baseHref: 'assets/',
    expected: ['blog/2020/assets/a.png', ''],
  },
  { name: 'base: ../', url: 'a.png', baseHref: '../', expected: ['blog/a.png', ''] },
  {
    name: 'base: a file, not a folder',
    url: 'a.png',
    baseHref: '/static/page.html',
    expected: ['static/a.png', ''],
  },
  { name: 'base: .. from the base folder', url: '../a.png', baseHref: '/static/', expected: ['a.png', ''] },
  {
    name: 'base: .. above the root from the base',
    url: '../../a.png',
    baseHref: '/static/',
    expected: 'unresolvable',
  },
  {
    name: 'base: root-relative refs ignore its path',
    url: '/a.png',
    baseHref: '/static/',
    expected: ['a.png', ''],
  },
  {
    name: 'base: absolute on the origin',
    url: 'a.png',
    baseHref: 'https://www.example.com/static/',
    expected: ['static/a.png', ''],
  },
  {
    name: 'base: http on an https origin',
    url: 'a.png',
    baseHref: 'http://www.example.com/static/',
    expected: ['static/a.png', ''],
  },
  {
    name: 'base: on the CDN origin',
    url: '../a.png',
    baseHref: 'https://cdn.example.com:8443/s/t/',
    expected: ['s/a.png', ''],
  },
  {
    name: 'base: on an origin, .. above its root',
    url: '../../a.png',
    baseHref: 'https://www.example.com/s/',
    expected: 'unresolvable',
  },
  {
    name: 'base: protocol-relative to the origin',
    url: 'a.png',
    baseHref: '//www.example.com/s/',
    expected: ['s/a.png', ''],
  },
  {
    name: 'base: external makes relative refs external',
    url: 'a.png',
    baseHref: 'https://elsewhere.example.org/s/',
    expected: 'external',
  },
  {
    name: 'base: external, root-relative ref',
    url: '/a.png',
    baseHref: 'https://elsewhere.example.org/s/',
    expected: 'external',
  },
  {
    name: 'base: external, absolute ref on the origin',
    url: 'https://www.example.com/a.png',
    baseHref: 'https://elsewhere.example.org/',
    expected: ['a.png', ''],
  },
  {
    name: 'base: surrounded by whitespace',
    url: 'a.png',
    baseHref: '  /static/\n',
    expected: ['static/a.png', ''],
  },
  { name: 'base: empty is ignored', url: 'a.png', baseHref: '', expected: ['blog/2020/a.png', ''] },
  {
    name: 'base: unparsable is ignored',
    url: 'a.png',
    baseHref: 'https://exa mple.com/',
    expected: ['blog/2020/a.png', ''],
  },
  {
    name: 'base: above the root, then a relative ref',
    url: 'a.png',
    baseHref: '../../../',
    expected: 'unresolvable',
  },
  {
    name: 'base: above the root, root-relative ref',
    url: '/a.png',
    baseHref: '../../../',
    expected: ['a.png', ''],
  },
  { name: 'base: root-relative, above the root', url: 'a.png', baseHref: '/../s/', expected: 'unresolvable' },
  {
    name: 'base: above the root, ref back down',
    url: 's/a.png',
    baseHref: '../../../',
    expected: 'unresolvable',
  },
  {
    name: 'base: with a query and fragment',
    url: 'a.png#x',
    baseHref: '/s/?q#f',
    expected: ['s/a.png', '#x'],
  },
  {
    name: 'base: fragment-only ref stays fragment-only',
    url: '#top',
    baseHref: '/s/',
    expected: 'fragment-only',
  },
  { name: 'base: data: ref unaffected', url: 'data:,x', baseHref: '/s/', expected: 'data' },
]

function context(row: Row): ReferenceResolutionContext {
  return {
    documentPath: row.documentPath ?? DOC,
    origins: row.origins ?? ORIGINS,
    ...(row.baseHref === undefined ? {} : { baseHref: row.baseHref }),
  }
}

describe('resolveReference', () => {
  it.each(rows)('$name: $url', (row) => {
    const resolved = resolveReference(row.url, context(row))
    if (Array.isArray(row.expected)) {
      const [path, suffix] = row.expected
      expect(resolved).toEqual({ kind: 'asset', path, suffix })
    } else {
      expect(resolved.kind).toBe(row.expected)
      if (resolved.kind === 'asset') return
      expect(resolved.reason.length).toBeGreaterThan(0)
      if (row.reason) expect(resolved.reason).toMatch(row.reason)
    }
  })

  it('handles a long run of .. without climbing past the probe root', () => {
    const deep = `${'a/'.repeat(200)}doc.html`
    expect(resolveReference(`${'../'.repeat(200)}x.png`, { documentPath: deep, origins: [] })).toEqual({
      kind: 'asset',
      path: 'x.png',
      suffix: '',
    })
    expect(resolveReference(`${'../'.repeat(201)}x.png`, { documentPath: deep, origins: [] }).kind).toBe(
      'unresolvable',
    )
  })

  it('counts percent-encoded dots when guarding against a climb', () => {
    const deep = `${'a/'.repeat(30)}doc.html`
    expect(resolveReference(`${'%2e%2E/'.repeat(30)}x.png`, { documentPath: deep, origins: [] }).kind).toBe(
      'asset',
    )
    expect(resolveReference(`${'.%2e/'.repeat(31)}x.png`, { documentPath: deep, origins: [] }).kind).toBe(
      'unresolvable',
    )
    expect(
      resolveReference(`${'%2E%2e/'.repeat(31)}x.png`, { documentPath: deep, baseHref: './', origins: [] })
        .kind,
    ).toBe('unresolvable')
  })

  it('returns data: without trouble for a large inline URL', () => {
    const big = `data:text/plain,${'a.'.repeat(5_000_000)}`
    expect(resolveReference(big, { documentPath: DOC, origins: ORIGINS }).kind).toBe('data')
  })
})

describe('matchAsset', () => {
  const nfc = 'img/caf\u00e9.png'
  const nfd = 'img/cafe\u0301.png'
  const asset = (path: string): ResolvedReference => ({ kind: 'asset', path, suffix: '' })

  const cases: {
    name: string
    resolved: ResolvedReference
    files: string[]
    expected: string | undefined
  }[] = [
    { name: 'exact match', resolved: asset('img/a.png'), files: ['img/a.png'], expected: 'img/a.png' },
    { name: 'NFD reference, NFC file', resolved: asset(nfd), files: [nfc], expected: nfc },
    { name: 'NFC reference, NFD file', resolved: asset(nfc), files: [nfd], expected: nfd },
    {
      name: 'both forms present: the exact one wins',
      resolved: asset(nfd),
      files: [nfc, nfd],
      expected: nfd,
    },
    { name: 'missing file', resolved: asset('img/b.png'), files: ['img/a.png'], expected: undefined },
    { name: 'no case folding', resolved: asset('img/A.png'), files: ['img/a.png'], expected: undefined },
    {
      name: 'not an asset',
      resolved: { kind: 'external', reason: 'x' },
      files: ['img/a.png'],
      expected: undefined,
    },
  ]

  it.each(cases)('$name', ({ resolved, files, expected }) => {
    const set = new Set(files)
    expect(matchAsset(resolved, (p) => set.has(p))).toBe(expected)
  })

  it('finds a file named in NFC from a reference written in NFD, end to end', () => {
    const resolved = resolveReference('../../img/cafe%CC%81.png', { documentPath: DOC, origins: [] })
    expect(matchAsset(resolved, (p) => p === nfc)).toBe(nfc)
  })
})
