import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { recoverInterrupted } from '../../src/output/staging.js'
import { finished, runCli, startCli } from '../helpers/cli.js'
import { copyTree, FIXTURE_SITE, leftovers, ROOT, snapshot, tempDirs } from '../helpers/fs.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

async function site() {
  const base = await temp.make('cli')
  const dir = path.join(base, 'site')
  await copyTree(FIXTURE_SITE, dir)
  return { base, dir, out: path.join(base, 'site-p2p'), cache: path.join(base, 'cache') }
}

/** A pid that is certainly not running any more. */
function deadPid(): number {
  const child = spawnSync('true')
  return child.pid as number
}

describe('p2pcdn publish (CLI)', () => {
  it('prints one JSON result on stdout and a summary on stderr', async () => {
    const { dir, out, cache } = await site()
    const run = await runCli([
      'publish',
      dir,
      '--out',
      out,
      '--cache-dir',
      cache,
      '--json',
      '--origin',
      'https://www.example.com',
    ])
    expect(run.stderr).toContain('root')
    expect(run.code).toBe(0)
    const result = JSON.parse(run.stdout)
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-manifest.json'), 'utf8'))
    expect(result.root).toBe(manifest.root)
    expect(result.files).toBe(manifest.assets.length)
    expect(run.stderr).toContain(result.root)
    expect(run.stderr).toMatch(/MB\/s/)
    expect(run.stderr).toMatch(/warnings\s+0/)
  })

  it('defaults the output to <dir>-p2p beside the input', async () => {
    const { dir, base, cache } = await site()
    const run = await runCli(['publish', dir, '--cache-dir', cache, '--no-progress'])
    expect(run.code).toBe(0)
    expect((await fs.readdir(base)).sort()).toEqual(['cache', 'site', 'site-p2p'])
    expect(run.stdout).toBe('')
  })

  it('`p2pcdn cid` prints exactly one line, the CID, under either profile', async () => {
    const v1 = await runCli(['cid', path.join(FIXTURE_SITE, 'img/hero.png')])
    expect(v1.code).toBe(0)
    expect(v1.stdout).toMatch(/^bafkrei[a-z2-7]+\n$/)
    // Kubo's t0040-add-and-cat.sh: "Hello Mars!\n" under plain `ipfs add` is QmPrrHqJzto9m7SyiRzarwkqPcCSsKR2EB1AyqJfe8L8tN.
    const { base } = await site()
    await fs.writeFile(path.join(base, 'mars.txt'), 'Hello Mars!\n')
    const v0 = await runCli(['cid', path.join(base, 'mars.txt'), '--profile', 'unixfs-v0-2015'])
    expect(v0.stdout).toBe('QmPrrHqJzto9m7SyiRzarwkqPcCSsKR2EB1AyqJfe8L8tN\n')
  })

  it('stops cleanly on Ctrl-C: exit 130, earlier output untouched, no temporary folder', async () => {
    const { base, dir, out, cache } = await site()
    expect((await runCli(['publish', dir, '--out', out, '--cache-dir', cache])).code).toBe(0)
    const earlier = await snapshot(out)
    // A big file keeps the run busy long enough to be interrupted mid-way.
    await fs.writeFile(path.join(dir, 'video.bin'), Buffer.alloc(1))
    await fs.truncate(path.join(dir, 'video.bin'), 768 * 1024 * 1024)
    const child = startCli(['publish', dir, '--out', out, '--cache-dir', cache])
    const done = finished(child)
    while ((await leftovers(base)).length === 0) await new Promise((r) => setTimeout(r, 20))
    await new Promise((r) => setTimeout(r, 150))
    child.kill('SIGINT')
    const run = await done
    expect(run.stderr).toMatch(/interrupted/)
    expect(run.code).toBe(130)
    expect(await snapshot(out)).toEqual(earlier)
    expect(await leftovers(base)).toEqual([])
  })

  it('survives kill -9: earlier output untouched, and the next run cleans up and succeeds', async () => {
    const { base, dir, out, cache } = await site()
    expect((await runCli(['publish', dir, '--out', out, '--cache-dir', cache])).code).toBe(0)
    const earlier = await snapshot(out)
    const input = await snapshot(dir)
    await fs.writeFile(path.join(dir, 'video.bin'), Buffer.alloc(1))
    await fs.truncate(path.join(dir, 'video.bin'), 768 * 1024 * 1024)
    const inputWithVideo = await snapshot(dir)
    const child = startCli(['publish', dir, '--out', out, '--cache-dir', cache])
    const done = finished(child)
    while ((await leftovers(base)).length === 0) await new Promise((r) => setTimeout(r, 20))
    await new Promise((r) => setTimeout(r, 150))
    child.kill('SIGKILL')
    expect((await done).signal).toBe('SIGKILL')
    expect(await snapshot(out)).toEqual(earlier)
    expect(await snapshot(dir)).toEqual(inputWithVideo)
    expect(Object.keys(input).every((p) => p in inputWithVideo)).toBe(true)

    const again = await runCli(['publish', dir, '--out', out, '--cache-dir', cache])
    expect(again.code).toBe(0)
    expect(await leftovers(base)).toEqual([])
    expect(
      JSON.parse(await fs.readFile(path.join(out, 'p2pcdn-manifest.json'), 'utf8')).assets.map(
        (a: { path: string }) => a.path,
      ),
    ).toContain('video.bin')
  })

  it('puts back an earlier output swapped out by a run killed between its two renames', async () => {
    const { base, dir, out, cache } = await site()
    expect((await runCli(['publish', dir, '--out', out, '--cache-dir', cache])).code).toBe(0)
    const earlier = await snapshot(out)
    const pid = deadPid()
    // The state a kill leaves between `rename(out, old)` and `rename(tmp, out)`.
    await fs.rename(out, path.join(base, `.p2pcdn-old-site-p2p-${pid}-0000`))
    await fs.mkdir(path.join(base, `.p2pcdn-tmp-site-p2p-${pid}-1111`))
    await recoverInterrupted(out)
    expect(await snapshot(out)).toEqual(earlier)
    expect(await leftovers(base)).toEqual([])
  })
})

describe('config files', () => {
  // Inside the project, so that `import { defineConfig } from 'p2pcdn'` resolves to this package.
  const local = path.join(ROOT, '.test-tmp')
  afterAll(() => fs.rm(local, { recursive: true, force: true }))

  it('loads p2pcdn.config.ts with defineConfig from the working folder; flags override it', async () => {
    await fs.mkdir(local, { recursive: true })
    const base = await fs.mkdtemp(path.join(local, 'config-'))
    await copyTree(FIXTURE_SITE, path.join(base, 'site'))
    await fs.writeFile(
      path.join(base, 'p2pcdn.config.ts'),
      [
        "import { defineConfig } from 'p2pcdn'",
        "const profile: 'unixfs-v0-2015' = 'unixfs-v0-2015'",
        "export default defineConfig({ dir: 'site', out: 'public', profile, cacheDir: 'cache', origin: ['https://www.example.com'] })",
        '',
      ].join('\n'),
    )
    const fromFile = await runCli(['publish', '--json'], { cwd: base })
    expect(fromFile.stderr).not.toMatch(/Error/)
    expect(fromFile.code).toBe(0)
    const a = JSON.parse(fromFile.stdout)
    expect(a.out).toBe(path.join(base, 'public'))
    expect(a.profile).toBe('unixfs-v0-2015')
    expect(a.root).toMatch(/^Qm/)
    const manifest = JSON.parse(await fs.readFile(path.join(base, 'public/p2pcdn-manifest.json'), 'utf8'))
    expect(manifest.origins).toEqual(['https://www.example.com'])

    const overridden = await runCli(
      ['publish', '--json', '--profile', 'unixfs-v1-2025', '--out', 'public-v1'],
      { cwd: base },
    )
    expect(overridden.code).toBe(0)
    const b = JSON.parse(overridden.stdout)
    expect(b.profile).toBe('unixfs-v1-2025')
    expect(b.root).toMatch(/^bafybei/)
    expect(b.out).toBe(path.join(base, 'public-v1'))
  })

  it('loads a JSON config named with --config, relative paths against its folder', async () => {
    const { base } = await site()
    await fs.mkdir(path.join(base, 'conf'))
    await fs.writeFile(
      path.join(base, 'conf/p2p.json'),
      JSON.stringify({ dir: '../site', out: '../out', cacheDir: '../cache' }),
    )
    const run = await runCli(['publish', '--config', path.join(base, 'conf/p2p.json'), '--json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).out).toBe(path.join(base, 'out'))
  })
})
