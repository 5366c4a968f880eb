/**
 * The output folder must not be inside the input (it would be published into itself) nor contain it
 * (replacing it would delete the input), however the paths are spelt: directly, equal, or through a
 * symbolic link. `publish()` rejects with `ERR_OUTPUT_INSIDE_INPUT` naming both folders and the fix;
 * the CLI exits 3; nothing is written.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { publish } from '../../src/publish.js'
import { runCli } from '../helpers/cli.js'
import { leftovers, snapshot, tempDirs } from '../helpers/fs.js'
import { rejectionOf, writeFiles } from '../helpers/publish-outcome.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

interface Case {
  name: string
  /** Input and output, given the temp folder that holds `site/` (with `site/assets/`). */
  paths: (base: string) => Promise<{ dir: string; out: string }>
  says: RegExp
}

const OUT_IN_IN =
  /is inside the input folder .*, so it would be published into itself\. Choose an output folder outside the input, or use --in-place\./
const IN_IN_OUT =
  /contains the input folder .*; replacing it would delete the input\. Choose an output folder beside the input, or use --in-place\./

const cases: Case[] = [
  {
    name: 'the output inside the input',
    paths: async (base) => ({ dir: path.join(base, 'site'), out: path.join(base, 'site/p2p') }),
    says: OUT_IN_IN,
  },
  {
    name: 'the output deep inside the input, not there yet',
    paths: async (base) => ({ dir: path.join(base, 'site'), out: path.join(base, 'site/a/b/c') }),
    says: OUT_IN_IN,
  },
  {
    name: 'the output equal to the input (without --in-place)',
    paths: async (base) => ({ dir: path.join(base, 'site'), out: path.join(base, 'site') }),
    says: IN_IN_OUT,
  },
  {
    name: 'the input inside the output',
    paths: async (base) => ({ dir: path.join(base, 'site'), out: base }),
    says: IN_IN_OUT,
  },
  {
    name: 'the output a link to a folder inside the input',
    paths: async (base) => {
      await fs.symlink(path.join(base, 'site/assets'), path.join(base, 'public'))
      return { dir: path.join(base, 'site'), out: path.join(base, 'public') }
    },
    says: OUT_IN_IN,
  },
  {
    name: 'the input reached through a link, the output inside its target',
    paths: async (base) => {
      await fs.symlink(path.join(base, 'site'), path.join(base, 'site-link'))
      return { dir: path.join(base, 'site-link'), out: path.join(base, 'site/p2p') }
    },
    says: OUT_IN_IN,
  },
]

/** Publish's temporary folders beside `out` (none when its parent does not exist either). */
const leftoversBeside = (out: string) => leftovers(path.dirname(out)).catch(() => [])

async function setup(paths: Case['paths']) {
  const base = await temp.make('out-location')
  await writeFiles(base, { 'site/index.html': '<h1>home</h1>', 'site/assets/app.css': 'body{}' })
  return { base, cacheDir: path.join(base, 'cache'), ...(await paths(base)) }
}

describe.each(cases)('publish: $name', ({ paths, says }) => {
  it('publish() rejects with ERR_OUTPUT_INSIDE_INPUT naming both folders and the fix; nothing written', async () => {
    const { base, dir, out, cacheDir } = await setup(paths)
    const before = await snapshot(base)
    const err = await rejectionOf(publish({ dir, out, cacheDir }))

    expect(err.code, err.message).toBe('ERR_OUTPUT_INSIDE_INPUT')
    expect(err.message).toContain(out)
    expect(err.message).toContain(dir)
    expect(err.message).toMatch(says)
    expect(await snapshot(base)).toEqual(before)
    expect(await leftoversBeside(out)).toEqual([])
  })

  it('the CLI prints the message, exits 3, and writes nothing', async () => {
    const { base, dir, out, cacheDir } = await setup(paths)
    const before = await snapshot(base)
    const run = await runCli(['publish', dir, '--out', out, '--cache-dir', cacheDir, '--no-progress'], {
      cwd: base,
    })

    expect(run.code, run.stderr).toBe(3)
    expect(run.stderr).toMatch(/^p2pcdn: /)
    expect(run.stderr).toContain(out)
    expect(run.stderr).toMatch(says)
    expect(run.stderr).not.toMatch(/\n\s+at /)
    expect(await snapshot(base)).toEqual(before)
    expect(await leftoversBeside(out)).toEqual([])
  })
})
