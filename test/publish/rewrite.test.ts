import { existsSync, readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import iconv from 'iconv-lite'
import { afterEach, describe, expect, it } from 'vitest'
import { cidOfPath, type Manifest, publish } from '../../src/index.js'
import { findHtmlReferences } from '../../src/rewrite/html-references.js'
import { parseIpfsLink } from '../../src/rewrite/ipfs-link.js'
import { copyTree, FIXTURE_SITE, ROOT, snapshot, tempDirs } from '../helpers/fs.js'

const GATEWAY = 'https://gateway.example.com'
const ORIGIN = 'https://www.example.com'
const OWN = [
  'p2pcdn.car',
  'p2pcdn-manifest.json',
  'p2pcdn-ipns-record',
  'p2pcdn-fallback.js',
  'p2pcdn-fallback.json',
]

const temp = tempDirs()
afterEach(() => temp.cleanup())

async function site(from = FIXTURE_SITE) {
  const base = await temp.make('rewrite')
  const dir = path.join(base, 'site')
  await copyTree(from, dir)
  return { base, dir, out: path.join(base, 'out'), cacheDir: path.join(base, 'cache') }
}

const manifestOf = async (out: string) =>
  JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-manifest.json'), 'utf8')) as Manifest

/** The published site as `ipfs add -r` sees it: the output without publish's own files. */
async function rootOfOutput(out: string): Promise<string> {
  const copy = `${out}-as-site`
  await copyTree(out, copy)
  for (const f of OWN) await fs.rm(path.join(copy, f), { force: true })
  const cid = (await cidOfPath(copy)).toString()
  await fs.rm(copy, { recursive: true })
  return cid
}

describe('publish with a gateway: the rewrite step', () => {
  it('links pages to the CIDs of the files they use, stylesheets first, with the runtime and an origin fallback', async () => {
    const { dir, out, cacheDir } = await site()
    const result = await publish({ dir, out, cacheDir, gateway: GATEWAY, origin: ORIGIN })
    expect(result.rewritten).toBeGreaterThan(10)
    expect(result.warnings).toEqual([])
    const manifest = await manifestOf(out)
    const cidOf = new Map(manifest.assets.map((a) => [a.path, a.cid]))

    // Every IPFS link in the output names the CID the manifest gives the file it replaced.
    const index = await fs.readFile(path.join(out, 'index.html'), 'utf8')
    const links = findHtmlReferences(index).references.flatMap((r) => {
      const link = parseIpfsLink(r.url)
      return link === undefined ? [] : [link.cid]
    })
    expect(links).toContain(cidOf.get('img/hero.png'))
    expect(links).toContain(cidOf.get('img/icon.png'))
    // The page points at the rewritten stylesheet, which points at the rewritten @import.
    expect(links).toContain(cidOf.get('css/site.css'))
    const css = await fs.readFile(path.join(out, 'css/site.css'), 'utf8')
    expect(css).toContain(`${GATEWAY}/ipfs/${cidOf.get('css/fonts.css')}?filename=fonts.css`)
    expect((await cidOfPath(path.join(out, 'css/site.css'))).toString()).toBe(cidOf.get('css/site.css'))

    // Changed files keep the CID of the input file; unchanged ones have none.
    const siteCss = manifest.assets.find((a) => a.path === 'css/site.css')
    expect(siteCss?.originalCid).toBe((await cidOfPath(path.join(dir, 'css/site.css'))).toString())
    expect(manifest.assets.find((a) => a.path === 'img/hero.png')?.originalCid).toBeUndefined()

    // Scripts and stylesheets carry SRI; every rewritten attribute keeps its origin value.
    expect(index).toMatch(
      /<link rel="stylesheet" href="https:\/\/gateway\.example\.com\/ipfs\/[^"]+" integrity="sha256-[^"]+" crossorigin="anonymous" data-p2pcdn-href="css\/site.css">/,
    )
    expect(index).toContain('data-p2pcdn-srcset="img/hero.png 1x, img/hero@2x.png 2x"')
    // The runtime is linked relative to each page (through <base href> where there is one), and shipped.
    expect(index).toContain('<head><script src="p2pcdn-fallback.js"></script>')
    const post = await fs.readFile(path.join(out, 'blog/2020/first post.html'), 'utf8')
    expect(post).toContain('<base href="/blog/"><script src="../p2pcdn-fallback.js"></script>')
    expect(existsSync(path.join(out, 'p2pcdn-fallback.js'))).toBe(true)
    const data = JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-fallback.json'), 'utf8'))
    expect(data.timeout).toBe(3000)
    expect(data.assets[cidOf.get('img/hero.png') as string]).toBe('img/hero.png')
    expect(data.assets[cidOf.get('fonts/widget.woff2') as string]).toBe('fonts/widget.woff2')

    // The root is the published folder as `ipfs add -r` sees it.
    expect(result.root).toBe(await rootOfOutput(out))
    expect(result.csp).toContain(GATEWAY)
  })

  it('is idempotent: publishing the output again changes nothing, manifest included', async () => {
    const { base, dir, out, cacheDir } = await site()
    // Without IPNS records: the copy is another output folder, so another site with its own key.
    const first = await publish({ dir, out, cacheDir, gateway: GATEWAY, origin: ORIGIN, ipns: false })
    const again = path.join(base, 'again')
    await copyTree(out, again)
    const second = await publish({
      dir: again,
      inPlace: true,
      cacheDir,
      gateway: GATEWAY,
      origin: ORIGIN,
      ipns: false,
    })
    expect(second.rewritten).toBe(0)
    expect(second.root).toBe(first.root)
    expect(await snapshot(again)).toEqual(await snapshot(out))
  })

  it('without SRI leaves scripts and stylesheets on the origin; --no-rewrite leaves everything', async () => {
    const { dir, out, cacheDir } = await site()
    await publish({ dir, out, cacheDir, gateway: GATEWAY, subresourceIntegrity: false })
    const index = await fs.readFile(path.join(out, 'index.html'), 'utf8')
    expect(index).toContain('<link rel="stylesheet" href="css/site.css">')
    const plain = await publish({ dir, out, cacheDir, gateway: GATEWAY, rewrite: false })
    expect(plain.rewritten).toBe(0)
    expect(plain.links).toBeUndefined()
    expect(await fs.readFile(path.join(out, 'index.html'))).toEqual(
      await fs.readFile(path.join(dir, 'index.html')),
    )
    expect(existsSync(path.join(out, 'p2pcdn-fallback.js'))).toBe(false)
  })

  it('honours the charset: windows-1252 and a UTF-8 BOM keep their bytes; undecodable pages are left with a warning', async () => {
    const { dir, out, cacheDir } = await site()
    const latin =
      '<!doctype html><html><head><meta charset="windows-1252"><title>Caf\u00e9</title></head><body><p>\u00e9t\u00e9 \u20ac</p><img src="img/icon.png"></body></html>'
    await fs.writeFile(path.join(dir, 'latin.html'), iconv.encode(latin, 'windows-1252'))
    await fs.writeFile(
      path.join(dir, 'bom.html'),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<p>\u00e9</p><img src="img/icon.png">')]),
    )
    const broken = Buffer.concat([
      Buffer.from('<p>'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('</p><img src="img/icon.png">'),
    ])
    await fs.writeFile(path.join(dir, 'broken.html'), broken)

    const result = await publish({ dir, out, cacheDir, gateway: GATEWAY })
    const latinOut = await fs.readFile(path.join(out, 'latin.html'))
    const decoded = iconv.decode(latinOut, 'windows-1252')
    expect(decoded).toContain(
      `<title>Caf\u00e9</title></head><body><p>\u00e9t\u00e9 \u20ac</p><img src="${GATEWAY}/ipfs/`,
    )
    expect(latinOut.includes(Buffer.from([0xe9]))).toBe(true)
    const bomOut = await fs.readFile(path.join(out, 'bom.html'))
    expect([...bomOut.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(bomOut.toString('utf8')).toContain(`${GATEWAY}/ipfs/`)
    expect(await fs.readFile(path.join(out, 'broken.html'))).toEqual(broken)
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'W_CHARSET', path: 'broken.html' })])
  })

  it('does not hang on an @import cycle, and says so', async () => {
    const { dir, out, cacheDir } = await site()
    await fs.writeFile(
      path.join(dir, 'css/a.css'),
      '@import "b.css";\n.a { background: url(../img/icon.png) }\n',
    )
    await fs.writeFile(
      path.join(dir, 'css/b.css'),
      '@import "a.css";\n.b { background: url(../img/hero.png) }\n',
    )
    const result = await publish({ dir, out, cacheDir, gateway: GATEWAY })
    expect(result.warnings.map((w) => w.code)).toEqual(['W_IMPORT_CYCLE'])
    const a = await fs.readFile(path.join(out, 'css/a.css'), 'utf8')
    const b = await fs.readFile(path.join(out, 'css/b.css'), 'utf8')
    // One import of the cycle stays on the origin; the images are on IPFS in both.
    expect(
      [a, b].filter((css) => css.startsWith('@import "a.css"') || css.startsWith('@import "b.css"')),
    ).toHaveLength(1)
    expect(a).toContain(`${GATEWAY}/ipfs/`)
    expect(b).toContain(`${GATEWAY}/ipfs/`)
  })

  it('warns about a reference to a missing file, naming the page and line', async () => {
    const { dir, out, cacheDir } = await site()
    await fs.writeFile(path.join(dir, 'gone.html'), '<p>\n<img src="img/gone.png">\n')
    const result = await publish({ dir, out, cacheDir, gateway: GATEWAY })
    expect(result.warnings).toEqual([
      expect.objectContaining({ code: 'W_ASSET_MISSING', path: 'gone.html', line: 2 }),
    ])
  })
})

// The paper's Apple homepage snapshot, as a site folder: the page plus files at its images' paths.
const SEED = path.resolve(ROOT, '../shared/seed-data/speedtest-site')
const seedExists = existsSync(path.join(SEED, 'apple-cdn.html'))
const skipNote = seedExists ? '' : ' (skipped: ../shared/seed-data/speedtest-site is absent)'

describe('the seed case', () => {
  it.skipIf(!seedExists)(
    `p2pcdn publish --origin https://www.apple.com rewrites all 66 and changes nothing else${skipNote}`,
    async () => {
      const base = await temp.make('seed')
      const dir = path.join(base, 'apple')
      const html = readFileSync(path.join(SEED, 'apple-cdn.html'), 'utf8')
      const images = Object.keys(
        JSON.parse(readFileSync(path.join(SEED, 'out.json'), 'utf8')) as Record<string, string>,
      )
      await fs.mkdir(dir)
      await fs.writeFile(path.join(dir, 'index.html'), html)
      for (const [i, url] of images.entries()) {
        const file = path.join(dir, new URL(url).pathname)
        await fs.mkdir(path.dirname(file), { recursive: true })
        await fs.writeFile(file, `image ${i}`)
      }
      const out = path.join(base, 'out')
      const result = await publish({
        dir,
        out,
        cacheDir: path.join(base, 'cache'),
        origin: 'https://www.apple.com',
        gateway: GATEWAY,
      })
      expect(result.rewritten).toBe(66)
      expect(result.warnings.map((w) => w.message).join()).toContain('open_graph_logo.png')

      const after = await fs.readFile(path.join(out, 'index.html'), 'utf8')
      // Take the insertions out again (the runtime tag, and the rewritten URLs back to what they were): the page is the original.
      const manifest = await manifestOf(out)
      const pathOf = new Map(manifest.assets.map((a) => [a.cid, a.path]))
      const restored = after
        .replace('<script src="p2pcdn-fallback.js"></script>', '')
        .replace(
          /https:\/\/gateway\.example\.com\/ipfs\/([a-z0-9]+)\?filename=[^\s")']+/g,
          (_, cid: string) => `https://www.apple.com/${pathOf.get(cid)}`,
        )
      expect(restored).toBe(html)
      const data = JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-fallback.json'), 'utf8'))
      expect(Object.keys(data.assets)).toHaveLength(9)
    },
  )
})
