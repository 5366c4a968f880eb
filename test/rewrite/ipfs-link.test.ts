/**
 * `ipfsLink` and `parseIpfsLink`: the three link forms, table-driven, their round trip, and the
 * CIDv0 → CIDv1 conversion checked against a pair quoted in the subdomain gateway spec.
 */
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha512 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { type IpfsLinkFormat, ipfsLink, parseIpfsLink } from '../../src/rewrite/ipfs-link.js'

const GATEWAY = 'https://gateway.example.com'

// ipfs/specs src/http-gateways/subdomain-gateway.md, "Use in interop with Path Gateway":
// `https://dweb.link/ipfs/QmbWqx…` "returns HTTP 301 redirect to the same CID but in
// case-insensitive base32: Location: https://bafybeigdyrzt5…fbzdi.ipfs.dweb.link/".
const SPEC_V0 = 'QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR'
const SPEC_V1 = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'

// The empty file as `ipfs add` (CIDv0) gives it; see test/import/kubo-golden.test.ts.
const EMPTY_V0 = 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH'
// A raw-leaf CIDv1, as the unixfs-v1-2025 profile writes files (test/import/kubo-golden.test.ts).
const RAW_V1 = 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'

/** A sha2-512 CIDv1: its base32 form is far longer than a 63-character DNS label. */
const LONG_V1 = CID.create(1, raw.code, await sha512.digest(new TextEncoder().encode('p2pcdn'))).toString()

describe('CIDv0 → CIDv1 conversion', () => {
  it('matches the pair quoted in the subdomain gateway spec', () => {
    expect(ipfsLink(SPEC_V0, 'a.png', { format: 'subdomain', gateway: GATEWAY })).toBe(
      `https://${SPEC_V1}.ipfs.gateway.example.com/?filename=a.png`,
    )
    expect(ipfsLink(SPEC_V0, 'a.png', { format: 'native', gateway: GATEWAY })).toBe(
      `ipfs://${SPEC_V1}?filename=a.png`,
    )
  })

  it('keeps the multihash and dag-pb codec (cross-check built with CID.create, and back with toV0)', () => {
    const v0 = CID.parse(EMPTY_V0)
    const expected = CID.create(1, 0x70, v0.multihash).toString()
    const link = ipfsLink(EMPTY_V0, 'empty.txt', { format: 'subdomain', gateway: GATEWAY })
    expect(link).toBe(`https://${expected}.ipfs.gateway.example.com/?filename=empty.txt`)
    expect(CID.parse(expected).toV0().toString()).toBe(EMPTY_V0)
  })
})

interface LinkRow {
  name: string
  cid: string
  filename: string
  format: IpfsLinkFormat
  gateway?: string
  expected: string
}

const linkRows: LinkRow[] = [
  {
    name: 'path, CIDv0 kept',
    cid: SPEC_V0,
    filename: 'a.png',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${SPEC_V0}?filename=a.png`,
  },
  {
    name: 'path, CIDv1',
    cid: RAW_V1,
    filename: 'a.png',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=a.png`,
  },
  {
    name: 'path, trailing slash on the gateway',
    cid: RAW_V1,
    filename: 'a.png',
    format: 'path',
    gateway: `${GATEWAY}/`,
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=a.png`,
  },
  {
    name: 'path, gateway with a port',
    cid: RAW_V1,
    filename: 'a.png',
    format: 'path',
    gateway: 'http://127.0.0.1:8080',
    expected: `http://127.0.0.1:8080/ipfs/${RAW_V1}?filename=a.png`,
  },
  {
    name: 'path, gateway under a path',
    cid: RAW_V1,
    filename: 'a.png',
    format: 'path',
    gateway: 'https://example.com/gw//',
    expected: `https://example.com/gw/ipfs/${RAW_V1}?filename=a.png`,
  },
  {
    name: 'path, upper-case gateway',
    cid: RAW_V1,
    filename: 'a.png',
    format: 'path',
    gateway: 'HTTPS://Gateway.Example.COM',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=a.png`,
  },
  {
    name: 'path, empty name: no filename parameter',
    cid: RAW_V1,
    filename: '',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}`,
  },
  {
    name: 'subdomain, CIDv1',
    cid: RAW_V1,
    filename: 'a.png',
    format: 'subdomain',
    expected: `https://${RAW_V1}.ipfs.gateway.example.com/?filename=a.png`,
  },
  {
    name: 'subdomain, local http gateway with port',
    cid: SPEC_V0,
    filename: 'a.png',
    format: 'subdomain',
    gateway: 'http://localhost:8080',
    expected: `http://${SPEC_V1}.ipfs.localhost:8080/?filename=a.png`,
  },
  {
    name: 'subdomain, gateway path dropped',
    cid: RAW_V1,
    filename: 'a.png',
    format: 'subdomain',
    gateway: 'https://gateway.example.com/gw/',
    expected: `https://${RAW_V1}.ipfs.gateway.example.com/?filename=a.png`,
  },
  {
    name: 'subdomain, CID too long for a label: path form',
    cid: LONG_V1,
    filename: 'a.png',
    format: 'subdomain',
    expected: `${GATEWAY}/ipfs/${LONG_V1}?filename=a.png`,
  },
  {
    name: 'subdomain, IPv4 gateway: path form',
    cid: SPEC_V0,
    filename: 'a.png',
    format: 'subdomain',
    gateway: 'http://127.0.0.1:8080',
    expected: `http://127.0.0.1:8080/ipfs/${SPEC_V0}?filename=a.png`,
  },
  {
    name: 'subdomain, IPv6 gateway: path form',
    cid: RAW_V1,
    filename: 'a.png',
    format: 'subdomain',
    gateway: 'http://[::1]:8080',
    expected: `http://[::1]:8080/ipfs/${RAW_V1}?filename=a.png`,
  },
  {
    name: 'native, CIDv0 upgraded',
    cid: SPEC_V0,
    filename: 'a.png',
    format: 'native',
    expected: `ipfs://${SPEC_V1}?filename=a.png`,
  },
  {
    name: 'native, gateway not needed',
    cid: RAW_V1,
    filename: 'a.png',
    format: 'native',
    gateway: 'not a url',
    expected: `ipfs://${RAW_V1}?filename=a.png`,
  },
  { name: 'native, long CID', cid: LONG_V1, filename: '', format: 'native', expected: `ipfs://${LONG_V1}` },
  // Names: encodeURIComponent, plus ! ' ( ) *
  {
    name: 'a space',
    cid: RAW_V1,
    filename: 'my photo.png',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=my%20photo.png`,
  },
  {
    name: 'quotes and parentheses',
    cid: RAW_V1,
    filename: `it's "a" (1).png`,
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=it%27s%20%22a%22%20%281%29.png`,
  },
  {
    name: '! and *',
    cid: RAW_V1,
    filename: 'a!*.png',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=a%21%2A.png`,
  },
  {
    name: '% # ? & = +',
    cid: RAW_V1,
    filename: '100%#?&=+.png',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=100%25%23%3F%26%3D%2B.png`,
  },
  {
    name: 'unicode (NFC)',
    cid: RAW_V1,
    filename: 'caf\u00e9.png',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=caf%C3%A9.png`,
  },
  {
    name: 'unicode (NFD) kept as is',
    cid: RAW_V1,
    filename: 'cafe\u0301.png',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=cafe%CC%81.png`,
  },
  {
    name: 'backslash, < > and a newline',
    cid: RAW_V1,
    filename: 'a\\<b>\n.png',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=a%5C%3Cb%3E%0A.png`,
  },
  {
    name: 'a lone surrogate becomes U+FFFD',
    cid: RAW_V1,
    filename: 'a\uD800.png',
    format: 'path',
    expected: `${GATEWAY}/ipfs/${RAW_V1}?filename=a%EF%BF%BD.png`,
  },
]

describe('ipfsLink', () => {
  it.each(linkRows)('$name', ({ cid, filename, format, gateway, expected }) => {
    expect(ipfsLink(cid, filename, { format, gateway: gateway ?? GATEWAY })).toBe(expected)
  })

  const awkward = [`it's "a" (1).png`, 'a b\tc\n.png', 'x;y,z{}[]|^`~.css', '\u00e9\u0301 \u{1F600}.woff2']
  it.each(['path', 'subdomain', 'native'] as const)(
    '%s links hold no whitespace, quotes, parentheses, backslashes or angle brackets',
    (format) => {
      for (const name of awkward) {
        const link = ipfsLink(SPEC_V0, name, { format, gateway: GATEWAY })
        expect(link).toMatch(/^[A-Za-z0-9:/.?=%_~-]+$/)
      }
    },
  )

  it.each([
    { name: 'not a CID', cid: 'not-a-cid', gateway: GATEWAY, message: /"not-a-cid" is not a CID/ },
    { name: 'empty CID', cid: '', gateway: GATEWAY, message: /is not a CID/ },
    {
      name: 'gateway without scheme',
      cid: RAW_V1,
      gateway: 'gateway.example.com',
      message: /absolute http\(s\) URL/,
    },
    {
      name: 'gateway with another scheme',
      cid: RAW_V1,
      gateway: 'ftp://gateway.example.com',
      message: /absolute http\(s\) URL/,
    },
    {
      name: 'gateway with a query',
      cid: RAW_V1,
      gateway: `${GATEWAY}/?x=1`,
      message: /without query or fragment/,
    },
  ])('throws for $name', ({ cid, gateway, message }) => {
    expect(() => ipfsLink(cid, 'a.png', { format: 'path', gateway })).toThrow(message)
  })
})

describe('parseIpfsLink', () => {
  const names = [
    'a.png',
    'my photo (1).png',
    `it's "q".png`,
    '100%#?&=+.png',
    'caf\u00e9 \u00e9t\u00e9.png',
    'cafe\u0301.png',
    '',
  ]
  const cids = [SPEC_V0, EMPTY_V0, RAW_V1, LONG_V1]
  const gateways = [
    GATEWAY,
    `${GATEWAY}/`,
    'http://localhost:8080',
    'http://127.0.0.1:8080',
    'https://example.com/gw',
  ]
  const formats = ['path', 'subdomain', 'native'] as const

  it('round-trips every format, gateway, CID and name: same CID, same name', () => {
    let checked = 0
    for (const format of formats)
      for (const gateway of gateways)
        for (const cid of cids)
          for (const filename of names) {
            const link = ipfsLink(cid, filename, { format, gateway })
            const parsed = parseIpfsLink(link)
            expect(parsed, link).toBeDefined()
            expect(sameV1(parsed?.cid, cid), link).toBe(true)
            expect(parsed?.filename, link).toBe(filename === '' ? undefined : filename)
            checked++
          }
    expect(checked).toBe(formats.length * gateways.length * cids.length * names.length)
  })

  interface ParseRow {
    name: string
    url: string
    expected: { cid: string; filename?: string } | undefined
  }
  const parseRows: ParseRow[] = [
    {
      name: 'path form',
      url: `${GATEWAY}/ipfs/${SPEC_V0}?filename=a.png`,
      expected: { cid: SPEC_V0, filename: 'a.png' },
    },
    { name: 'path form without filename', url: `${GATEWAY}/ipfs/${RAW_V1}`, expected: { cid: RAW_V1 } },
    {
      name: 'path form, another gateway and more parameters',
      url: `https://other.example.net/ipfs/${RAW_V1}?download=true&filename=b%20c.png`,
      expected: { cid: RAW_V1, filename: 'b c.png' },
    },
    {
      name: 'subdomain form',
      url: `https://${SPEC_V1}.ipfs.gateway.example.com/?filename=a.png`,
      expected: { cid: SPEC_V1, filename: 'a.png' },
    },
    {
      name: 'subdomain form without the slash',
      url: `https://${SPEC_V1}.ipfs.gateway.example.com?filename=a.png`,
      expected: { cid: SPEC_V1, filename: 'a.png' },
    },
    {
      name: 'native form',
      url: `ipfs://${SPEC_V1}?filename=a.png`,
      expected: { cid: SPEC_V1, filename: 'a.png' },
    },
    { name: 'native form, CIDv0', url: `ipfs://${SPEC_V0}`, expected: { cid: SPEC_V0 } },
    {
      name: 'a fragment is ignored',
      url: `${GATEWAY}/ipfs/${RAW_V1}?filename=a.svg#icon`,
      expected: { cid: RAW_V1, filename: 'a.svg' },
    },
    { name: 'a path inside the CID', url: `${GATEWAY}/ipfs/${SPEC_V1}/img/a.png`, expected: undefined },
    {
      name: 'a path on a subdomain',
      url: `https://${SPEC_V1}.ipfs.gateway.example.com/img/a.png`,
      expected: undefined,
    },
    { name: 'native with a path', url: `ipfs://${SPEC_V1}/img/a.png`, expected: undefined },
    { name: '/ipfs/ with a non-CID', url: `${GATEWAY}/ipfs/not-a-cid`, expected: undefined },
    { name: 'subdomain with a non-CID label', url: 'https://www.ipfs.example.com/', expected: undefined },
    { name: 'an ordinary site URL', url: 'https://www.example.com/img/a.png', expected: undefined },
    { name: 'ipns', url: `${GATEWAY}/ipns/${RAW_V1}`, expected: undefined },
    { name: 'a relative URL', url: `/ipfs/${RAW_V1}`, expected: undefined },
    { name: 'not a URL', url: 'not a url', expected: undefined },
    { name: 'the empty string', url: '', expected: undefined },
  ]

  it.each(parseRows)('$name', ({ url, expected }) => {
    expect(parseIpfsLink(url)).toEqual(expected)
  })
})

/** The subdomain and native forms carry the CIDv1 of a CIDv0. */
function sameV1(a: string | undefined, b: string): boolean {
  return a !== undefined && CID.parse(a).toV1().equals(CID.parse(b).toV1())
}
