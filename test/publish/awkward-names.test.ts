/**
 * File and folder names that URLs, shells and globs treat specially: spaces, Unicode in both
 * normalisation forms, `%`, `#`, `?`, glob characters. Each is published under its exact name
 * (byte for byte, no normalisation, no escaping), and the root CID is what `ipfs add -r` gives
 * for the output.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PROFILES } from '../../src/constants.js'
import { cidOfPath } from '../../src/import/cid-of-path.js'
import { publish } from '../../src/publish.js'
import { runCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'
import { cidOfOutputCopy, readManifest, writeFiles } from '../helpers/publish-outcome.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

const cafeNfc = 'caf\u00e9.html'
const cafeNfd = 'cafe\u0301.html'

/** Path → content; every name here is legal on Linux and must survive the trip unchanged. */
const NAMES = [
  'with space.html',
  'folder with spaces/inner file.css',
  ' leading and trailing .txt',
  cafeNfc,
  cafeNfd,
  'ünïcödé/日本語.html',
  'emoji-🚀.svg',
  '100%.txt',
  'a%20b.txt',
  '%E2%82%AC.txt',
  'hash#tag.html',
  '#only-hash.txt',
  'what?.html',
  'q?x=1&y=2.txt',
  '[id].js',
  '(group)/page.js',
  '{a,b}.txt',
  '!important.css',
  'star*.txt',
  '+page.svelte',
  '@scope/pkg.js',
  'quote\'and"double.txt',
  'back\\slash.txt',
  'tab\there.txt',
  '-starts-with-dash.txt',
]

async function awkwardSite() {
  const base = await temp.make('names')
  const dir = path.join(base, 'site')
  await writeFiles(dir, Object.fromEntries(NAMES.map((name) => [name, `content of ${JSON.stringify(name)}`])))
  return { base, dir, out: path.join(base, 'site-p2p'), cacheDir: path.join(base, 'cache') }
}

describe.each(PROFILES)('publish: awkward names (%s)', (profile) => {
  it('publishes every file under its exact name, and the root is the CID of the output', async () => {
    const { dir, out, cacheDir } = await awkwardSite()
    // Both forms of "café" really are two files (the file system does not normalise).
    expect((await fs.readdir(dir)).filter((n) => n.normalize('NFC') === cafeNfc)).toHaveLength(2)

    const result = await publish({ dir, out, cacheDir, profile })
    const manifest = await readManifest(out)
    const paths = manifest.assets.map((a) => a.path)

    expect([...paths].sort()).toEqual([...NAMES].sort())
    expect(paths).toContain(cafeNfc)
    expect(paths).toContain(cafeNfd)
    for (const name of NAMES) {
      const asset = manifest.assets.find((a) => a.path === name)
      expect(asset?.cid, name).toBe((await cidOfPath(path.join(dir, name), { profile })).toString())
      expect(await fs.readFile(path.join(out, name), 'utf8'), name).toBe(`content of ${JSON.stringify(name)}`)
    }
    expect(manifest.root).toBe(result.root)
    expect(result.root).toBe(await cidOfOutputCopy(out, profile))
  })
})

describe('p2pcdn publish --json: awkward names', () => {
  it('prints every name exactly, NFC and NFD kept apart', async () => {
    const { base, dir, cacheDir } = await awkwardSite()
    const run = await runCli(['publish', dir, '--cache-dir', cacheDir, '--json', '--no-progress'], {
      cwd: base,
    })
    expect(run.code, run.stderr).toBe(0)
    const printed = (JSON.parse(run.stdout) as { assets: { path: string }[] }).assets.map((a) => a.path)
    expect(printed.sort()).toEqual([...NAMES].sort())
  })
})

describe('publish: a name with a newline', () => {
  // Legal on Linux and kept by `ipfs add -r`; a glob `**` does not match it (picomatch's `.` stops at
  // a newline), so it must not be lost silently: published, or an error naming it.
  it('is published, or refused with an error naming it: never silently left out', async () => {
    const { dir, out, cacheDir } = await awkwardSite()
    await writeFiles(dir, { 'new\nline.txt': 'two\nlines' })
    const outcome = await publish({ dir, out, cacheDir }).then(
      (result) => ({ result }),
      (error: Error) => ({ error }),
    )
    if ('error' in outcome) {
      // Named with the line break escaped, so the message stays on one line.
      expect(outcome.error.message).toContain(JSON.stringify(path.join(dir, 'new\nline.txt')))
      expect(outcome.error.message).toMatch(/Rename/)
      expect(await fs.readdir(path.dirname(out))).not.toContain(path.basename(out))
      return
    }
    expect(outcome.result.assets.map((a) => a.path)).toContain('new\nline.txt')
    expect(await fs.readFile(path.join(out, 'new\nline.txt'), 'utf8')).toBe('two\nlines')
  })
})
