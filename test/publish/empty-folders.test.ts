/**
 * A site's empty folders (and folders holding only dotfiles) are part of its tree, as `ipfs add -r`
 * keeps them: publish's root equals `cidOfPath` of the site (Kubo's CID, by the golden vectors and
 * test/interop/kubo-cid.test.ts), and the output has the folders too.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PROFILES } from '../../src/constants.js'
import { cidOfPath, publish } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

async function site(): Promise<string> {
  const dir = await dirs.make('empty-folders')
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><p>hi</p>')
  await fs.mkdir(path.join(dir, 'empty'))
  await fs.mkdir(path.join(dir, 'nested', 'deeper', 'deepest'), { recursive: true })
  await fs.mkdir(path.join(dir, 'only-dotfiles'))
  await fs.writeFile(path.join(dir, 'only-dotfiles', '.keep'), '')
  await fs.mkdir(path.join(dir, 'img'))
  await fs.writeFile(path.join(dir, 'img', 'a.png'), 'png')
  return dir
}

describe('empty folders', () => {
  it.each(PROFILES)('%s: the root is what ipfs add -r gives, and the output keeps them', async (profile) => {
    const dir = await site()
    const out = path.join(await dirs.make('empty-folders-out'), 'site')
    const result = await publish({ dir, out, profile, cacheDir: false })
    expect(result.root).toBe((await cidOfPath(dir, { profile })).toString())
    for (const folder of ['empty', 'nested/deeper/deepest', 'only-dotfiles']) {
      expect((await fs.stat(path.join(out, folder))).isDirectory(), folder).toBe(true)
    }
    expect(await fs.readFile(path.join(out, 'only-dotfiles', '.keep'), 'utf8')).toBe('')
  })

  it('with --dotfiles, a folder holding only dotfiles is not empty', async () => {
    const dir = await site()
    const out = path.join(await dirs.make('empty-folders-dot'), 'site')
    const result = await publish({ dir, out, dotfiles: true, cacheDir: false })
    expect(result.root).toBe((await cidOfPath(dir, { hidden: true })).toString())
  })
})
