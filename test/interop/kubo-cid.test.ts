/**
 * CIDs, differentially: `p2pcdn cid` (cidOfPath) and publish's root equal what the real Kubo's
 * `ipfs add -r --only-hash -Q --hidden` prints, under both IPIP-499 profiles (`ipfs init
 * --profile=test,unixfs-v1-2025` / `unixfs-v0-2015`), on seeded random trees (chunk boundaries,
 * empty files and folders, dotfiles, unicode and odd names) and on a folder past the HAMT
 * threshold. The bench (bench/interop-cid.js) runs hundreds of trees; this runs dozens. The 37
 * golden vectors of test/import/kubo-golden.test.ts stay as a second line of defence.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROFILES, type ProfileName } from '../../src/constants.js'
import { cidOfPath, publish } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'
import { initKubo, type KuboRepo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'
import { writeRandomTree, writeWideFolder } from '../helpers/random-tree.js'

const TREES = Number(process.env.P2PCDN_INTEROP_TREES ?? 48)
const dirs = tempDirs()

async function kuboCid(repo: KuboRepo, target: string): Promise<string> {
  return (await repo.ipfs(['add', '-r', '--only-hash', '-Q', '--hidden', target])).trim()
}

describe.skipIf(kubo.skip)(kubo.title('CIDs equal Kubo’s `ipfs add`'), () => {
  afterAll(() => dirs.cleanup())

  describe.each(PROFILES)('%s', (profile: ProfileName) => {
    let repo: KuboRepo
    beforeAll(async () => {
      repo = await initKubo({ profile })
    }, 60_000)
    afterAll(() => repo?.remove())

    it(`${TREES} random trees: cidOfPath equals ipfs add -r`, async () => {
      const mismatches: string[] = []
      for (let seed = 1; seed <= TREES; seed++) {
        const dir = await dirs.make(`tree-${profile}-${seed}`)
        const stats = await writeRandomTree(dir, seed)
        const ours = (await cidOfPath(dir, { profile, hidden: true })).toString()
        const theirs = await kuboCid(repo, dir)
        if (ours !== theirs)
          mismatches.push(`seed ${seed} (${JSON.stringify(stats)}): ours ${ours}, Kubo ${theirs}`)
        await fs.rm(dir, { recursive: true, force: true })
      }
      expect(mismatches).toEqual([])
    }, 300_000)

    it('wide folders on both sides of the HAMT threshold (1,500 and 4,000 entries)', async () => {
      for (const count of [1500, 4000]) {
        const dir = path.join(await dirs.make(`wide-${profile}-${count}`), 'wide')
        await writeWideFolder(dir, count, count)
        expect((await cidOfPath(dir, { profile })).toString()).toBe(await kuboCid(repo, dir))
      }
    }, 300_000)

    it('publish’s root equals ipfs add -r of the site (empty folders included)', async () => {
      for (const seed of [4242, 7, 99, 1234]) {
        const dir = await dirs.make(`site-${profile}-${seed}`)
        await writeRandomTree(dir, seed)
        const out = path.join(await dirs.make(`out-${profile}-${seed}`), 'site')
        const result = await publish({ dir, out, profile, dotfiles: true, cacheDir: false, rewrite: false })
        expect(result.root, `seed ${seed}`).toBe(await kuboCid(repo, dir))
      }
    }, 120_000)
  })
})
