import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { P2pcdnError, readResults } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'
import { curl, gets, writeTree } from './fixtures.js'

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

const valid = (extra: Record<string, unknown> = {}) => ({
  curl: { iphone: curl([0.2, 0.3]) },
  ipfs_mit: { iphone: gets([0.1, 0.1]) },
  ...extra,
})

async function rejection(promise: Promise<unknown>): Promise<P2pcdnError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(P2pcdnError)
  return err as P2pcdnError
}

describe('readResults', () => {
  it('reads folders recursively, a test per folder name, and sorts clients by number', async () => {
    const root = await dirs.make('results')
    await writeTree(root, {
      'test-a/client-10.json': valid(),
      'test-a/client-2.json': valid({ pings: { mit: {} }, VERSION: 'v0.4.0' }),
      'deeper/test-b/c.json': valid(),
      'test-a/README.md': '# not results',
      'test-a/.draft.json': 'not even json',
      '.git/objects/x.json': 'not even json',
    })
    const { entries, warnings } = await readResults([root])
    expect(warnings).toEqual([])
    expect(entries.map((e) => [e.group, e.client, path.relative(root, e.file)])).toEqual([
      ['test-a', 'client-2', 'test-a/client-2.json'],
      ['test-a', 'client-10', 'test-a/client-10.json'],
      ['test-b', 'c', 'deeper/test-b/c.json'],
    ])
    expect(entries[0]?.results.VERSION).toBe('v0.4.0')
  })

  it('takes files and folders together, each file once', async () => {
    const root = await dirs.make('results')
    await writeTree(root, { 'test-a/one.json': valid(), 'test-b/two.json': valid() })
    const { entries } = await readResults([
      path.join(root, 'test-a', 'one.json'),
      root,
      path.join(root, 'test-b'),
    ])
    expect(entries.map((e) => e.client)).toEqual(['one', 'two'])
  })

  it('refuses two files for the same client of a test, naming both', async () => {
    const a = await dirs.make('results')
    const b = await dirs.make('results')
    await writeTree(a, { 'test-1/client-1.json': valid() })
    await writeTree(b, { 'test-1/client-1.json': valid() })
    const err = await rejection(readResults([a, b]))
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.message).toContain(path.join(a, 'test-1/client-1.json'))
    expect(err.message).toContain(path.join(b, 'test-1/client-1.json'))
  })

  it('names a path that does not exist, and a folder without results', async () => {
    const root = await dirs.make('results')
    const missing = await rejection(readResults([path.join(root, 'nope')]))
    expect(missing.code).toBe('ERR_INPUT_MISSING')
    expect(missing.message).toContain(path.join(root, 'nope'))
    await fs.mkdir(path.join(root, 'empty'))
    await writeTree(root, { 'empty/notes.txt': 'x' })
    const empty = await rejection(readResults([path.join(root, 'empty')]))
    expect(empty.code).toBe('ERR_INPUT_EMPTY')
    expect(empty.message).toContain(path.join(root, 'empty'))
  })

  it('warns when a recorded average is not the mean of its samples', async () => {
    const root = await dirs.make('results')
    await writeTree(root, {
      't/c.json': valid({ ipfs_mit: { iphone: { ...gets([0.1, 0.3]), average: 0.25 } } }),
    })
    const { warnings } = await readResults([root])
    expect(warnings).toEqual([expect.objectContaining({ code: 'W_RESULTS_AVERAGE' })])
    expect(warnings[0]?.message).toContain('ipfs_mit.iphone.average')
  })

  it('takes a mean rounded to the microsecond (as curl and p2pcdn bench print it) as the mean', async () => {
    const root = await dirs.make('results')
    // The mean of the samples is 0.076113666…; the file says 0.076114.
    await writeTree(root, {
      't/c.json': valid({
        ipfs_mit: { iphone: { ...gets([0.076114, 0.076113, 0.076114]), average: 0.076114 } },
      }),
    })
    const { warnings } = await readResults([root])
    expect(warnings).toEqual([])
  })

  // Each invalid file is refused with its path and the key that is wrong.
  const invalid: [string, unknown, string][] = [
    ['text that is not JSON', '{"curl": ', 'is not valid JSON'],
    ['an array', '[]', '`(the top level)` must be an object'],
    ['no curl', { ipfs_mit: {} }, '`curl` must be an object'],
    ['a VERSION that is a number', valid({ VERSION: 4 }), '`VERSION` must be a string'],
    ['an asset without samples', { curl: { iphone: { average: {} } } }, '`curl.iphone.samples` must be'],
    [
      'no origin samples',
      { curl: { iphone: { samples: { total: [] } } } },
      '`curl.iphone.samples.total` must be a non-empty',
    ],
    [
      'a time that is text',
      valid({ ipfs_mit: { iphone: gets(['0.1' as unknown as number]) } }),
      '`ipfs_mit.iphone.gets[0]` must be a time',
    ],
    ['a negative time', { curl: { iphone: curl([0.2, -1]) } }, '`curl.iphone.samples.total[1]`'],
    [
      'a phase with fewer samples',
      { curl: { iphone: { samples: { total: [0.2, 0.3], time_connect: [0.1] } } } },
      '`curl.iphone.samples.time_connect` must be as long as `samples.total` (2 samples)',
    ],
    [
      'fewer tries than gets',
      valid({ ipfs_mit: { iphone: { gets: [0.1, 0.2], tries: 1 } } }),
      '`ipfs_mit.iphone.tries`',
    ],
    ['a source that is not an object', valid({ ipfs_gateway: [1, 2] }), '`ipfs_gateway` must be an object'],
    [
      'gets that are not a list',
      valid({ ipfs_mit: { iphone: { gets: 0.1 } } }),
      '`ipfs_mit.iphone.gets` must be an array',
    ],
  ]
  it.each(invalid)('refuses %s, naming the file and the key', async (_, content, expected) => {
    const root = await dirs.make('results')
    await writeTree(root, { 'test-1/good.json': valid(), 'test-1/bad.json': content })
    const err = await rejection(readResults([root]))
    expect(err.code).toBe('ERR_RESULTS_INVALID')
    expect(err.message).toContain(path.join(root, 'test-1', 'bad.json'))
    expect(err.message).toContain(expected)
  })
})
