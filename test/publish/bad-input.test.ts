/**
 * The input folder is missing, is a file, or holds nothing to publish: `publish()` rejects with a
 * `P2pcdnError` whose message names the path and says what to do, the CLI prints it and exits 3,
 * and nothing is written (no output folder, no temporary folder, no cache).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { P2pcdnOptions } from '../../src/options.js'
import { publish } from '../../src/publish.js'
import { runCli } from '../helpers/cli.js'
import { snapshot, tempDirs } from '../helpers/fs.js'
import { expectNothingWritten, rejectionOf, writeFiles } from '../helpers/publish-outcome.js'

interface Case {
  name: string
  /** Builds the input under `tmp` and returns its path. */
  setup: (tmp: string) => Promise<string>
  options?: P2pcdnOptions
  args?: string[]
  code: string
  /** What the message must say besides the path: the problem and the fix. */
  says: RegExp[]
}

const cases: Case[] = [
  {
    name: 'a folder that does not exist',
    setup: async (tmp) => path.join(tmp, 'dist'),
    code: 'ERR_INPUT_MISSING',
    says: [/does not exist/, /Pass the folder your site build writes to/],
  },
  {
    name: 'a file instead of a folder',
    setup: async (tmp) => {
      await writeFiles(tmp, { 'dist/index.html': '<h1>hi</h1>' })
      return path.join(tmp, 'dist/index.html')
    },
    code: 'ERR_INPUT_NOT_DIRECTORY',
    says: [/is a file, not a folder/, /Pass the folder that holds the site/],
  },
  {
    name: 'an empty folder',
    setup: async (tmp) => {
      await fs.mkdir(path.join(tmp, 'dist'))
      return path.join(tmp, 'dist')
    },
    code: 'ERR_INPUT_EMPTY',
    says: [/holds no files to publish/, /Build the site first/],
  },
  {
    name: 'a folder that holds only empty folders',
    setup: async (tmp) => {
      await fs.mkdir(path.join(tmp, 'dist/assets/img'), { recursive: true })
      return path.join(tmp, 'dist')
    },
    code: 'ERR_INPUT_EMPTY',
    says: [/holds no files to publish/, /Build the site first/],
  },
  {
    name: 'a folder that holds only dotfiles',
    setup: async (tmp) => {
      await writeFiles(tmp, { 'dist/.htaccess': 'Deny from all', 'dist/.well-known/security.txt': 'x' })
      return path.join(tmp, 'dist')
    },
    code: 'ERR_INPUT_EMPTY',
    says: [/holds no files to publish/, /`dotfiles`/],
  },
  {
    name: 'a folder whose files are all excluded',
    setup: async (tmp) => {
      await writeFiles(tmp, { 'dist/index.html': 'a', 'dist/blog/post.html': 'b' })
      return path.join(tmp, 'dist')
    },
    options: { exclude: ['**/*.html'] },
    args: ['--exclude', '**/*.html'],
    code: 'ERR_INPUT_EMPTY',
    says: [/holds no files to publish/, /`include`, `exclude`/],
  },
]

describe.each(cases)('publish: $name', ({ setup, options, args, code, says }) => {
  const temp = tempDirs()
  let tmp: string
  let input: string

  beforeEach(async () => {
    tmp = await temp.make('bad-input')
    input = await setup(tmp)
  })
  afterEach(() => temp.cleanup())

  it(`publish() rejects with ${code}, names the path and the fix, and writes nothing`, async () => {
    const before = await snapshot(tmp)
    const err = await rejectionOf(publish({ dir: input, cacheDir: path.join(tmp, 'cache'), ...options }))

    expect(err.name).toBe('P2pcdnError')
    expect(err.code).toBe(code)
    expect(err.message).toContain(input)
    for (const pattern of says) expect(err.message).toMatch(pattern)
    await expectNothingWritten(`${input}-p2p`)
    expect(await snapshot(tmp)).toEqual(before)
  })

  it('the CLI prints the message without a stack, exits 3, and writes nothing', async () => {
    const before = await snapshot(tmp)
    const result = await runCli(
      ['publish', input, '--cache-dir', path.join(tmp, 'cache'), '--no-progress', ...(args ?? [])],
      { cwd: tmp },
    )

    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^p2pcdn: /)
    expect(result.stderr).toContain(input)
    for (const pattern of says) expect(result.stderr).toMatch(pattern)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    await expectNothingWritten(`${input}-p2p`)
    expect(await snapshot(tmp)).toEqual(before)
  })
})
