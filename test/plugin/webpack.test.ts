import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import webpack, { type Configuration, type Stats } from 'webpack'
import { MANIFEST_FILE } from '../../src/index.js'
import p2pcdn, { type P2pcdnPluginOptions } from '../../src/plugin/webpack.js'
import {
  addMissingReference,
  appCopies,
  breakEntry,
  exists,
  expectPublished,
  listFiles,
  PLUGIN_OPTIONS,
} from './helpers.js'

const apps = appCopies()
afterEach(() => apps.cleanup())

function buildApp(
  app: string,
  options: P2pcdnPluginOptions,
  mode: Configuration['mode'] = 'production',
): Promise<Stats> {
  const compiler = webpack({
    mode,
    context: app,
    entry: './src/main.js',
    output: {
      path: path.join(app, 'dist'),
      filename: '[name]-[contenthash].js',
      assetModuleFilename: '[name]-[contenthash][ext]',
      cssFilename: '[name]-[contenthash].css',
    },
    // webpack's own CSS support: the stylesheet and its url() image become hashed files.
    experiments: { css: true },
    module: { rules: [{ test: /\.png$/, type: 'asset/resource' }] },
    infrastructureLogging: { level: 'none' },
    plugins: [p2pcdn(options)],
  })
  return new Promise((resolve, reject) => {
    compiler.run((error, stats) => {
      compiler.close(() => {
        if (error || !stats) reject(error ?? new Error('no stats'))
        else resolve(stats)
      })
    })
  })
}

const messages = (stats: Stats, kind: 'errors' | 'warnings') =>
  (stats.toJson({ all: false, [kind]: true })[kind] ?? []).map((e) => e.message)

describe('p2pcdn/webpack', () => {
  it('publishes the emitted output in place', async () => {
    const app = await apps.basic()
    const stats = await buildApp(app, PLUGIN_OPTIONS)
    expect(messages(stats, 'errors')).toEqual([])
    await expectPublished(path.join(app, 'dist'), [/^main-.+\.js$/, /^main-.+\.css$/, /^img-.+\.png$/])
  })

  it('reports publish warnings in the compilation warnings', async () => {
    const app = await apps.basic()
    // webpack would fail on the missing file; publish sees the reference and warns.
    await addMissingReference(app, '/* webpackIgnore: true */ ')
    const stats = await buildApp(app, PLUGIN_OPTIONS)
    expect(messages(stats, 'errors')).toEqual([])
    await expectPublished(path.join(app, 'dist'))
    const ours = messages(stats, 'warnings').filter((m) => m.includes('[p2pcdn]'))
    expect(ours).toHaveLength(1)
    expect(ours[0]).toMatch(/main-.+\.css:\d+: references "\.\/gone\.png".*\(W_ASSET_MISSING\)/)
  })

  it('does nothing when the build fails, and webpack reports its own error', async () => {
    const app = await apps.basic()
    await breakEntry(app)
    const stats = await buildApp(app, PLUGIN_OPTIONS)
    expect(stats.hasErrors()).toBe(true)
    expect(messages(stats, 'errors').join('\n')).toMatch(/does-not-exist/)
    expect(messages(stats, 'errors').join('\n')).not.toMatch(/\[p2pcdn\]/)
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })

  it('does nothing in a development build', async () => {
    const app = await apps.basic()
    const stats = await buildApp(app, PLUGIN_OPTIONS, 'development')
    expect(stats.hasErrors()).toBe(false)
    expect((await listFiles(path.join(app, 'dist'))).some((f) => f.endsWith('.js'))).toBe(true)
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })

  it('fails the build through compilation.errors on a bad option', async () => {
    const app = await apps.basic()
    const stats = await buildApp(app, { ...PLUGIN_OPTIONS, fallbackTimeout: 5 })
    expect(stats.hasErrors()).toBe(true)
    expect(messages(stats, 'errors').join('\n')).toMatch(/`fallbackTimeout` option/)
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })
})
