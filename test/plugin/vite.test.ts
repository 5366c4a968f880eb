import fs from 'node:fs/promises'
import path from 'node:path'
import { build, createLogger, type InlineConfig } from 'vite'
import { afterEach, describe, expect, it } from 'vitest'
import { MANIFEST_FILE } from '../../src/index.js'
import type { P2pcdnPluginOptions } from '../../src/plugin/vite.js'
import p2pcdn from '../../src/plugin/vite.js'
import {
  addMissingReference,
  appCopies,
  breakEntry,
  exists,
  expectPublished,
  PLUGIN_OPTIONS,
} from './helpers.js'

const apps = appCopies()
afterEach(() => apps.cleanup())

function viteConfig(root: string, options: P2pcdnPluginOptions, mode = 'production'): InlineConfig {
  return {
    root,
    mode,
    configFile: false,
    logLevel: 'silent',
    // Keep the small PNG a file rather than a data: URL.
    build: { assetsInlineLimit: 0 },
    plugins: [p2pcdn(options)],
  }
}

describe('p2pcdn/vite', () => {
  it('publishes the production build in place: manifest, IPFS links and the fallback runtime', async () => {
    const app = await apps.basic()
    await build(viteConfig(app, PLUGIN_OPTIONS))
    const outDir = path.join(app, 'dist')
    const manifest = await expectPublished(outDir, [
      /^assets\/.+\.js$/,
      /^assets\/.+\.css$/,
      /^assets\/img-.+\.png$/,
    ])
    const cidOf = (pattern: RegExp) => {
      const asset = manifest.assets.find((a) => pattern.test(a.path))
      if (asset === undefined) throw new Error(`no asset matching ${pattern}`)
      return asset.cid
    }
    const html = await fs.readFile(path.join(outDir, 'index.html'), 'utf8')
    expect(html).toContain(`https://gateway.example.com/ipfs/${cidOf(/\.js$/)}`)
    expect(html).toContain(`https://gateway.example.com/ipfs/${cidOf(/\.css$/)}`)
    expect(html).toContain('p2pcdn-fallback.js')
    expect(await exists(path.join(outDir, 'p2pcdn-fallback.js'))).toBe(true)
    // The stylesheet's image reference went to IPFS too.
    const css = manifest.assets.find((a) => a.path.endsWith('.css'))?.path ?? ''
    expect(await fs.readFile(path.join(outDir, css), 'utf8')).toContain(cidOf(/\.png$/))
  })

  it('reports publish warnings through this.warn', async () => {
    const app = await apps.basic()
    await addMissingReference(app)
    const warnings: string[] = []
    const logger = createLogger('silent')
    logger.warn = (message) => void warnings.push(message)
    await build({ ...viteConfig(app, PLUGIN_OPTIONS), customLogger: logger })
    await expectPublished(path.join(app, 'dist'))
    const ours = warnings.filter((m) => m.includes('[p2pcdn]'))
    expect(ours).toHaveLength(1)
    expect(ours[0]).toMatch(/assets\/index-.+\.css:\d+: references "\.\/gone\.png".*\(W_ASSET_MISSING\)/)
  })

  it('does nothing when the build fails, and Vite reports its own error', async () => {
    const app = await apps.basic()
    await breakEntry(app)
    await expect(build(viteConfig(app, PLUGIN_OPTIONS))).rejects.toThrow(/does-not-exist/)
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })

  it('does nothing in a development build', async () => {
    const app = await apps.basic()
    await build(viteConfig(app, PLUGIN_OPTIONS, 'development'))
    expect(await exists(path.join(app, 'dist/index.html'))).toBe(true)
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })

  it('fails the build through this.error on a bad option', async () => {
    const app = await apps.basic()
    await expect(build(viteConfig(app, { ...PLUGIN_OPTIONS, fallbackTimeout: 5 }))).rejects.toThrow(
      /`fallbackTimeout` option/,
    )
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })
})
