import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, describe, expect, it } from 'vitest'
import { cidOfPath, type Manifest, publish } from '../../src/index.js'
import { catFromBlocks, readCar } from '../helpers/car.js'
import { copyTree, FIXTURE_SITE, leftovers, ROOT, snapshot, tempDirs } from '../helpers/fs.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

/** The fixture copied into a temp folder, with a cache folder beside it. */
async function site() {
  const base = await temp.make('publish')
  const dir = path.join(base, 'site')
  await copyTree(FIXTURE_SITE, dir)
  return { base, dir, out: path.join(base, 'site-p2p'), cacheDir: path.join(base, 'cache') }
}

/** The output as `ipfs add -r` sees the published site: without publish's manifest. */
async function cidOfOutput(out: string, profile: 'unixfs-v1-2025' | 'unixfs-v0-2015' = 'unixfs-v1-2025') {
  const copy = `${out}-as-site`
  await copyTree(out, copy)
  await fs.rm(path.join(copy, 'p2pcdn-manifest.json'))
  await fs.rm(path.join(copy, 'p2pcdn-ipns-record'), { force: true })
  const cid = await cidOfPath(copy, { profile })
  await fs.rm(copy, { recursive: true })
  return cid.toString()
}

const readManifest = async (out: string) =>
  JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-manifest.json'), 'utf8')) as Manifest

describe('publish', () => {
  it('writes a faithful copy, a manifest valid against its schema, and, asked, a CAR of the whole site beside it', async () => {
    const { dir, out, cacheDir } = await site()
    const before = await snapshot(dir)
    const result = await publish({ dir, out, cacheDir, origin: 'https://www.example.com', car: true })

    // The input is untouched; the output is the input plus the manifest and the IPNS record (the CAR
    // is outside the web root).
    expect(await snapshot(dir)).toEqual(before)
    const after = await snapshot(out)
    expect(Object.keys(after).sort()).toEqual(
      [...Object.keys(before), 'p2pcdn-manifest.json', 'p2pcdn-ipns-record'].sort(),
    )
    expect(result.car).toBe(`${out}.car`)
    for (const [p, v] of Object.entries(before)) expect(after[p], p).toBe(v)

    const manifest = await readManifest(out)
    const schema = JSON.parse(
      await fs.readFile(path.join(ROOT, 'schema/p2pcdn-manifest.schema.json'), 'utf8'),
    )
    const validate = new Ajv2020({ allErrors: true }).compile(schema)
    expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true)
    expect(manifest.root).toBe(result.root)
    expect(manifest.origins).toEqual(['https://www.example.com'])

    // Dotfiles are copied but are not assets by default (as `ipfs add -r` skips them).
    const paths = manifest.assets.map((a) => a.path)
    expect(paths).toContain('img/café été.png')
    expect(paths).toContain('blog/2020/first post.html')
    expect(paths).toContain('empty.txt')
    expect(paths.some((p) => p.startsWith('.well-known'))).toBe(false)
    expect(paths).toEqual([...paths].sort())
    expect(result.files).toBe(paths.length)

    for (const asset of manifest.assets) {
      const bytes = await fs.readFile(path.join(out, asset.path))
      expect(asset.size).toBe(bytes.length)
      expect(asset.integrity).toBe(`sha256-${createHash('sha256').update(bytes).digest('base64')}`)
      expect(asset.cid).toBe((await cidOfPath(path.join(out, asset.path))).toString())
    }
    expect(manifest.assets.find((a) => a.path === 'index.html')?.contentType).toBe('text/html')
    expect(manifest.assets.find((a) => a.path === 'css/site.css')?.contentType).toBe('text/css')
    expect(manifest.assets.find((a) => a.path === 'img/hero.png')?.contentType).toBe('image/png')

    // The root is what `ipfs add -r` gives for the published folder.
    expect(result.root).toBe(await cidOfOutput(out))

    // The CAR holds every block of the site, each verified, rooted at the site root.
    const car = await readCar(`${out}.car`)
    expect(car.roots.map(String)).toEqual([result.root])
    expect(car.cids[0]?.toString()).toBe(result.root)
    expect(car.cids.length).toBe(result.carBlocks)
    for (const asset of manifest.assets) {
      const fromCar = await catFromBlocks(car.store, `${result.root}/${asset.path}`)
      expect(fromCar.equals(await fs.readFile(path.join(out, asset.path))), asset.path).toBe(true)
    }
    expect(await leftovers(path.dirname(out))).toEqual([])
  })

  it('writes no CAR unless asked, and the CAR where `car` says', async () => {
    const { base, dir, out, cacheDir } = await site()
    const plain = await publish({ dir, out, cacheDir })
    expect(plain.car).toBeUndefined()
    expect(plain.carBytes).toBe(0)
    expect((await fs.readdir(base)).sort()).toEqual(['cache', 'site', 'site-p2p'])
    const named = await publish({ dir, out, cacheDir, car: path.join(base, 'archive', 'site.car') })
    expect(named.car).toBe(path.join(base, 'archive', 'site.car'))
    expect((await fs.stat(named.car as string)).size).toBe(named.carBytes)
    // Inside the output, it is part of the swapped-in folder.
    const inside = await publish({ dir, out, cacheDir, car: path.join(out, 'site.car') })
    expect((await readCar(inside.car as string)).roots.map(String)).toEqual([inside.root])
    await expect(publish({ dir, out, cacheDir, car: path.join(dir, 'site.car') })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringContaining('inside the site folder'),
    })
    expect(await leftovers(base)).toEqual([])
  })

  it('gives the same manifest and CAR bytes for the same input, whatever the cache', async () => {
    const { base, dir, cacheDir } = await site()
    // The same site key for the four outputs (each output folder is otherwise a site of its own).
    const ipnsKey = path.join(base, 'site.key')
    await fs.writeFile(ipnsKey, privateKeyToProtobuf(await generateKeyPair('Ed25519')))
    const at = (name: string) => ({
      out: path.join(base, name),
      car: path.join(base, `${name}.car`),
      ipnsKey,
    })
    const a = await publish({ dir, ...at('a'), cacheDir })
    const b = await publish({ dir, ...at('b'), cacheDir: path.join(base, 'other-cache') })
    const c = await publish({ dir, ...at('c'), cacheDir: false })
    // And again from the cache's index, the leaves read back from the output's files.
    await publish({ dir, ...at('d'), cacheDir })
    for (const name of ['p2pcdn-manifest.json', '.car']) {
      const file = (run: string) =>
        name === '.car' ? path.join(base, `${run}.car`) : path.join(base, run, name)
      const bytes = await fs.readFile(file('a'))
      for (const run of ['b', 'c', 'd'])
        expect((await fs.readFile(file(run))).equals(bytes), `${run} ${name}`).toBe(true)
    }
    expect(b.root).toBe(a.root)
    expect(c.root).toBe(a.root)
  })

  it('under unixfs-v0-2015 gives what plain `ipfs add -r` gives', async () => {
    const { dir, out, cacheDir } = await site()
    const result = await publish({ dir, out, cacheDir, profile: 'unixfs-v0-2015', car: true })
    expect(result.root).toMatch(/^Qm/)
    expect(result.root).toBe(await cidOfOutput(out, 'unixfs-v0-2015'))
    const manifest = await readManifest(out)
    expect(manifest.profile).toBe('unixfs-v0-2015')
    const car = await readCar(`${out}.car`)
    expect(car.roots.map(String)).toEqual([result.root])
  })

  it('re-imports nothing when nothing changed, and only the changed file otherwise', async () => {
    const { dir, out, cacheDir } = await site()
    const first = await publish({ dir, out, cacheDir })
    expect(first.imported).toBe(first.files)
    const second = await publish({ dir, out, cacheDir })
    expect(second.imported).toBe(0)
    expect(second.cached).toBe(first.files)
    expect(second.root).toBe(first.root)

    await fs.appendFile(path.join(dir, 'robots.txt'), 'Disallow: /private\n')
    const third = await publish({ dir, out, cacheDir })
    expect(third.imported).toBe(1)
    expect(third.root).not.toBe(first.root)
    expect(third.root).toBe(await cidOfOutput(out))
  })

  it('never trusts the cache blindly: a changed file, a damaged or wrong index is caught', async () => {
    const { dir, out, cacheDir } = await site()
    const car = `${out}.car`
    const first = await publish({ dir, out, cacheDir, car: true })
    const reference = await fs.readFile(car)
    const robots = path.join(dir, 'robots.txt')

    // Same size, mtime put back: the ctime still tells.
    const { mtime } = await fs.stat(robots)
    const original = await fs.readFile(robots)
    const changed = Buffer.from(original)
    changed[0] = (changed[0] as number) ^ 0x01
    await fs.writeFile(robots, changed)
    await fs.utimes(robots, mtime, mtime)
    const second = await publish({ dir, out, cacheDir })
    expect(second.imported).toBe(1)
    expect(second.root).toBe(await cidOfOutput(out))
    expect(second.root).not.toBe(first.root)

    // A file replaced by another one (new inode) of the same size and mtime.
    await fs.writeFile(`${robots}.new`, original)
    await fs.utimes(`${robots}.new`, mtime, mtime)
    await fs.rename(`${robots}.new`, robots)
    const third = await publish({ dir, out, cacheDir, car: true })
    expect(third.imported).toBe(1)
    expect(third.root).toBe(first.root)
    expect((await fs.readFile(car)).equals(reference)).toBe(true)

    // An index damaged on disk is dropped whole.
    const [index] = await fs.readdir(path.join(cacheDir, 'index'))
    const indexFile = path.join(cacheDir, 'index', index as string)
    const text = await fs.readFile(indexFile, 'utf8')
    await fs.writeFile(
      indexFile,
      text.replace(/"size":(\d)/, (_, d) => `"size":${(Number(d) + 1) % 10}`),
    )
    const fourth = await publish({ dir, out, cacheDir })
    expect(fourth.imported).toBe(fourth.files)
    expect(fourth.root).toBe(first.root)

    // An index that is whole but wrong (a CID that is not the file's, its checksum made again): the
    // CAR's leaves, read from the files and hashed, catch it, and publish runs again reading every file.
    const body = JSON.parse(await fs.readFile(indexFile, 'utf8'))
    body.entries['robots.txt'].cid = CID.createV1(
      raw.code,
      await sha256.digest(Buffer.from('other bytes')),
    ).toString()
    body.sha256 = createHash('sha256').update(JSON.stringify(body.entries)).digest('hex')
    await fs.writeFile(indexFile, JSON.stringify(body))
    const fifth = await publish({ dir, out, cacheDir, car: true })
    expect(fifth.root).toBe(first.root)
    expect(fifth.imported).toBe(fifth.files)
    expect((await fs.readFile(car)).equals(reference)).toBe(true)
  })

  it('--in-place replaces the input with the P2P variant and is idempotent', async () => {
    const { dir, cacheDir } = await site()
    const before = await snapshot(dir)
    const first = await publish({ dir, inPlace: true, cacheDir })
    expect(first.out).toBe(dir)
    const after = await snapshot(dir)
    for (const [p, v] of Object.entries(before)) expect(after[p], p).toBe(v)
    expect(after['p2pcdn-manifest.json']).toBeDefined()
    const manifest = await fs.readFile(path.join(dir, 'p2pcdn-manifest.json'))

    // Publishing the output again changes nothing but the IPNS record (the same root, renewed with a
    // higher sequence), and reuses the cache.
    const second = await publish({ dir, inPlace: true, cacheDir })
    expect(second.root).toBe(first.root)
    expect(second.imported).toBe(0)
    expect((await fs.readFile(path.join(dir, 'p2pcdn-manifest.json'))).equals(manifest)).toBe(true)
    const { 'p2pcdn-ipns-record': record, ...rest } = await snapshot(dir)
    const { 'p2pcdn-ipns-record': firstRecord, ...firstRest } = after
    expect(rest).toEqual(firstRest)
    expect(record).not.toBe(firstRecord)
    expect(second.ipns?.name).toBe(first.ipns?.name)
    expect(second.ipns?.sequence).toBeGreaterThan(first.ipns?.sequence as bigint)
    expect(await leftovers(path.dirname(dir))).toEqual([])
  })

  it('--dry-run computes the same root and writes nothing', async () => {
    const { base, dir, out, cacheDir } = await site()
    const entries = await fs.readdir(base)
    const dry = await publish({ dir, out, cacheDir: false, dryRun: true })
    expect(await fs.readdir(base)).toEqual(entries)
    expect(dry.out).toBeUndefined()
    expect(dry.car).toBeUndefined()
    const real = await publish({ dir, out, cacheDir })
    expect(dry.root).toBe(real.root)
    expect(dry.assets).toEqual(real.assets)
  })

  it('treats excluded files and dotfiles as plain files: copied, not published', async () => {
    const { dir, out, cacheDir } = await site()
    const result = await publish({ dir, out, cacheDir, exclude: ['**/*.txt'], dotfiles: true })
    const paths = result.assets.map((a) => a.path)
    expect(paths).not.toContain('robots.txt')
    expect(paths).not.toContain('.well-known/security.txt')
    expect(await fs.readFile(path.join(out, 'robots.txt'), 'utf8')).toContain('User-agent')

    const withDotfiles = await publish({
      dir,
      out,
      cacheDir,
      dotfiles: true,
      include: ['.well-known/**', '*.html'],
    })
    expect(withDotfiles.assets.map((a) => a.path)).toEqual([
      '.well-known/security.txt',
      '404.html',
      'index.html',
    ])
    // The root covers exactly the assets: here, as `ipfs add -r --hidden` of a folder holding only them.
    const only = path.join(path.dirname(out), 'only')
    await fs.mkdir(path.join(only, '.well-known'), { recursive: true })
    for (const p of ['.well-known/security.txt', '404.html', 'index.html'])
      await fs.copyFile(path.join(dir, p), path.join(only, p))
    expect(withDotfiles.root).toBe((await cidOfPath(only, { hidden: true })).toString())
  })

  it('keeps an earlier output exactly as it was when a run fails', async () => {
    const { dir, out, cacheDir } = await site()
    await publish({ dir, out, cacheDir })
    const earlier = await snapshot(out)
    await fs.symlink('/etc/hostname', path.join(dir, 'outside.txt'))
    await expect(publish({ dir, out, cacheDir })).rejects.toMatchObject({ code: 'ERR_SYMLINK_OUTSIDE_ROOT' })
    expect(await snapshot(out)).toEqual(earlier)
    expect(await leftovers(path.dirname(out))).toEqual([])
  })

  it('stops on an aborted signal, leaving the earlier output and no temporary folder', async () => {
    const { dir, out, cacheDir } = await site()
    await publish({ dir, out, cacheDir })
    const earlier = await snapshot(out)
    await fs.writeFile(path.join(dir, 'new.txt'), 'new')
    const controller = new AbortController()
    const run = publish({
      dir,
      out,
      cacheDir,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'p2pcdn:import:file') controller.abort()
      },
    })
    await expect(run).rejects.toMatchObject({ code: 'ERR_ABORTED' })
    expect(await snapshot(out)).toEqual(earlier)
    expect(await leftovers(path.dirname(out))).toEqual([])
  })
})

describe('the cache index', () => {
  it('forgets files that left the site', async () => {
    const base = await temp.make('index')
    const dir = path.join(base, 'site')
    await copyTree(FIXTURE_SITE, dir)
    const cacheDir = path.join(base, 'cache')
    await publish({ dir, out: path.join(base, 'out'), cacheDir })
    await fs.rm(path.join(dir, 'robots.txt'))
    await publish({ dir, out: path.join(base, 'out'), cacheDir })
    const [indexFile] = await fs.readdir(path.join(cacheDir, 'index'))
    const index = JSON.parse(await fs.readFile(path.join(cacheDir, 'index', indexFile as string), 'utf8'))
    expect(Object.keys(index.entries)).not.toContain('robots.txt')
    expect(Object.keys(index.entries)).toContain('index.html')
    // Put back unchanged, it is imported again (its entry was dropped), with the same CID as before.
    await fs.writeFile(path.join(dir, 'robots.txt'), 'User-agent: *\nAllow: /\n')
    const again = await publish({ dir, out: path.join(base, 'out'), cacheDir })
    expect(again.imported).toBe(1)
  })
})
