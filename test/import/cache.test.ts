/**
 * The cache after issue 15: an index of what was imported (CIDs, SRI digests, DAG layouts), never a
 * second copy of the bytes; bounded by least-recently-used pruning (`cacheMaxSize`), shown and
 * pruned by `p2pcdn cache`; the leaves of a re-publish are read back from the output's files.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cacheUsage, openPublishedSite, publish } from '../../src/index.js'
import { runCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

/** Bytes of every file under `dir`. */
async function sizeOf(dir: string): Promise<number> {
  let total = 0
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.stat(path.join(entry.parentPath, entry.name))).size
  }
  return total
}

/** A site of `small` 20 KB files, pages, and `large` files of 3 MB (several chunks each). */
async function makeSite(base: string, name: string, small: number, large: number): Promise<string> {
  const dir = path.join(base, name)
  await fs.mkdir(path.join(dir, 'img'), { recursive: true })
  await Promise.all(
    Array.from({ length: small }, (_, i) =>
      fs.writeFile(path.join(dir, 'img', `a-${i}.png`), randomBytes(20_000)),
    ),
  )
  for (let i = 0; i < large; i++) await fs.writeFile(path.join(dir, `video-${i}.bin`), randomBytes(3_000_000))
  await fs.writeFile(path.join(dir, 'index.html'), '<img src="img/a-0.png">')
  return dir
}

describe('the cache: an index, not a second copy', () => {
  it('holds at most 5 % of the bytes published, under both profiles', async () => {
    const base = await temp.make('cache-share')
    const dir = await makeSite(base, 'site', 300, 4)
    const cacheDir = path.join(base, 'cache')
    let published = 0
    for (const profile of ['unixfs-v1-2025', 'unixfs-v0-2015'] as const) {
      const result = await publish({ dir, out: path.join(base, `out-${profile}`), cacheDir, profile })
      published += result.bytes
    }
    const cached = await sizeOf(cacheDir)
    expect(cached / published, `${cached} bytes cached for ${published} published`).toBeLessThan(0.05)
    expect(await fs.readdir(cacheDir)).toEqual(['index'])
  })

  it('prunes the least recently published sites to cacheMaxSize, never the one just published', async () => {
    const base = await temp.make('cache-lru')
    const cacheDir = path.join(base, 'cache')
    const sites = [] as string[]
    for (const name of ['one', 'two', 'three']) {
      const dir = await makeSite(base, name, 200, 0)
      sites.push(dir)
      await publish({ dir, out: `${dir}-p2p`, cacheDir })
    }
    const all = await cacheUsage(cacheDir)
    expect(all.sites.map((s) => s.dir)).toEqual(sites)
    const oneSite = Math.max(...all.sites.map((s) => s.size))
    // Room for two: publishing `one` again keeps it (just published) and `three`, drops `two`.
    await publish({
      dir: sites[0] as string,
      out: `${sites[0]}-p2p`,
      cacheDir,
      cacheMaxSize: 2 * oneSite + 100,
    })
    const after = await cacheUsage(cacheDir)
    expect(after.sites.map((s) => s.dir)).toEqual([sites[2], sites[0]])
    expect(after.size).toBeLessThanOrEqual(2 * oneSite + 100)
    // A limit below one site keeps just the one published.
    await publish({ dir: sites[1] as string, out: `${sites[1]}-p2p`, cacheDir, cacheMaxSize: 1 })
    expect((await cacheUsage(cacheDir)).sites.map((s) => s.dir)).toEqual([sites[1]])
  })

  it('`p2pcdn cache` shows the sites and the legacy block store; `cache prune` and publish remove it', async () => {
    const base = await temp.make('cache-cli')
    const cacheDir = path.join(base, 'cache')
    const dir = await makeSite(base, 'site', 20, 0)
    await publish({ dir, out: `${dir}-p2p`, cacheDir })
    // What p2pcdn 0.1 left: a block store beside the index.
    await fs.mkdir(path.join(cacheDir, 'blocks', 'AB'), { recursive: true })
    await fs.writeFile(path.join(cacheDir, 'blocks', 'AB', 'block.data'), randomBytes(50_000))

    const shown = await runCli(['cache', '--cache-dir', cacheDir, '--json'])
    expect(shown.code, shown.stderr).toBe(0)
    const usage = JSON.parse(shown.stdout)
    expect(usage.sites).toEqual([expect.objectContaining({ dir, profile: 'unixfs-v1-2025', files: 21 })])
    expect(usage.legacyBlocks).toEqual({ path: path.join(cacheDir, 'blocks'), size: 50_000 })
    expect(shown.stderr).toContain(dir)
    expect(shown.stderr).toContain('p2pcdn cache prune')

    const pruned = await runCli(['cache', 'prune', '--cache-dir', cacheDir, '--max-size', '1MB'])
    expect(pruned.code, pruned.stderr).toBe(0)
    expect(pruned.stderr).toContain('0 sites removed')
    expect(pruned.stderr).toContain('blocks/')
    expect(await fs.readdir(cacheDir)).toEqual(['index'])

    const emptied = await runCli(['cache', 'prune', '--cache-dir', cacheDir, '--max-size', '0'])
    expect(emptied.code, emptied.stderr).toBe(0)
    expect((await cacheUsage(cacheDir)).sites).toEqual([])

    const bad = await runCli(['cache', 'prune', '--cache-dir', cacheDir, '--max-size', 'lots'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--max-size')

    // The next publish removes a legacy store by itself.
    await fs.mkdir(path.join(cacheDir, 'blocks'), { recursive: true })
    await publish({ dir, out: `${dir}-p2p`, cacheDir })
    expect(await fs.readdir(cacheDir)).toEqual(['index'])
  })

  it('re-publishes from the index, reading nothing, and the output still gives every block', async () => {
    const base = await temp.make('cache-reread')
    const dir = await makeSite(base, 'site', 50, 2)
    const cacheDir = path.join(base, 'cache')
    const out = path.join(base, 'out')
    const first = await publish({ dir, out, cacheDir, car: path.join(base, 'first.car') })
    const again = await publish({ dir, out, cacheDir, car: path.join(base, 'again.car') })
    expect(again.imported).toBe(0)
    expect(again.cached).toBe(first.files)
    const reference = await fs.readFile(path.join(base, 'first.car'))
    expect((await fs.readFile(path.join(base, 'again.car'))).equals(reference)).toBe(true)
    // The output alone (no cache) gives the same blocks: what `p2pcdn push` sends.
    const site = await openPublishedSite(out)
    expect(site.blocks.root.toString()).toBe(first.root)
    expect(await site.blocks.carBytes()).toBe(first.carBytes)
    const chunks: Uint8Array[] = []
    for await (const chunk of site.blocks.car()) chunks.push(chunk)
    expect(Buffer.concat(chunks).equals(reference)).toBe(true)
  })

  it('refuses to push an output whose files changed after publish, naming the file', async () => {
    const base = await temp.make('cache-changed-output')
    const dir = await makeSite(base, 'site', 5, 1)
    const out = path.join(base, 'out')
    const result = await publish({ dir, out, cacheDir: false })
    const site = await openPublishedSite(out)
    // Changed behind the opened site's back: the leaf read for the CAR fails, naming the file.
    const video = path.join(out, 'video-0.bin')
    const handle = await fs.open(video, 'r+')
    await handle.write(Buffer.from([1, 2, 3]), 0, 3, 1_500_000)
    await handle.close()
    const drain = async () => {
      for await (const _ of site.blocks.car()) {
      }
    }
    await expect(drain()).rejects.toThrow(video)
    // Opened again: refused at once.
    await expect(openPublishedSite(out)).rejects.toMatchObject({
      code: 'ERR_OUTPUT_CHANGED',
      message: expect.stringContaining('video-0.bin'),
    })
    expect(result.root).toBe(site.blocks.root.toString())
  })
})
