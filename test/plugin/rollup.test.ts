import { readFileSync } from 'node:fs'
import path from 'node:path'
import { type Plugin, type RollupLog, rollup } from 'rollup'
import { afterEach, describe, expect, it } from 'vitest'
import { MANIFEST_FILE } from '../../src/index.js'
import p2pcdn, { type P2pcdnPluginOptions } from '../../src/plugin/rollup.js'
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

/** Just enough CSS for the example app: the stylesheet and its image become hashed assets. */
function tinyCss(): Plugin {
  const sheets: { css: string; image: string }[] = []
  return {
    name: 'tiny-css',
    load(id) {
      if (!id.endsWith('.css')) return null
      const image = this.emitFile({
        type: 'asset',
        name: 'img.png',
        source: readFileSync(path.join(path.dirname(id), 'img.png')),
      })
      sheets.push({ css: readFileSync(id, 'utf8'), image })
      return 'export default undefined'
    },
    generateBundle() {
      for (const { css, image } of sheets) {
        const source = css.replace('./img.png', path.basename(this.getFileName(image)))
        this.emitFile({ type: 'asset', name: 'style.css', source })
      }
    },
  }
}

async function buildApp(app: string, options: P2pcdnPluginOptions) {
  const warnings: RollupLog[] = []
  const bundle = await rollup({
    input: path.join(app, 'src/main.js'),
    plugins: [tinyCss(), p2pcdn(options)],
    onwarn: (warning) => warnings.push(warning),
  })
  try {
    await bundle.write({
      dir: path.join(app, 'dist'),
      entryFileNames: '[name]-[hash].js',
      assetFileNames: '[name]-[hash][extname]',
    })
  } finally {
    await bundle.close()
  }
  return { outDir: path.join(app, 'dist'), warnings }
}

describe('p2pcdn/rollup', () => {
  it('publishes the written output in place', async () => {
    const app = await apps.basic()
    const { outDir } = await buildApp(app, PLUGIN_OPTIONS)
    await expectPublished(outDir, [/^main-.+\.js$/, /^style-.+\.css$/, /^img-.+\.png$/])
  })

  it('reports publish warnings through this.warn', async () => {
    const app = await apps.basic()
    await addMissingReference(app)
    const { outDir, warnings } = await buildApp(app, PLUGIN_OPTIONS)
    await expectPublished(outDir)
    const ours = warnings.filter((w) => w.plugin === 'p2pcdn')
    expect(ours).toHaveLength(1)
    expect(ours[0]?.message).toMatch(
      /\[p2pcdn\] style-.+\.css:\d+: references "\.\/gone\.png".*\(W_ASSET_MISSING\)/,
    )
  })

  it('does nothing when the build fails, and Rollup reports its own error', async () => {
    const app = await apps.basic()
    await breakEntry(app)
    await expect(buildApp(app, PLUGIN_OPTIONS)).rejects.toThrow(/does-not-exist/)
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })

  it('fails the build through this.error on a bad option', async () => {
    const app = await apps.basic()
    await expect(buildApp(app, { ...PLUGIN_OPTIONS, fallbackTimeout: 5 })).rejects.toThrow(
      /`fallbackTimeout` option/,
    )
    expect(await exists(path.join(app, 'dist', MANIFEST_FILE))).toBe(false)
  })
})
