/**
 * Symbolic links in the site. A loop or a link out of the site folder is an input error (exit 3,
 * message naming the link, nothing written); excluding the link as the message suggests lets the
 * publish through. Links to a file or a folder inside the site are followed: the output holds
 * the target's bytes under the link's name, and the root CID is what `ipfs add -r` gives for it.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PROFILES } from '../../src/constants.js'
import { publish } from '../../src/publish.js'
import { runCli } from '../helpers/cli.js'
import { snapshot, tempDirs } from '../helpers/fs.js'
import {
  cidOfOutputCopy,
  expectNothingWritten,
  readManifest,
  rejectionOf,
  writeFiles,
} from '../helpers/publish-outcome.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

/** A small site with `links` (link path → target text) added; `outside/` is a sibling of the site. */
async function siteWith(links: Record<string, string | ((base: string) => string)>) {
  const base = await temp.make('symlinks')
  const dir = path.join(base, 'site')
  await writeFiles(base, {
    'site/index.html': '<h1>home</h1>',
    'site/assets/app.css': 'body{}',
    'site/assets/deep/app.js': 'console.log(1)',
    'outside/secret.txt': 'not part of the site',
  })
  for (const [link, target] of Object.entries(links)) {
    await fs.mkdir(path.dirname(path.join(dir, link)), { recursive: true })
    await fs.symlink(typeof target === 'function' ? target(base) : target, path.join(dir, link))
  }
  return { base, dir, out: path.join(base, 'site-p2p'), cacheDir: path.join(base, 'cache') }
}

interface BadLink {
  name: string
  links: Record<string, string | ((base: string) => string)>
  code: string
  /** Any of these links may be the one the message names. */
  named: string[]
  says: RegExp[]
}

const LOOP = [/is part of a loop/, /exclude the link with the `exclude` option/]
const OUTSIDE = [/outside the site folder/, /Copy the file into the site, or exclude the link/]

const badLinks: BadLink[] = [
  {
    name: 'a loop a → b → a',
    links: { a: 'b', b: 'a' },
    code: 'ERR_SYMLINK_LOOP',
    named: ['a', 'b'],
    says: LOOP,
  },
  {
    name: 'a link to itself',
    links: { self: 'self' },
    code: 'ERR_SYMLINK_LOOP',
    named: ['self'],
    says: LOOP,
  },
  {
    name: 'a folder link to its own parent',
    links: { 'assets/up': '..' },
    code: 'ERR_SYMLINK_LOOP',
    named: ['assets/up'],
    says: LOOP,
  },
  {
    name: 'a folder link to its own grandparent, the site root',
    links: { 'assets/deep/top': '../..' },
    code: 'ERR_SYMLINK_LOOP',
    named: ['assets/deep/top'],
    says: LOOP,
  },
  {
    name: 'a relative file link out of the site',
    links: { 'secret.txt': '../outside/secret.txt' },
    code: 'ERR_SYMLINK_OUTSIDE_ROOT',
    named: ['secret.txt'],
    says: [...OUTSIDE, /outside\/secret\.txt/],
  },
  {
    name: 'an absolute file link out of the site',
    links: { 'assets/secret.txt': (base) => path.join(base, 'outside/secret.txt') },
    code: 'ERR_SYMLINK_OUTSIDE_ROOT',
    named: ['assets/secret.txt'],
    says: [...OUTSIDE, /outside\/secret\.txt/],
  },
  {
    name: 'a folder link out of the site',
    links: { shared: '../outside' },
    code: 'ERR_SYMLINK_OUTSIDE_ROOT',
    named: ['shared'],
    says: OUTSIDE,
  },
  {
    name: 'a dangling link',
    links: { 'gone.css': 'assets/missing.css' },
    code: 'ERR_FILE_UNREADABLE',
    named: ['gone.css'],
    says: [/points to assets\/missing\.css, which does not exist/, /Fix or remove the link/],
  },
]

/** The link (relative to the site) a message names, if it names one of `named`. */
const namedLink = (message: string, dir: string, named: string[]) =>
  named.find((link) => message.includes(`symlink ${path.join(dir, link)} `))

describe.each(badLinks)('publish: $name', ({ links, code, named, says }) => {
  it(`publish() rejects with ${code} naming the link, and writes nothing`, async () => {
    const { base, dir, out, cacheDir } = await siteWith(links)
    const before = await snapshot(base)
    const err = await rejectionOf(publish({ dir, out, cacheDir }))

    expect(err.code, err.message).toBe(code)
    expect(namedLink(err.message, dir, named), err.message).toBeDefined()
    for (const pattern of says) expect(err.message).toMatch(pattern)
    await expectNothingWritten(out)
    expect(await snapshot(base)).toEqual(before)
  })

  it('the CLI prints the message, exits 3, and writes nothing', async () => {
    const { base, dir, out, cacheDir } = await siteWith(links)
    const before = await snapshot(base)
    const run = await runCli(['publish', dir, '--cache-dir', cacheDir, '--no-progress'], { cwd: base })

    expect(run.code, run.stderr).toBe(3)
    expect(run.stderr).toMatch(/^p2pcdn: /)
    expect(namedLink(run.stderr, dir, named), run.stderr).toBeDefined()
    for (const pattern of says) expect(run.stderr).toMatch(pattern)
    expect(run.stderr).not.toMatch(/\n\s+at /)
    await expectNothingWritten(out)
    expect(await snapshot(base)).toEqual(before)
  })

  it('excluding the named link, as the message suggests, lets the publish through', async () => {
    const { dir, out, cacheDir } = await siteWith(links)
    const exclude: string[] = []
    let err: (Error & { code?: string }) | undefined
    for (let round = 0; round <= named.length; round++) {
      err = await publish({ dir, out, cacheDir, exclude }).then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      )
      if (err === undefined) break
      const link = namedLink(err.message, dir, named)
      expect(link, err.message).toBeDefined()
      exclude.push(link as string)
    }
    expect(err?.message).toBeUndefined()
    // The excluded links are carried over as links, not published.
    const manifest = await readManifest(out)
    for (const link of exclude) expect(manifest.assets.map((a) => a.path)).not.toContain(link)
  })
})

describe.each(PROFILES)('publish: links inside the site (%s)', (profile) => {
  it('are followed: the output holds the target bytes under the link name, in the manifest and the root', async () => {
    const { base, dir, out, cacheDir } = await siteWith({
      'home.html': 'index.html',
      'abs-home.html': (b) => path.join(b, 'site/index.html'),
      styles: 'assets',
      'assets/deep/up.css': '../app.css',
    })
    const result = await publish({ dir, out, cacheDir, profile })
    const manifest = await readManifest(out)
    const cidOf = (p: string) => manifest.assets.find((a) => a.path === p)?.cid

    expect(manifest.assets.map((a) => a.path)).toEqual([
      'abs-home.html',
      'assets/app.css',
      'assets/deep/app.js',
      'assets/deep/up.css',
      'home.html',
      'index.html',
      'styles/app.css',
      'styles/deep/app.js',
      'styles/deep/up.css',
    ])
    expect(cidOf('home.html')).toBe(cidOf('index.html'))
    expect(cidOf('abs-home.html')).toBe(cidOf('index.html'))
    expect(cidOf('assets/deep/up.css')).toBe(cidOf('assets/app.css'))
    expect(cidOf('styles/deep/app.js')).toBe(cidOf('assets/deep/app.js'))

    // Dereferenced: real files and folders in the output, with the targets' bytes.
    for (const p of ['home.html', 'abs-home.html', 'assets/deep/up.css', 'styles/deep/app.js']) {
      expect((await fs.lstat(path.join(out, p))).isFile(), p).toBe(true)
    }
    expect((await fs.lstat(path.join(out, 'styles'))).isDirectory()).toBe(true)
    expect(await fs.readFile(path.join(out, 'home.html'), 'utf8')).toBe('<h1>home</h1>')
    expect(await fs.readFile(path.join(out, 'styles/app.css'), 'utf8')).toBe('body{}')

    expect(manifest.root).toBe(result.root)
    expect(result.root).toBe(await cidOfOutputCopy(out, profile))
    expect(await fs.readdir(base)).not.toContain(expect.stringMatching(/^\.p2pcdn-/))
  })
})
