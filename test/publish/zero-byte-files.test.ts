/**
 * Zero-byte files are assets like any other: published with the CID Kubo gives an empty file under
 * each profile, in the manifest, the output and the CAR, first run and cached run alike.
 *
 * Expected CIDs, printed by Kubo (github.com/ipfs/kubo, test/sharness/t0040-add-and-cat.sh,
 * "zero length file has correct hash"):
 * - unixfs-v0-2015 (plain `ipfs add`, as test_add_cat_file): QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH
 * - unixfs-v1-2025 (a single raw leaf, as test_add_cat_raw with `--raw-leaves`):
 *   bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProfileName } from '../../src/constants.js'
import { publish } from '../../src/publish.js'
import { catFromBlocks, readCar } from '../helpers/car.js'
import { tempDirs } from '../helpers/fs.js'
import { cidOfOutputCopy, readManifest, writeFiles } from '../helpers/publish-outcome.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

const EMPTY_CID: Record<ProfileName, string> = {
  'unixfs-v0-2015': 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH',
  'unixfs-v1-2025': 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
}
/** SHA-256 of no bytes, in Subresource Integrity form. */
const EMPTY_INTEGRITY = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='

/** Many empty files, so that identical blocks are written at the same time. */
const EMPTIES = [
  'empty.txt',
  'css/empty.css',
  'js/empty.js',
  ...Array.from({ length: 60 }, (_, i) => `many/e${i}.txt`),
]

async function site(files: Record<string, string>) {
  const base = await temp.make('zero-byte')
  const dir = path.join(base, 'site')
  await writeFiles(dir, files)
  return { dir, out: path.join(base, 'site-p2p'), cacheDir: path.join(base, 'cache') }
}

describe.each(Object.entries(EMPTY_CID) as [ProfileName, string][])(
  'publish: zero-byte files (%s)',
  (profile, emptyCid) => {
    it(`publishes each as ${emptyCid}, in the manifest, the output and the CAR`, async () => {
      const { dir, out, cacheDir } = await site({
        'index.html': '<h1>home</h1>',
        ...Object.fromEntries(EMPTIES.map((p) => [p, ''])),
      })
      const result = await publish({ dir, out, cacheDir, profile, car: true })
      const manifest = await readManifest(out)

      for (const p of EMPTIES) {
        expect(manifest.assets.find((a) => a.path === p)).toMatchObject({
          path: p,
          cid: emptyCid,
          size: 0,
          integrity: EMPTY_INTEGRITY,
        })
        expect((await fs.stat(path.join(out, p))).size, p).toBe(0)
      }
      expect(result.root).toBe(await cidOfOutputCopy(out, profile))

      const car = await readCar(`${out}.car`)
      expect(car.roots.map(String)).toEqual([result.root])
      expect(car.cids.map(String)).toContain(emptyCid)
      expect((await catFromBlocks(car.store, `/ipfs/${result.root}/css/empty.css`)).length).toBe(0)

      // A second run takes them from the cache's index and gives the same bytes.
      const manifestBytes = await fs.readFile(path.join(out, 'p2pcdn-manifest.json'))
      const carBytes = await fs.readFile(`${out}.car`)
      const again = await publish({ dir, out, cacheDir, profile, car: true })
      expect(again.cached).toBe(EMPTIES.length + 1)
      expect(await fs.readFile(path.join(out, 'p2pcdn-manifest.json'))).toEqual(manifestBytes)
      expect(await fs.readFile(`${out}.car`)).toEqual(carBytes)
    })

    it('publishes a site whose only file is empty (it is not an empty site)', async () => {
      const { dir, out, cacheDir } = await site({ 'empty.txt': '' })
      const result = await publish({ dir, out, cacheDir, profile })
      expect(result.files).toBe(1)
      expect(result.bytes).toBe(0)
      expect(result.assets).toEqual([
        expect.objectContaining({ path: 'empty.txt', cid: emptyCid, size: 0, integrity: EMPTY_INTEGRITY }),
      ])
      expect(result.root).toBe(await cidOfOutputCopy(out, profile))
    })
  },
)
