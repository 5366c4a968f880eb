/**
 * Golden CIDs copied from Kubo's own test suite, checked against `cidOfPath`.
 *
 * Every expected value below was printed by Kubo (`ipfs add`) in Kubo's tests, never by our code.
 * Sources (github.com/ipfs/kubo):
 *
 * - `test/cli/cid_profiles_test.go`: the IPIP-499 profile vectors (`unixfsV02015` and `unixfsV12025`,
 *   run by `TestCIDProfiles` / `runProfileTests`). Two versions are used: commit c626ee94a854 (has the
 *   chunk-size vectors and "max links + 1 byte") and the older commit 00fb95d69a87 (has "max links + 1
 *   chunk", i.e. 44800KiB / 1025MiB).
 * - `test/cli/add_test.go`: `createDeterministicFiles`, how the HAMT threshold directories are built.
 * - `test/cli/testutils/random_deterministic.go`: `DeterministicRandomReader(Bytes)`, the content generator:
 *   ChaCha20 (RFC 8439, x/crypto/chacha20) keystream with key = sha256(seed), 12-byte zero nonce,
 *   counter 0. Reproduced here with Node's OpenSSL `chacha20` (16-byte IV = 4-byte LE counter + nonce).
 * - `test/cli/testutils/random_files.go`: `AlphabetEasy` for the directory tests' file names.
 * - `test/cli/harness/ipfs.go`: `IPFSAddStr` / `IPFSAddDeterministic*` pipe the bytes to `ipfs add -q`
 *   on stdin, so a single file's CID is the file's own CID (no wrapping directory).
 * - `test/sharness/t0040-add-and-cat.sh` (commit 01b357a98aaa): classic `ipfs add` hashes. Sharness runs
 *   Kubo with its default import settings, which `TestDefaultMatchesExpectedProfile` in
 *   cid_profiles_test.go pins to unixfs-v0-2015. Content written with `echo` ends in "\n".
 *
 * Profile `unixfs-v1-2025` vectors for tiny inputs also come from t0040's `--cid-version=1` / `--raw-leaves`
 * runs: for inputs far below 1 MiB and far below the HAMT threshold, CIDv1 + raw leaves + sha2-256 is all
 * the profile changes, so those CIDs are the same under unixfs-v1-2025.
 *
 * The 1 GiB `unixfs-v1-2025` max-links vectors run unless KUBO_GOLDEN_LARGE=0 (they need 1 GiB
 * and 1 GiB + 1 MiB inputs).
 */
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProfileName } from '../../src/constants.js'
import { cidOfPath } from '../../src/import/cid-of-path.js'
import { deterministicBytes, deterministicNames } from '../helpers/kubo.js'

const KiB = 1024
const MiB = 1024 * KiB
const LARGE = process.env.KUBO_GOLDEN_LARGE !== '0'

let tmp: string
let counter = 0

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-kubo-golden-'))
})

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true })
})

/** A fresh folder inside the temp folder. */
async function freshDir(): Promise<string> {
  const dir = path.join(tmp, `case-${counter++}`)
  await fs.mkdir(dir)
  return dir
}

/** Writes `content` to `name` in a fresh folder and returns its path. */
async function writeFile(name: string, content: string): Promise<string> {
  const file = path.join(await freshDir(), name)
  await fs.writeFile(file, content)
  return file
}

/** Streams Kubo's deterministic bytes into a fresh file and returns its path. */
async function writeDeterministicFile(size: number, seed: string): Promise<string> {
  const file = path.join(await freshDir(), 'data.bin')
  await pipeline(Readable.from(deterministicBytes(size, seed)), createWriteStream(file))
  expect((await fs.stat(file)).size).toBe(size)
  return file
}

interface Tree {
  [name: string]: string | Tree
}

/** Writes a tree (string = file content, object = folder) as folder `name` in a fresh folder. */
async function writeTree(name: string, tree: Tree): Promise<string> {
  const root = path.join(await freshDir(), name)
  const write = async (dir: string, node: Tree): Promise<void> => {
    await fs.mkdir(dir)
    for (const [entry, value] of Object.entries(node)) {
      if (typeof value === 'string') await fs.writeFile(path.join(dir, entry), value)
      else await write(path.join(dir, entry), value)
    }
  }
  await write(root, tree)
  return root
}

async function cidString(target: string, profile: ProfileName, hidden = false): Promise<string> {
  return (await cidOfPath(target, { profile, hidden })).toString()
}

describe('unixfs-v0-2015 (plain `ipfs add`)', () => {
  const profile = 'unixfs-v0-2015'

  it.each([
    // cid_profiles_test.go unixfsV02015.SmallFileCID; add_test.go TestAdd shortStringCidV0 ("hello world" on stdin)
    { name: 'hello', content: 'hello world', cid: 'Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD' },
    // t0040-add-and-cat.sh test_add_cat_file, "ipfs add output looks good": echo "Hello Worlds!" >hello.txt
    { name: 'hello.txt', content: 'Hello Worlds!\n', cid: 'QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH' },
    // t0040-add-and-cat.sh test_add_cat_file, "ipfs add on hidden file output looks good" (file passed directly)
    { name: '.hello.txt', content: 'Hello Worlds!\n', cid: 'QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH' },
    // t0040-add-and-cat.sh test_add_cat_file, "ipfs add with multiple files output looks good" (hello2.txt)
    {
      name: 'hello2.txt',
      content: 'Helloo Worlds!\n',
      cid: 'Qmf35k66MZNW2GijohUmXQEWKZU4cCGTCwK6idfnt152wJ',
    },
    // t0040-add-and-cat.sh test_add_cat_file, "zero length file has correct hash"
    { name: 'zero-length-file', content: '', cid: 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH' },
    // t0040-add-and-cat.sh test_add_cat_file, "ipfs add --stdin-name": echo "IPFS" | ipfs add
    { name: 'file.txt', content: 'IPFS\n', cid: 'QmdFyxZXsFiP4csgfM5uPu99AvFiKH62CSPDw5TP92nr7w' },
    // t0040-add-and-cat.sh "'ipfs add -q' output looks good": echo "Hello Venus!" >venus.txt
    { name: 'venus.txt', content: 'Hello Venus!\n', cid: 'QmU5kp3BH3B8tnWUU2Pikdb2maksBNkb92FHRr56hyghh4' },
    // t0040-add-and-cat.sh "'ipfs add -q' with stdin input": echo "Hello Jupiter!"
    { name: 'jupiter', content: 'Hello Jupiter!\n', cid: 'QmUnvPcBctVTAcJpigv6KMqDvmDewksPWrNVoy1E1WP5fh' },
    // t0040-add-and-cat.sh "'ipfs add' with stdin input": printf "Hello Neptune!\nHello Pluton!" (no final newline)
    {
      name: 'neptune',
      content: 'Hello Neptune!\nHello Pluton!',
      cid: 'QmZDhWpi8NvKrekaYYhxKCdNVGWsFFe1CREnAjP1QbPaB3',
    },
    // t0040-add-and-cat.sh add_directory (no extra args), MARS: echo "Hello Mars!" >planets/mars.txt
    { name: 'mars.txt', content: 'Hello Mars!\n', cid: 'QmPrrHqJzto9m7SyiRzarwkqPcCSsKR2EB1AyqJfe8L8tN' },
    // t0040-add-and-cat.sh "'ipfs add -rn' output looks good", EUROPA / TITAN / MERCURY
    { name: 'europa.txt', content: 'Hello Europa!\n', cid: 'Qmbjg7zWdqdMaK2BucPncJQDxiALExph5k3NkQv5RHpccu' },
    { name: 'titan.txt', content: 'Hello Titan!\n', cid: 'QmZzppb9WHn552rmRqpPfgU5FEiHH6gDwi3MrB9cTdPwdb' },
    {
      name: 'mercury.txt',
      content: 'hey youre no moon!\n',
      cid: 'QmUJjVtnN8YEeYcS8VmUeWffTWhnMQAkk5DzZdKnPhqUdK',
    },
  ])('small file $name → $cid', async ({ name, content, cid }) => {
    expect(await cidString(await writeFile(name, content), profile)).toBe(cid)
  })

  it('small file, printed in base32 (t0040 "ipfs add --cid-base=base32 output looks good")', async () => {
    // t0040-add-and-cat.sh test_add_cat_file, HASHb32: echo "base32 test" >base32-test.txt;
    // `--cid-base=base32` prints the CIDv0 upgraded to CIDv1 (same dag-pb multihash).
    const cid = await cidOfPath(await writeFile('base32-test.txt', 'base32 test\n'), { profile })
    expect(cid.version).toBe(0)
    expect(cid.toV1().toString()).toBe('bafybeibyosqxljd2eptb4ebbtvk7pb4aoxzqa6ttdsflty6rsslz5y6i34')
  })

  it.each([
    // cid_profiles_test.go @c626ee94 unixfsV02015.FileAtChunkSizeCID: 262144 bytes, seed "chunk-v0-seed"
    {
      label: 'at chunk size',
      size: 256 * KiB,
      seed: 'chunk-v0-seed',
      cid: 'QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE',
    },
    // cid_profiles_test.go @c626ee94 unixfsV02015.FileOverChunkSizeCID: 262145 bytes, seed "chunk-v0-seed"
    {
      label: 'chunk size + 1 byte',
      size: 256 * KiB + 1,
      seed: 'chunk-v0-seed',
      cid: 'QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ',
    },
    // cid_profiles_test.go (both versions) unixfsV02015.FileAtMaxLinksCID: 174 × 256KiB, seed "v0-seed"
    {
      label: 'at max links (174 chunks)',
      size: 174 * 256 * KiB,
      seed: 'v0-seed',
      cid: 'QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2',
    },
    // cid_profiles_test.go @c626ee94 unixfsV02015.FileOverMaxLinksCID: 174 × 256KiB + 1, seed "v0-seed"
    {
      label: 'max links + 1 byte',
      size: 174 * 256 * KiB + 1,
      seed: 'v0-seed',
      cid: 'QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW',
    },
    // cid_profiles_test.go @00fb95d6 unixfsV02015.FileOverMaxLinksCID: 44800KiB (175 chunks), seed "v0-seed"
    {
      label: 'max links + 1 chunk',
      size: 175 * 256 * KiB,
      seed: 'v0-seed',
      cid: 'QmepeWtdmS1hHXx1oZXsPUv6bMrfRRKfZcoPPU4eEfjnbf',
    },
  ])('deterministic file $label ($size bytes) → $cid', { timeout: 60_000 }, async ({ size, seed, cid }) => {
    const file = await writeDeterministicFile(size, seed)
    expect(await cidString(file, profile)).toBe(cid)
    await fs.rm(file)
  })

  it('folder planets (t0040 add_directory, PLANETS)', async () => {
    // t0040-add-and-cat.sh add_directory with no extra args: PLANETS=QmWSgS32…; `ipfs add -r -Q mountdir/planets`
    const dir = await writeTree('planets', { 'mars.txt': 'Hello Mars!\n', 'venus.txt': 'Hello Venus!\n' })
    expect(await cidString(dir, profile)).toBe('QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY')
  })

  it('nested folder moons (t0040 "ipfs add -rn output looks good")', async () => {
    // t0040-add-and-cat.sh "'ipfs add -rn' output looks good": MOONS, JUPITER, SATURN
    const dir = await writeTree('moons', {
      jupiter: { 'europa.txt': 'Hello Europa!\n' },
      saturn: { 'titan.txt': 'Hello Titan!\n' },
      'mercury.txt': 'hey youre no moon!\n',
    })
    expect(await cidString(dir, profile)).toBe('QmVKvomp91nMih5j6hYBA8KjbiaYvEetU2Q7KvtZkLe9nQ')
    expect(await cidString(path.join(dir, 'jupiter'), profile)).toBe(
      'QmS5mZddhFPLWFX3w6FzAy9QxyYkaxvUpsWCtZ3r7jub9J',
    )
    expect(await cidString(path.join(dir, 'saturn'), profile)).toBe(
      'QmaMagZT4rTE7Nonw8KGSK4oe1bh533yhZrCo1HihSG8FK',
    )
  })

  it('nested folder test_current_dir (t0040 "ipfs add -r . output looks good")', async () => {
    // t0040-add-and-cat.sh test_add_cat_file, "ipfs add -r ." / "ipfs add -r ./": hey + hello/world
    const dir = await writeTree('test_current_dir', { hey: 'Hey\n', hello: { world: 'World\n' } })
    expect(await cidString(dir, profile)).toBe('QmZQWnfcqJ6hNkkPvrY9Q5X39GP3jUnUbAV4AbmbbR3Cb1')
  })

  it('folder hellodir (t0040 test_add_pwd_is_symlink)', async () => {
    // t0040-add-and-cat.sh test_add_pwd_is_symlink: echo "World" > hellodir/world; `ipfs add -r .` inside it,
    // then `grep "added Qma9CyFd…" actual`. The grep matches any output line, i.e. the file `world` or the
    // folder itself, so assert exactly that (it is the file's line: "World\n" as a dag-pb leaf).
    const dir = await writeTree('hellodir', { world: 'World\n' })
    const added = [await cidString(path.join(dir, 'world'), profile), await cidString(dir, profile)]
    expect(added).toContain('Qma9CyFdG5ffrZCcYSin2uAETygB25cswVwEYYzwfQuhTe')
  })

  it.each([
    // cid_profiles_test.go unixfsV02015.DirBasicCID: 4096 files, names of 30 chars; 4096 × (30 + 34) = 262144,
    // exactly at the threshold, stays a basic directory. Seed hamtSeedForProfile = "hamt-unixfs-v0-2015".
    {
      label: 'at threshold (basic)',
      files: 4096,
      nameLen: 30,
      cid: 'QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN',
    },
    // cid_profiles_test.go unixfsV02015.DirHAMTCID: 4033 files, names of 31 chars; 4033 × 65 = 262145 → HAMT.
    {
      label: '1 byte over threshold (HAMT)',
      files: 4033,
      nameLen: 31,
      cid: 'QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP',
    },
  ])('folder $label: $files files → $cid', { timeout: 60_000 }, async ({ files, nameLen, cid }) => {
    const names = deterministicNames(files, nameLen, nameLen, 'hamt-unixfs-v0-2015')
    expect(new Set(names).size).toBe(files)
    const dir = await writeTree('hamt-unixfs-v0-2015', Object.fromEntries(names.map((n) => [n, 'x'])))
    expect(await cidString(dir, profile)).toBe(cid)
    await fs.rm(dir, { recursive: true })
  })
})

describe('unixfs-v1-2025', () => {
  const profile = 'unixfs-v1-2025'

  it.each([
    // cid_profiles_test.go unixfsV12025.SmallFileCID; add_test.go TestAdd shortStringCidV1 ("hello world")
    {
      name: 'hello',
      content: 'hello world',
      cid: 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e',
    },
    // t0040-add-and-cat.sh test_add_cat_raw, "zero length file has correct hash" (`ipfs add --raw-leaves`):
    // a single raw leaf, which is what unixfs-v1-2025 gives for an empty file.
    {
      name: 'zero-length-file',
      content: '',
      cid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
    },
    // t0040-add-and-cat.sh add_directory '--cid-version=1', MARS and VENUS
    {
      name: 'mars.txt',
      content: 'Hello Mars!\n',
      cid: 'bafkreibmlvvgdyihetgocpof6xk64kjjzdeq2e4c7hqs3krdheosk4tgj4',
    },
    {
      name: 'venus.txt',
      content: 'Hello Venus!\n',
      cid: 'bafkreihfsphazrk2ilejpekyltjeh5k4yvwgjuwg26ueafohqioeo3sdca',
    },
  ])('small file $name → $cid', async ({ name, content, cid }) => {
    expect(await cidString(await writeFile(name, content), profile)).toBe(cid)
  })

  it.each([
    // cid_profiles_test.go @c626ee94 unixfsV12025.FileAtChunkSizeCID: 1048576 bytes, seed "chunk-v1-seed"
    {
      label: 'at chunk size',
      size: MiB,
      seed: 'chunk-v1-seed',
      cid: 'bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta',
    },
    // cid_profiles_test.go @c626ee94 unixfsV12025.FileOverChunkSizeCID: 1048577 bytes, seed "chunk-v1-seed"
    {
      label: 'chunk size + 1 byte',
      size: MiB + 1,
      seed: 'chunk-v1-seed',
      cid: 'bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64',
    },
  ])('deterministic file $label ($size bytes) → $cid', async ({ size, seed, cid }) => {
    const file = await writeDeterministicFile(size, seed)
    expect(await cidString(file, profile)).toBe(cid)
  })

  it.runIf(LARGE).each([
    // cid_profiles_test.go (both versions) unixfsV12025.FileAtMaxLinksCID: 1024 × 1MiB, seed "v1-2025-seed"
    {
      label: 'at max links (1024 chunks)',
      size: 1024 * MiB,
      cid: 'bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm',
    },
    // cid_profiles_test.go @c626ee94 unixfsV12025.FileOverMaxLinksCID: 1024 × 1MiB + 1, seed "v1-2025-seed"
    {
      label: 'max links + 1 byte',
      size: 1024 * MiB + 1,
      cid: 'bafybeibdsi225ugbkmpbdohnxioyab6jsqrmkts3twhpvfnzp77xtzpyhe',
    },
    // cid_profiles_test.go @00fb95d6 unixfsV12025.FileOverMaxLinksCID: 1025MiB, seed "v1-2025-seed"
    {
      label: 'max links + 1 chunk',
      size: 1025 * MiB,
      cid: 'bafybeihmzokxxjqwxjcryerhp5ezpcog2wcawfryb2xm64xiakgm4a5jue',
    },
  ])('deterministic file $label ($size bytes) → $cid', { timeout: 300_000 }, async ({ size, cid }) => {
    const file = await writeDeterministicFile(size, 'v1-2025-seed')
    expect(await cidString(file, profile)).toBe(cid)
    await fs.rm(file)
  })

  it('folder planets (t0040 add_directory --cid-version=1, PLANETS)', async () => {
    // t0040-add-and-cat.sh add_directory '--cid-version=1': PLANETS=bafybeih7e5d…
    const dir = await writeTree('planets', { 'mars.txt': 'Hello Mars!\n', 'venus.txt': 'Hello Venus!\n' })
    expect(await cidString(dir, profile)).toBe('bafybeih7e5dmkyk25up5vxug4q3hrg2fxbzf23dfrac2fns5h7z4aa7ioi')
  })

  it.each([
    // cid_profiles_test.go unixfsV12025.DirBasicCID: 4765 names of 11 chars + 1 of 21; block = 4765 × 55 + 65 + 4
    // = 262144 bytes, exactly at the threshold, stays basic. Seed hamtSeedForProfile = "hamt-unixfs-v1-2025".
    {
      label: 'at threshold (basic)',
      lastNameLen: 21,
      cid: 'bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4',
    },
    // cid_profiles_test.go unixfsV12025.DirHAMTCID: last name of 22 chars; block = 262145 bytes → HAMT.
    {
      label: '1 byte over threshold (HAMT)',
      lastNameLen: 22,
      cid: 'bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu',
    },
  ])('folder $label: 4766 files → $cid', { timeout: 60_000 }, async ({ lastNameLen, cid }) => {
    const names = deterministicNames(4766, 11, lastNameLen, 'hamt-unixfs-v1-2025')
    expect(new Set(names).size).toBe(4766)
    const dir = await writeTree('hamt-unixfs-v1-2025', Object.fromEntries(names.map((n) => [n, 'x'])))
    expect(await cidString(dir, profile)).toBe(cid)
    await fs.rm(dir, { recursive: true })
  })
})
