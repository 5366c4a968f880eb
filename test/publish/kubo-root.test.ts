/**
 * `publish` builds the site's root directory from already-imported file CIDs (src/import/site-root.ts),
 * not by re-adding the folder. These cases check that root against CIDs printed by Kubo in its own
 * tests (github.com/ipfs/kubo), including both sides of each profile's HAMT sharding threshold.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProfileName } from '../../src/constants.js'
import { publish } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'
import { deterministicNames } from '../helpers/kubo.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

async function publishTree(files: Record<string, string>, profile: ProfileName): Promise<string> {
  const base = await temp.make('kubo-root')
  const dir = path.join(base, 'site')
  await fs.mkdir(dir)
  for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(dir, name), content)
  const result = await publish({
    dir,
    out: path.join(base, 'out'),
    cacheDir: path.join(base, 'cache'),
    profile,
  })
  return result.root
}

const planets = { 'mars.txt': 'Hello Mars!\n', 'venus.txt': 'Hello Venus!\n' }
const names = (count: number, len: number, last: number, seed: string) =>
  Object.fromEntries(deterministicNames(count, len, last, seed).map((n) => [n, 'x']))

describe('publish: the site root is the CID Kubo gives for the folder', () => {
  it.each([
    // t0040-add-and-cat.sh add_directory (no extra args): PLANETS
    { profile: 'unixfs-v0-2015', cid: 'QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY' },
    // t0040-add-and-cat.sh add_directory '--cid-version=1': PLANETS (CIDv1 + raw leaves, as unixfs-v1-2025 for tiny files)
    { profile: 'unixfs-v1-2025', cid: 'bafybeih7e5dmkyk25up5vxug4q3hrg2fxbzf23dfrac2fns5h7z4aa7ioi' },
  ] as const)('planets under $profile → $cid', async ({ profile, cid }) => {
    expect(await publishTree(planets, profile)).toBe(cid)
  })

  it.each([
    // cid_profiles_test.go unixfsV02015.DirBasicCID: 4096 names of 30 chars, at the threshold: basic
    {
      profile: 'unixfs-v0-2015',
      files: names(4096, 30, 30, 'hamt-unixfs-v0-2015'),
      cid: 'QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN',
    },
    // cid_profiles_test.go unixfsV02015.DirHAMTCID: 4033 names of 31 chars, 1 byte over: HAMT
    {
      profile: 'unixfs-v0-2015',
      files: names(4033, 31, 31, 'hamt-unixfs-v0-2015'),
      cid: 'QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP',
    },
    // cid_profiles_test.go unixfsV12025.DirBasicCID: 4765 names of 11 chars + 1 of 21, at the threshold: basic
    {
      profile: 'unixfs-v1-2025',
      files: names(4766, 11, 21, 'hamt-unixfs-v1-2025'),
      cid: 'bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4',
    },
    // cid_profiles_test.go unixfsV12025.DirHAMTCID: last name of 22 chars, 1 byte over: HAMT
    {
      profile: 'unixfs-v1-2025',
      files: names(4766, 11, 22, 'hamt-unixfs-v1-2025'),
      cid: 'bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu',
    },
  ] as const)('sharding threshold under $profile → $cid', async ({ profile, files, cid }) => {
    expect(await publishTree(files, profile)).toBe(cid)
  })
})
