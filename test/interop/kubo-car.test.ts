/**
 * CARs, against the real Kubo: `ipfs dag import` accepts publish's CAR (pinning its root), `ipfs
 * cat`/`ipfs get` of every published path equals the output file, and `ipfs dag export <root>` is
 * byte-identical to publish's CAR (both are CARv1, one root, every block once, depth-first in link
 * order), under both IPIP-499 profiles.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROFILES, type ProfileName } from '../../src/constants.js'
import { publish } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'
import { initKubo, type KuboRepo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'
import { writeRandomTree, writeWideFolder } from '../helpers/random-tree.js'

const dirs = tempDirs()

/** A site with pages, a stylesheet, a large file over several chunks, a HAMT folder and awkward names. */
async function site(seed: number): Promise<string> {
  const dir = await dirs.make(`car-site-${seed}`)
  await writeRandomTree(dir, seed)
  await fs.writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><link rel="stylesheet" href="style.css"><img src="big.bin">',
  )
  await fs.writeFile(path.join(dir, 'style.css'), 'body { background: url("big.bin") }\n')
  await fs.writeFile(path.join(dir, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, seed))
  await writeWideFolder(path.join(dir, 'wide'), 3000, seed)
  return dir
}

describe.skipIf(kubo.skip)(kubo.title('publish’s CAR in Kubo'), () => {
  afterAll(() => dirs.cleanup())

  describe.each(PROFILES)('%s', (profile: ProfileName) => {
    let repo: KuboRepo
    beforeAll(async () => {
      repo = await initKubo({ profile })
    }, 60_000)
    afterAll(() => repo?.remove())

    it('dag import accepts it, cat gives every output file, dag export gives the same bytes', async () => {
      const dir = await site(profile === 'unixfs-v1-2025' ? 11 : 12)
      const out = path.join(await dirs.make(`car-out-${profile}`), 'site')
      const result = await publish({
        dir,
        out,
        profile,
        dotfiles: true,
        cacheDir: false,
        gateway: 'https://gateway.example.com',
        origin: 'https://www.example.com',
        car: true,
      })
      // Asked for, the CAR is written beside the output folder (outside the web root), not in it.
      expect(result.car).toBe(`${out}.car`)
      const car = result.car as string
      expect((await fs.stat(car)).size).toBe(result.carBytes)
      await expect(fs.access(path.join(out, 'p2pcdn.car'))).rejects.toThrow(/ENOENT/)

      const imported = JSON.parse(
        (await repo.ipfs(['dag', 'import', '--pin-roots', '--stats', '--enc=json', car]))
          .trim()
          .split('\n')[0] as string,
      ) as { Root: { Cid: { '/': string }; PinErrorMsg: string } }
      expect(imported.Root.Cid['/']).toBe(result.root)
      expect(imported.Root.PinErrorMsg).toBe('')

      // Every asset as the output holds it (rewritten pages included): one `ipfs cat` for a page and
      // the large file, `ipfs get` of the whole root for the rest.
      for (const file of ['index.html', 'style.css', 'big.bin']) {
        const bytes = await repo.ipfsBytes(['cat', `/ipfs/${result.root}/${file}`])
        expect(bytes.equals(await fs.readFile(path.join(out, file))), file).toBe(true)
      }
      const got = path.join(await dirs.make(`car-get-${profile}`), 'site')
      await repo.ipfs(['get', '-o', got, `/ipfs/${result.root}`])
      for (const asset of result.assets) {
        const [ours, theirs] = await Promise.all([
          fs.readFile(path.join(out, asset.path)),
          fs.readFile(path.join(got, asset.path)),
        ])
        expect(theirs.equals(ours), asset.path).toBe(true)
      }

      const exported = await repo.ipfsBytes(['dag', 'export', result.root])
      const ours = await fs.readFile(car)
      expect(exported.length).toBe(ours.length)
      expect(exported.equals(ours)).toBe(true)
    }, 300_000)
  })
})
