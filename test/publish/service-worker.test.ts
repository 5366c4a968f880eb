/**
 * publish with `serviceWorker`: the worker and its config are written beside the fallback
 * runtime, the config lists every published asset by its final CID, and its version changes
 * whenever the site does (so visitors' caches are replaced).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Manifest, P2pcdnError, publish } from '../../src/index.js'
import { copyTree, FIXTURE_SITE, tempDirs } from '../helpers/fs.js'

const GATEWAY = 'https://gateway.example.com'
const temp = tempDirs()
afterEach(() => temp.cleanup())

interface SwConfig {
  version: string
  sources: string[]
  timeout: number
  assets: Record<string, { path: string; size: number; type: string }>
}

async function site() {
  const base = await temp.make('sw')
  const dir = path.join(base, 'site')
  await copyTree(FIXTURE_SITE, dir)
  return { dir, out: path.join(base, 'out') }
}

const read = async <T>(file: string) => JSON.parse(await fs.readFile(file, 'utf8')) as T

describe('publish with serviceWorker', () => {
  it('writes p2pcdn-sw.js and a config of every asset by its final CID; the runtime is told to register it', async () => {
    const { dir, out } = await site()
    await publish({
      dir,
      out,
      cacheDir: false,
      gateway: GATEWAY,
      serviceWorker: { sources: [GATEWAY, 'https://cdn2.example.com/'], timeout: 2500 },
    })
    const worker = await fs.readFile(path.join(out, 'p2pcdn-sw.js'), 'utf8')
    const config = await read<SwConfig>(path.join(out, 'p2pcdn-sw.json'))
    // The built worker, stamped with the config's version so that browsers install a new one.
    const built = (name: string) =>
      fs.readFile(new URL(`../../dist/runtime/${name}`, import.meta.url), 'utf8')
    expect(worker).toBe(`${await built('p2pcdn-sw.js')}\n// p2pcdn-sw ${config.version}\n`)
    // The fallback runtime is the variant that registers it.
    const runtime = await fs.readFile(path.join(out, 'p2pcdn-fallback.js'), 'utf8')
    expect(runtime).toBe(await built('p2pcdn-fallback-sw.js'))
    expect(runtime).toContain('serviceWorker')
    expect(await built('p2pcdn-fallback.js')).not.toContain('serviceWorker')
    expect(config.sources).toEqual([GATEWAY, 'https://cdn2.example.com'])
    expect(config.timeout).toBe(2500)
    expect(config.version).toMatch(/^[0-9a-f]{16}$/)
    const manifest = await read<Manifest>(path.join(out, 'p2pcdn-manifest.json'))
    // Every asset of the manifest, by the CID its links name (rewritten pages and stylesheets by their new CID).
    for (const asset of manifest.assets) {
      expect(config.assets[asset.cid], asset.path).toEqual({
        path: asset.path,
        size: asset.size,
        type: asset.contentType,
      })
    }
    const fallback = await read<{ serviceWorker?: string }>(path.join(out, 'p2pcdn-fallback.json'))
    expect(fallback.serviceWorker).toBe('p2pcdn-sw.js')
  })

  it('changes the version when an asset changes, and keeps it when nothing does', async () => {
    const { dir, out } = await site()
    const options = { dir, out, cacheDir: false as const, gateway: GATEWAY, serviceWorker: true }
    await publish(options)
    const first = await read<SwConfig>(path.join(out, 'p2pcdn-sw.json'))
    expect(first.sources).toEqual([GATEWAY])
    await publish(options)
    expect((await read<SwConfig>(path.join(out, 'p2pcdn-sw.json'))).version).toBe(first.version)
    const css = (await fs.readdir(dir, { recursive: true })).find((f) => String(f).endsWith('.css')) as string
    await fs.appendFile(path.join(dir, css), '\n/* changed */\n')
    await publish(options)
    expect((await read<SwConfig>(path.join(out, 'p2pcdn-sw.json'))).version).not.toBe(first.version)
  })

  it('without it, no worker is shipped; without any source, a clear error', async () => {
    const { dir, out } = await site()
    await publish({ dir, out, cacheDir: false, gateway: GATEWAY })
    await expect(fs.access(path.join(out, 'p2pcdn-sw.js'))).rejects.toThrow()
    expect(await fs.readFile(path.join(out, 'p2pcdn-fallback.js'), 'utf8')).toBe(
      await fs.readFile(new URL('../../dist/runtime/p2pcdn-fallback.js', import.meta.url), 'utf8'),
    )
    expect(
      (await read<{ serviceWorker?: string }>(path.join(out, 'p2pcdn-fallback.json'))).serviceWorker,
    ).toBeUndefined()

    const error = await publish({
      dir,
      out,
      cacheDir: false,
      linkFormat: 'native',
      serviceWorker: true,
    }).catch((e) => e)
    expect(error).toBeInstanceOf(P2pcdnError)
    expect((error as P2pcdnError).message).toContain('serviceWorker.sources')
  })
})
