/**
 * `importAssets` and the caller's AbortSignal: a dozen files over 1 MB are read as streams at once,
 * and each stream must take its abort listener off the shared signal when it is done (issue 13,
 * item 5: `MaxListenersExceededWarning: 11 abort listeners added to [AbortSignal]`). Abort must
 * still stop a publish midway, with nothing written.
 */
import { randomBytes } from 'node:crypto'
import { getEventListeners } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { P2pcdnError, publish } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'

const temp = tempDirs()
afterEach(() => temp.cleanup())

const FILES = 15
const SIZE = 1.5 * 1024 * 1024

/** A site of `count` files of 1.5 MB each: every one goes through the chunking importer as a stream. */
async function bigFilesSite(count: number): Promise<string> {
  const dir = await temp.make('listeners')
  await Promise.all(
    Array.from({ length: count }, (_, i) => fs.writeFile(path.join(dir, `big-${i}.bin`), randomBytes(SIZE))),
  )
  return dir
}

/** Collects the process warnings emitted while `run` runs. */
async function warningsDuring<T>(run: () => Promise<T>): Promise<{ result: T; warnings: Error[] }> {
  const warnings: Error[] = []
  const onWarning = (warning: Error) => warnings.push(warning)
  process.on('warning', onWarning)
  try {
    const result = await run()
    // Warnings are emitted on the next tick after the listener that caused them.
    await new Promise((resolve) => setImmediate(resolve))
    return { result, warnings }
  } finally {
    process.off('warning', onWarning)
  }
}

/** Files under `dir` this process holds open (Linux: /proc/self/fd). */
async function openFilesUnder(dir: string): Promise<string[]> {
  const open: string[] = []
  for (const fd of await fs.readdir('/proc/self/fd')) {
    const target = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => '')
    if (target.startsWith(`${dir}${path.sep}`)) open.push(target)
  }
  return open
}

describe('importAssets: abort listeners on the caller’s signal', () => {
  it('publishes 15 files of 1.5 MB without MaxListenersExceededWarning, and leaves no listener behind', async () => {
    const dir = await bigFilesSite(FILES)
    const controller = new AbortController()
    const { result, warnings } = await warningsDuring(() =>
      publish({ dir, out: `${dir}-out`, cacheDir: false, signal: controller.signal }),
    )
    expect(result.files).toBe(FILES)
    expect(result.imported).toBe(FILES)
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map(String)).toEqual([])
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('still stops midway when the signal aborts: rejects with ERR_ABORTED, no output, no listener left', async () => {
    // More files than the importer reads at once (16): the first is in while later ones are unread.
    const count = 40
    const dir = await bigFilesSite(count)
    const out = `${dir}-out`
    const controller = new AbortController()
    let files = 0
    const run = publish({
      dir,
      out,
      cacheDir: false,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'p2pcdn:import:file' && ++files === 1) controller.abort()
      },
    })
    const err = await run.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(P2pcdnError)
    expect((err as P2pcdnError).code).toBe('ERR_ABORTED')
    expect(files).toBeLessThan(count)
    await expect(fs.access(out)).rejects.toThrow()
    // No staging folder left beside the output either.
    const siblings = await fs.readdir(path.dirname(out))
    expect(siblings.filter((name) => name.includes(path.basename(out)))).toEqual([])
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    // Every file that was being read is closed again (reads in flight stop at their next chunk).
    let open = await openFilesUnder(dir)
    for (let tries = 0; open.length > 0 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      open = await openFilesUnder(dir)
    }
    expect(open).toEqual([])
  })
})
