import path from 'node:path'
import { build } from 'esbuild'
import { afterEach, describe, expect, it } from 'vitest'
import { MANIFEST_FILE } from '../../src/index.js'
import p2pcdn, { type P2pcdnPluginOptions } from '../../src/plugin/esbuild.js'
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

function buildApp(app: string, options: P2pcdnPluginOptions, external: string[] = []) {
  return build({
    absWorkingDir: app,
    entryPoints: ['src/main.js'],
    bundle: true,
    minify: true,
    outdir: 'dist',
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    loader: { '.png': 'file' },
    external,
    logLevel: 'silent',
    plugins: [p2pcdn(options)],
  })
}

describe('p2pcdn/esbuild', () => {
  it('publishes the written output in place', async () => {
    const app = await apps.basic()
    const result = await buildApp(app, PLUGIN_OPTIONS)
    expect(result.errors).toEqual([])
    await expectPublished(path.join(app, 'dist'), [/^main-.+\.js$/, /^main-.+\.css$/, /^img-.+\.png$/])
  })

  it('reports publish warnings in the build result', async () => {
    const app = await apps.basic()
    await addMissingReference(app)
    const result = await buildApp(app, PLUGIN_OPTIONS, ['./gone.png'])
    await expectPublished(path.join(app, 'dist'))
    expect(result.warnings).toHaveLength(1)
    expect(result.warnings[0]?.text).toMatch(
      /\[p2pcdn\] main-.+\.css:\d+: references "\.\/gone\.png".*\(W_ASSET_MISSING\)/,
    )
    expect(result.warnings[0]?.pluginName).toBe('p2pcdn')
  })

  it('does nothing when the build fails, and esbuild reports its own error', async () => {
    const app = await apps.basic()
    await breakEntry(app)
    await expect(buildApp(app, PLUGIN_OPTIONS)).rejects.toThrow(/does-not-exist/)
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })

  it('fails the build through the onEnd result on a bad option', async () => {
    const app = await apps.basic()
    const failure = await buildApp(app, { ...PLUGIN_OPTIONS, fallbackTimeout: 5 }).then(
      () => undefined,
      (error: unknown) => error as { errors: { text: string; pluginName: string }[] },
    )
    expect(failure?.errors).toHaveLength(1)
    expect(failure?.errors[0]?.text).toMatch(/`fallbackTimeout` option/)
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })
})
