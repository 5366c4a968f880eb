/**
 * The README and `--help` cannot drift apart (issue 13, item 7): every flag of every command is in
 * that command's README section, every config-file option and host setting is in the config
 * table, and every plugin-only option is in the bundler plugins section.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { createProgram } from '../cli/run-cli.js'
import { HOST_KEYS } from '../src/hosts/registry.js'
import { OPTION_KEYS } from '../src/options.js'
import { PLUGIN_ONLY_KEYS } from '../src/plugin/unplugin.js'
import { ROOT } from './helpers/fs.js'

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')

/** The text under the first heading that `heading` matches, up to the next heading of that level or higher. */
function section(heading: RegExp): string {
  const lines = README.split('\n')
  const start = lines.findIndex((line) => /^#{2,4} /.test(line) && heading.test(line))
  if (start === -1) throw new Error(`README has no heading matching ${heading}`)
  const level = (lines[start] as string).indexOf(' ')
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && line.indexOf(' ') <= level)
  return lines.slice(start, end === -1 ? undefined : end).join('\n')
}

/** Where each top-level command is documented. */
const SECTIONS: Record<string, RegExp> = {
  publish: /^### `p2pcdn publish/,
  cid: /^### `p2pcdn cid/,
  host: /^### `p2pcdn host`/,
  hosts: /^### `p2pcdn hosts`/,
  push: /^### `p2pcdn hosts`/,
  speedtest: /^### `p2pcdn speedtest/,
  report: /^### `p2pcdn report/,
  bench: /^### `p2pcdn bench`/,
  cache: /^### `p2pcdn cache`/,
}

/** Every command below `command`, with its path (`host token create`). */
function* commands(command: Command, names: string[] = []): Generator<[string[], Command]> {
  for (const sub of command.commands) {
    if (sub.name() === 'help') continue
    yield [[...names, sub.name()], sub]
    yield* commands(sub, [...names, sub.name()])
  }
}

const program = createProgram()
const flagCases = [...commands(program)].flatMap(([names, command]) =>
  command.options
    .filter((option) => option.long !== undefined && option.long !== '--help')
    .map(
      (option) =>
        [`p2pcdn ${names.join(' ')} ${option.long}`, names[0] as string, option.long as string] as const,
    ),
)

describe('README documents every flag', () => {
  it.each(flagCases)('%s', (_title, top, flag) => {
    const pattern = SECTIONS[top]
    expect(pattern, `a README section for \`p2pcdn ${top}\``).toBeDefined()
    expect(section(pattern as RegExp)).toContain(flag)
  })

  it('and every subcommand', () => {
    for (const [names] of commands(program)) {
      const top = names[0] as string
      if (names.length > 1) expect(section(SECTIONS[top] as RegExp)).toContain(names.slice(1).join(' '))
    }
  })

  it('and the global flags', () => {
    for (const option of program.options) if (option.long !== '--help') expect(README).toContain(option.long)
  })
})

describe('README documents every option', () => {
  const config = section(/^## Config file/)
  const documented = (key: string) => config.includes(`\`${key}\``)
  it.each(OPTION_KEYS.filter((key) => !['signal', 'onProgress'].includes(key)))('config option %s', (key) => {
    expect(documented(key)).toBe(true)
  })
  it.each(HOST_KEYS)('host setting %s', (key) => {
    expect(documented(key)).toBe(true)
  })
  it.each(PLUGIN_ONLY_KEYS)('plugin option %s', (key) => {
    expect(section(/^## Bundler plugins/)).toContain(`\`${key}\``)
  })
  it('and the library-only ones in the library section', () => {
    for (const key of ['signal', 'onProgress']) expect(section(/^## Library/)).toContain(key)
  })
})
