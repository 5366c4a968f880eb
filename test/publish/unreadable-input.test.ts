/**
 * A file or folder in the site that the user running publish cannot read. Root ignores file
 * permissions, so the built CLI runs as an unprivileged user (see `unprivileged()`), on a site in a
 * world-accessible temp folder. Expected: exit 3, a message naming the path and the fix, nothing
 * written; and following the fix the message gives makes the publish pass.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDirs } from '../helpers/fs.js'
import { expectNothingWritten, writeFiles } from '../helpers/publish-outcome.js'
import { runCliUnprivileged, unprivileged } from '../helpers/unprivileged.js'

const temp = tempDirs()
let locked: string | undefined
afterEach(async () => {
  if (locked !== undefined) await fs.chmod(locked, 0o755).catch(() => {})
  locked = undefined
  await temp.cleanup()
})

const SITE = {
  'index.html': '<h1>home</h1>',
  'css/site.css': 'body{}',
  'private/notes.html': '<p>notes</p>',
  'secret.html': '<p>secret</p>',
}

/** The site in a world-writable temp folder, with `target` (relative to the site) made unreadable. */
async function lockedSite(target: string) {
  const base = await temp.make('unreadable')
  await fs.chmod(base, 0o777)
  const dir = path.join(base, 'site')
  await writeFiles(dir, SITE)
  locked = path.join(dir, target)
  await fs.chmod(locked, 0o000)
  return {
    base,
    dir,
    out: path.join(base, 'site-p2p'),
    locked,
    args: ['--cache-dir', path.join(base, 'cache')],
  }
}

// No IPNS record: the unprivileged user cannot read the key the suite's other publishes made.
const publishArgs = (dir: string, args: string[]) => ['publish', dir, '--no-progress', '--no-ipns', ...args]

describe.each([
  { kind: 'file', target: 'secret.html' },
  { kind: 'folder', target: 'private' },
])('publish: an unreadable $kind', ({ target }) => {
  const runner = unprivileged()

  it('exits 3 with a message naming the path and the fix, and writes nothing', async (ctx) => {
    if (runner.prefix === undefined) return ctx.skip(runner.reason)
    const { base, dir, out, locked, args } = await lockedSite(target)
    // Names only: reading the locked path's content would need the very permission it lacks.
    const before = (await fs.readdir(base)).sort()
    const run = await runCliUnprivileged(runner.prefix, publishArgs(dir, args), base)

    expect(run.code, run.stderr).toBe(3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^p2pcdn: /)
    expect(run.stderr).toContain(`Cannot read ${locked}: EACCES`)
    expect(run.stderr).toMatch(/Fix its permissions \(e\.g\. chmod /)
    expect(run.stderr).not.toMatch(/\n\s+at /)
    await expectNothingWritten(out)
    expect((await fs.readdir(base)).sort()).toEqual(before)

    // The same run publishes once the path is readable again: the failure came from the permissions.
    await fs.chmod(locked, 0o755)
    const readable = await runCliUnprivileged(runner.prefix, publishArgs(dir, args), base)
    expect(readable.code, readable.stderr).toBe(0)
  })

  it('following the chmod the message suggests makes the publish pass', async (ctx) => {
    if (runner.prefix === undefined) return ctx.skip(runner.reason)
    const { base, dir, args } = await lockedSite(target)
    const advice: string[] = []
    let run = await runCliUnprivileged(runner.prefix, publishArgs(dir, args), base)
    for (let round = 0; round < 3 && run.code !== 0; round++) {
      const fix = /Cannot read (.+?): E[A-Z]+\. Fix its permissions \(e\.g\. chmod (\S+)\)/.exec(run.stderr)
      expect(fix, run.stderr).not.toBeNull()
      const [, file, mode] = fix as unknown as [string, string, string]
      advice.push(`chmod ${mode} ${file}`)
      const chmod = spawnSync('chmod', [mode, file], { encoding: 'utf8' })
      expect(chmod.status, `${advice.join(', then ')}: ${chmod.stderr}`).toBe(0)
      run = await runCliUnprivileged(runner.prefix, publishArgs(dir, args), base)
    }
    expect(run.code, `after ${advice.join(', then ')}: ${run.stderr}`).toBe(0)
  })

  it('excluding the path, when the message suggests it, makes the publish pass', async (ctx) => {
    if (runner.prefix === undefined) return ctx.skip(runner.reason)
    const { base, dir, args } = await lockedSite(target)
    const first = await runCliUnprivileged(runner.prefix, publishArgs(dir, args), base)
    expect(first.code).toBe(3)
    if (!/`exclude`/.test(first.stderr)) return
    const excluded = await runCliUnprivileged(
      runner.prefix,
      publishArgs(dir, [...args, '--exclude', target, '--exclude', `${target}/**`]),
      base,
    )
    expect(excluded.code, `with --exclude ${target}: ${excluded.stderr}`).toBe(0)
  })
})
