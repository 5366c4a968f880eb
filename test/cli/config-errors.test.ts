/**
 * Bad configuration reaching the built CLI: a config file with invalid values, one that cannot be
 * loaded, a `--config` that does not exist, and invalid flags. Each exits 2 (3 for an output folder
 * that overlaps the input) with a message that names the file or option, the value and the fix,
 * and writes nothing.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { snapshot, tempDirs } from '../helpers/fs.js'
import { expectNothingWritten, writeFiles } from '../helpers/publish-outcome.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

interface Case {
  name: string
  /** Config file name (in the working folder) and its text. */
  file: string
  text: string
  /** Name it with `--config` instead of letting the CLI find it. */
  explicit?: boolean
  exit: 2 | 3
  /** What stderr must hold, given the config file's absolute path. */
  says: (file: string) => (string | RegExp)[]
  /** What it must not hold. */
  notSays?: (string | RegExp)[]
}

const json = (value: unknown) => JSON.stringify(value, null, 2)
const NO_STACK = [/\n\s+at /, /Run again with --debug/]

const cases: Case[] = [
  // Values that resolveOptions rejects.
  {
    name: 'an unknown option',
    file: 'p2pcdn.config.json',
    text: json({ dir: 'site', orign: 'https://www.example.com' }),
    exit: 2,
    says: (file) => [`Unknown option \`orign\` in ${file}`, /Known options: .*\borigin\b/],
  },
  {
    name: 'a string for a boolean',
    file: 'p2pcdn.config.json',
    text: json({ dir: 'site', inPlace: 'yes' }),
    exit: 2,
    says: () => ['The `inPlace` option must be true or false, got: "yes".'],
  },
  {
    name: 'a number for a path',
    file: 'p2pcdn.config.mjs',
    text: 'export default { dir: 42 }\n',
    exit: 2,
    says: () => ['The `dir` option must be a non-empty path string, e.g. "dist", got: 42.'],
  },
  {
    name: 'an empty pattern',
    file: 'p2pcdn.config.json',
    text: json({ dir: 'site', exclude: [''] }),
    exit: 2,
    says: () => ['`exclude`', 'got: [""]', /e\.g\. \["\*\*\/\*\.map"\]/],
  },
  {
    name: 'an origin without a scheme',
    file: 'p2pcdn.config.json',
    text: json({ dir: 'site', origin: 'www.example.com' }),
    exit: 2,
    says: () => ['`origin`', 'got: "www.example.com"', 'e.g. "https://www.example.com"'],
  },
  {
    name: 'an unknown profile',
    file: 'p2pcdn.config.mjs',
    text: "export default { dir: 'site', profile: 'v1' }\n",
    exit: 2,
    says: () => ['`profile`', 'got: "v1"', '"unixfs-v1-2025", "unixfs-v0-2015"'],
  },
  {
    name: 'out together with inPlace',
    file: 'p2pcdn.config.json',
    text: json({ dir: 'site', out: 'public', inPlace: true }),
    exit: 2,
    says: () => ['`out`', 'cannot be combined with `inPlace`', 'got: "public"'],
  },
  {
    name: 'an array instead of an object',
    file: 'p2pcdn.config.json',
    text: json([{ dir: 'site' }]),
    exit: 2,
    says: (file) => [`The config file ${file} must export an object`, 'defineConfig', 'got: an array'],
  },
  // Output folders that overlap the input: input problems, exit 3.
  {
    name: 'an output folder inside the input folder',
    file: 'p2pcdn.config.json',
    text: json({ dir: 'site', out: 'site/p2p' }),
    exit: 3,
    says: () => [
      /The output folder \S+\/site\/p2p is inside the input folder \S+\/site,/,
      /Choose an output folder/,
    ],
  },
  {
    name: 'an input folder inside the output folder',
    file: 'p2pcdn.config.json',
    text: json({ dir: 'site', out: '.' }),
    exit: 3,
    says: () => [
      /contains the input folder \S+\/site; replacing it would delete the input/,
      /Choose an output folder/,
    ],
  },
  // Files that cannot be loaded.
  {
    name: 'a config that throws while loading',
    file: 'p2pcdn.config.mjs',
    text: "throw new Error('DIST_DIR is not set')\n",
    exit: 2,
    says: (file) => [`Could not load the config file ${file}: DIST_DIR is not set.`, 'Fix the file'],
  },
  {
    name: 'a config function that throws',
    file: 'p2pcdn.config.mjs',
    text: "export default () => { throw new Error('DIST_DIR is not set') }\n",
    exit: 2,
    says: (file) => [file, 'DIST_DIR is not set', 'Fix the file'],
  },
  {
    name: 'an async config function that rejects',
    file: 'p2pcdn.config.mjs',
    text: "export default async () => { throw new Error('DIST_DIR is not set') }\n",
    exit: 2,
    says: (file) => [file, 'DIST_DIR is not set', 'Fix the file'],
  },
  {
    name: 'a JavaScript syntax error',
    file: 'p2pcdn.config.mjs',
    text: "export default { dir: 'site',, }\n",
    exit: 2,
    says: (file) => [`Could not load the config file ${file}:`, /Unexpected token/, 'Fix the file'],
  },
  {
    name: 'a TypeScript syntax error',
    file: 'p2pcdn.config.ts',
    text: "const dir: string = \nexport default { dir: 'site' as string,, }\n",
    explicit: true,
    exit: 2,
    says: (file) => [`Could not load the config file ${file}:`, 'Fix the file'],
  },
  {
    name: 'a JSON syntax error',
    file: 'p2p.json',
    text: '{ "dir": "site", }\n',
    explicit: true,
    exit: 2,
    says: (file) => [`Could not load the config file ${file}:`, /JSON/, 'Fix the file'],
  },
]

async function workFolder() {
  const base = await temp.make('config')
  await writeFiles(base, { 'site/index.html': '<h1>home</h1>' })
  return base
}

describe.each(cases)('p2pcdn publish with $name', ({ file, text, explicit, exit, says, notSays }) => {
  it(`exits ${exit}, names the problem and the fix, writes nothing`, async () => {
    const base = await workFolder()
    const config = path.join(base, file)
    await fs.writeFile(config, text)
    const before = await snapshot(base)
    const args = ['publish', '--cache-dir', 'cache', '--no-progress', ...(explicit ? ['--config', file] : [])]
    const run = await runCli(args, { cwd: base })

    expect(run.code, run.stderr).toBe(exit)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^p2pcdn: /)
    for (const expected of says(config)) {
      if (typeof expected === 'string') expect(run.stderr).toContain(expected)
      else expect(run.stderr).toMatch(expected)
    }
    for (const wrong of [...NO_STACK, ...(notSays ?? [])]) expect(run.stderr).not.toMatch(wrong)
    await expectNothingWritten(path.join(base, 'site-p2p'))
    expect(await snapshot(base)).toEqual(before)
  })
})

describe('p2pcdn publish --config', () => {
  it('names the missing file and exits 2', async () => {
    const base = await workFolder()
    const before = await snapshot(base)
    const run = await runCli(
      ['publish', 'site', '--config', 'conf/p2pcdn.config.mjs', '--cache-dir', 'cache'],
      {
        cwd: base,
      },
    )
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toBe(
      `p2pcdn: The config file ${path.join(base, 'conf/p2pcdn.config.mjs')} does not exist. Check the --config path.\n`,
    )
    expect(await snapshot(base)).toEqual(before)
  })
})

interface FlagCase {
  name: string
  args: string[]
  says: (string | RegExp)[]
}

const flagCases: FlagCase[] = [
  {
    name: '--origin without a scheme',
    args: ['--origin', 'www.example.com'],
    says: [/^p2pcdn: The `origin` option/, 'got: "www.example.com"', 'e.g. "https://www.example.com"'],
  },
  {
    name: 'an unknown --profile',
    args: ['--profile', 'v1'],
    says: ["option '--profile <name>' argument 'v1' is invalid", 'unixfs-v1-2025, unixfs-v0-2015'],
  },
  {
    name: '--out with --in-place',
    args: ['--out', 'public', '--in-place'],
    says: [/^p2pcdn: The `out` option cannot be combined with `inPlace`/],
  },
  {
    name: 'a misspelt flag',
    args: ['--orign', 'https://www.example.com'],
    says: ["unknown option '--orign'", '--origin'],
  },
  {
    name: 'a --cache-dir that is a file',
    args: ['--cache-dir', 'not-a-folder'],
    says: [
      /^p2pcdn: Cannot create the cache folder \S+\/not-a-folder: ENOTDIR\./,
      /Pass a writable folder with --cache-dir, or --no-cache/,
    ],
  },
]

describe.each(flagCases)('p2pcdn publish site $name', ({ args, says }) => {
  it('exits 2 with a message naming the flag, the value and the fix; writes nothing', async () => {
    const base = await workFolder()
    await fs.writeFile(path.join(base, 'not-a-folder'), '')
    const before = await snapshot(base)
    const run = await runCli(['publish', 'site', '--no-progress', '--cache-dir', 'cache', ...args], {
      cwd: base,
    })

    expect(run.code, run.stderr).toBe(2)
    for (const expected of says) {
      if (typeof expected === 'string') expect(run.stderr).toContain(expected)
      else expect(run.stderr).toMatch(expected)
    }
    for (const wrong of NO_STACK) expect(run.stderr).not.toMatch(wrong)
    await expectNothingWritten(path.join(base, 'site-p2p'))
    expect(await snapshot(base)).toEqual(before)
  })
})
