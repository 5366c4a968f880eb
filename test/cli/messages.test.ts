/**
 * What a new user sees when they slip (issue 13, item 9), from the built CLI: each slip gets one
 * message naming what is wrong and the fix, not a page of help or a message about something else.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

/** A project folder with a one-file site, outside the repo (so `p2pcdn` is not installed there). */
async function project(files: Record<string, string> = {}): Promise<string> {
  const dir = await temp.make()
  await fs.mkdir(path.join(dir, 'site'))
  await fs.writeFile(path.join(dir, 'site', 'index.html'), '<!doctype html><p>hi</p>')
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text)
  return dir
}

describe('usage errors print one line and where the help is', () => {
  it.each([
    [
      'a mistyped flag',
      ['publish', 'site', '--profil', 'x'],
      /unknown option '--profil'/,
      "See 'p2pcdn publish --help'.",
    ],
    [
      'a bad --profile',
      ['publish', 'site', '--profile', 'v3'],
      /argument 'v3' is invalid/,
      "See 'p2pcdn publish --help'.",
    ],
    [
      'a bad host flag',
      ['host', 'run', '--dht', 'moon'],
      /argument 'moon' is invalid/,
      "See 'p2pcdn host run --help'.",
    ],
    ['an unknown command', ['publsh'], /unknown command 'publsh'/, "See 'p2pcdn --help'."],
  ])('%s', async (_name, args, error, hint) => {
    const cwd = await project()
    const run = await runCli(args, { cwd })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(error)
    expect(run.stderr).toContain(hint)
    expect(run.stderr).not.toContain('Usage:')
    expect(run.stderr.trim().split('\n').length).toBeLessThanOrEqual(3)
  })
})

describe('host --help', () => {
  it('shows the options of `host run`, the default subcommand', async () => {
    const run = await runCli(['host', '--help'])
    expect(run.code).toBe(0)
    for (const flag of ['--listen', '--http', '--repo', '--session', '--storage-max'])
      expect(run.stdout).toContain(flag)
  })
})

describe('messages name the real problem', () => {
  it('a host URL without a scheme says so and shows the fixed URL', async () => {
    const cwd = await project()
    const run = await runCli(['hosts', 'add', 'h1', 'cdn1.example.com', '--type', 'p2pcdn', '--print'], {
      cwd,
    })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('host "h1"')
    expect(run.stderr).toContain('has no scheme')
    expect(run.stderr).toContain('"https://cdn1.example.com"')
    expect(run.stderr).not.toMatch(/credentials/)
  })

  it('a host URL with credentials never shows them', async () => {
    const cwd = await project()
    const run = await runCli(
      ['hosts', 'add', 'h1', 'https://user:s3cret-token@cdn.example.com', '--type', 'p2pcdn', '--print'],
      { cwd },
    )
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('credentials')
    expect(run.stderr).toContain('tokenEnv')
    expect(run.stderr).not.toContain('s3cret-token')
  })

  it('`cid` of a missing path talks about that path, not a site build', async () => {
    const cwd = await project()
    const run = await runCli(['cid', './nope'], { cwd })
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('./nope does not exist')
    expect(run.stderr).not.toMatch(/site build/)
  })

  it.each([
    ['an unexpected token', '{\n  "origin": "https://www.example.com",\n  "gateway": }\n', 3, 14],
    ['a trailing comma', '{\n  "origin": "https://www.example.com",\n}\n', 3, 1],
    ['a missing colon', '{\n  "origin" "https://www.example.com"\n}\n', 2, 12],
    ['an unterminated object', '{\n  "origin": "https://www.example.com"\n', 3, 1],
  ])('a JSON config with %s is reported by line and column', async (_name, text, line, column) => {
    const cwd = await project({ 'p2pcdn.config.json': text })
    const run = await runCli(['publish', 'site', '--no-cache'], { cwd })
    expect(run.code).toBe(2)
    const file = path.join(cwd, 'p2pcdn.config.json')
    expect(run.stderr).toContain(`line ${line}, column ${column} (${file}:${line}:${column})`)
    expect(run.stderr).not.toMatch(/at position/)
  })

  it.each([
    [
      'p2pcdn.config.ts',
      "import { defineConfig } from 'p2pcdn'\nexport default defineConfig({ out: 'from-config' })\n",
    ],
    [
      'p2pcdn.config.mjs',
      "import { defineConfig } from 'p2pcdn'\nexport default defineConfig({ out: 'from-config' })\n",
    ],
  ])(
    "%s importing defineConfig from 'p2pcdn' works where p2pcdn is not installed (npx)",
    async (name, text) => {
      const cwd = await project({ [name]: text })
      const run = await runCli(['publish', 'site', '--no-cache', '--json'], { cwd })
      expect(run.stderr).not.toContain('Cannot find')
      expect(run.code).toBe(0)
      expect(JSON.parse(run.stdout).out).toBe(path.join(cwd, 'from-config'))
    },
  )
})
