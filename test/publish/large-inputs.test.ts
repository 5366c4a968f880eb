/**
 * Inputs that grow: a 1 GiB file must stream through in bounded memory (the publish runs in a
 * child process on the built library, so its peak RSS is its own), and 20,000 files in one folder
 * give a HAMT-sharded directory with the root `ipfs add -r` gives.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { CarBlockIterator } from '@ipld/car/iterator'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { afterEach, describe, expect, it } from 'vitest'
import { PROFILES, type ProfileName } from '../../src/constants.js'
import { cidOfPath } from '../../src/import/cid-of-path.js'
import type { ManifestAsset } from '../../src/manifest/write-manifest.js'
import { publish } from '../../src/publish.js'
import { ROOT, tempDirs } from '../helpers/fs.js'
import { cidOfOutputCopy, readManifest } from '../helpers/publish-outcome.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

const MiB = 1024 * 1024
const GiB = 1024 * MiB
/** Peak resident memory allowed for publishing a 1 GiB file: a few chunks in flight, never the file. */
const MAX_RSS = 300 * 1000 * 1000
/** Wall-clock budget for publishing a 1 GiB file (a few seconds on a laptop). */
const LARGE_FILE_DEADLINE_MS = 50_000

interface ChildOutcome {
  root: string
  assets: ManifestAsset[]
  carBytes: number
  maxRss: number
  ms: number
}

/**
 * Publishes `dir` in a child process running the built library (`dist/src/index.js`, from
 * `npm run build`), killed after `deadlineMs`; returns its result and peak RSS in bytes.
 */
async function publishInChild(base: string, dir: string, profile: ProfileName, deadlineMs: number) {
  const script = path.join(base, 'publish-child.mjs')
  await fs.writeFile(
    script,
    [
      `import { publish } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/src/index.js')).href)}`,
      'const [dir, out, cacheDir, profile] = process.argv.slice(2)',
      'const started = performance.now()',
      'const result = await publish({ dir, out, cacheDir, profile, car: true })',
      'const { root, assets, carBytes } = result',
      // maxRSS is in kibibytes.
      'const maxRss = process.resourceUsage().maxRSS * 1024',
      'process.stdout.write(JSON.stringify({ root, assets, carBytes, maxRss, ms: performance.now() - started }))',
    ].join('\n'),
  )
  const out = path.join(base, 'site-p2p')
  const child = spawn(process.execPath, [script, dir, out, path.join(base, 'cache'), profile], {
    cwd: base,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, deadlineMs)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  }).finally(() => clearTimeout(timer))
  expect(timedOut, `publishing took longer than ${deadlineMs / 1000} s`).toBe(false)
  expect(code, stderr).toBe(0)
  return { out, outcome: JSON.parse(stdout) as ChildOutcome }
}

/** A 1 GiB file whose every 256 KiB piece differs, so no chunk is deduplicated under either profile. */
async function writeDistinctGiB(file: string): Promise<void> {
  const handle = await fs.open(file, 'w')
  try {
    const buffer = randomBytes(MiB)
    for (let i = 0; i < GiB / MiB; i++) {
      for (let q = 0; q < 4; q++) buffer.writeUInt32BE(i * 4 + q, q * 256 * 1024)
      await handle.write(buffer)
    }
  } finally {
    await handle.close()
  }
}

describe('publish: a 1 GiB file', () => {
  it.each(PROFILES)(
    'a sparse file of zeros, under %s: bounded memory, within the deadline',
    async (profile) => {
      const base = await temp.make('large-file')
      const dir = path.join(base, 'site')
      await fs.mkdir(dir)
      const file = path.join(dir, 'disk.img')
      await fs.writeFile(file, '')
      await fs.truncate(file, GiB)

      const { out, outcome } = await publishInChild(base, dir, profile, LARGE_FILE_DEADLINE_MS)
      expect(outcome.maxRss, `peak RSS ${(outcome.maxRss / 1e6).toFixed(0)} MB`).toBeLessThan(MAX_RSS)
      expect(outcome.assets).toEqual([expect.objectContaining({ path: 'disk.img', size: GiB })])
      expect(outcome.assets[0]?.cid).toBe((await cidOfPath(file, { profile })).toString())
      expect(outcome.root).toBe((await cidOfPath(dir, { profile })).toString())
      expect((await fs.stat(path.join(out, 'disk.img'))).size).toBe(GiB)
    },
    LARGE_FILE_DEADLINE_MS + 30_000,
  )

  it(
    'of distinct chunks: bounded memory, and every byte reaches the CAR',
    async () => {
      const base = await temp.make('large-file')
      const dir = path.join(base, 'site')
      await fs.mkdir(dir)
      const file = path.join(dir, 'video.bin')
      await writeDistinctGiB(file)

      const { out, outcome } = await publishInChild(base, dir, 'unixfs-v1-2025', LARGE_FILE_DEADLINE_MS)
      expect(outcome.maxRss, `peak RSS ${(outcome.maxRss / 1e6).toFixed(0)} MB`).toBeLessThan(MAX_RSS)
      expect(outcome.assets).toEqual([expect.objectContaining({ path: 'video.bin', size: GiB })])
      expect(outcome.carBytes).toBeGreaterThan(GiB)
      expect((await fs.stat(`${out}.car`)).size).toBe(outcome.carBytes)
      expect(outcome.assets[0]?.cid).toBe((await cidOfPath(file)).toString())
      expect(outcome.root).toBe((await cidOfPath(dir)).toString())
    },
    LARGE_FILE_DEADLINE_MS + 60_000,
  )
})

describe('publish: 20,000 files in one folder', () => {
  it('gives a HAMT-sharded root directory, the CID of the output', async () => {
    const base = await temp.make('many-files')
    const dir = path.join(base, 'site')
    await fs.mkdir(dir)
    const count = 20_000
    for (let i = 0; i < count; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, count - i) }, (_, j) =>
          fs.writeFile(path.join(dir, `page-${String(i + j).padStart(5, '0')}.html`), `<p>page ${i + j}</p>`),
        ),
      )
    }
    const out = path.join(base, 'site-p2p')
    const result = await publish({ dir, out, cacheDir: path.join(base, 'cache'), car: true })

    expect(result.files).toBe(count)
    const manifest = await readManifest(out)
    expect(manifest.assets).toHaveLength(count)
    expect(manifest.assets[12_345]?.path).toBe('page-12345.html')
    expect(result.root).toBe(await cidOfOutputCopy(out, 'unixfs-v1-2025'))

    // The root block, read from the CAR: a HAMT-sharded directory.
    const blocks = await CarBlockIterator.fromIterable(createReadStream(`${out}.car`))
    expect((await blocks.getRoots()).map(String)).toEqual([result.root])
    let rootBytes: Uint8Array | undefined
    for await (const { cid, bytes } of blocks) {
      if (cid.toString() === result.root) {
        rootBytes = bytes
        break
      }
    }
    expect(rootBytes, 'the root block is in the CAR').toBeDefined()
    const node = dagPb.decode(rootBytes as Uint8Array)
    expect(UnixFS.unmarshal(node.Data as Uint8Array).type).toBe('hamt-sharded-directory')
  }, 180_000)
})
