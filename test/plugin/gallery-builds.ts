/**
 * Real production builds of `fixtures/apps/gallery` (images referenced only
 * from JavaScript, and a lazily imported chunk) with each bundler and its
 * usual way of writing the page: Vite's own index.html, webpack with
 * html-webpack-plugin, Rollup with @rollup/plugin-html and @rollup/plugin-url,
 * esbuild with a hand-written page in its output folder (esbuild writes none).
 * The p2pcdn plugin publishes the output in place.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import htmlModule, { makeHtmlAttributes } from '@rollup/plugin-html'
import urlModule from '@rollup/plugin-url'
import * as esbuild from 'esbuild'
import HtmlWebpackPlugin from 'html-webpack-plugin'
import { rollup } from 'rollup'
import { build as viteBuild } from 'vite'
import webpack from 'webpack'
import p2pcdnEsbuild from '../../src/plugin/esbuild.js'
import p2pcdnRollup from '../../src/plugin/rollup.js'
import type { P2pcdnPluginOptions } from '../../src/plugin/unplugin.js'
import p2pcdnVite from '../../src/plugin/vite.js'
import p2pcdnWebpack from '../../src/plugin/webpack.js'
import { copyTree, ROOT } from '../helpers/fs.js'

// Both packages declare CommonJS-style types for their ES build: the default import is the plugin.
const html = htmlModule as unknown as typeof htmlModule.default
const url = urlModule as unknown as typeof urlModule.default

export const GALLERY_APP = path.join(ROOT, 'fixtures/apps/gallery')

export type Bundler = 'vite' | 'webpack' | 'rollup' | 'esbuild'

/** What the gallery's page needs around the bundle: the elements its script fills. */
const BODY = '<div id="gallery"></div>\n    <button id="more" type="button">More</button>'

const page = (head: string, body = '') =>
  `<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n    <title>p2pcdn gallery app</title>\n${head}\n  </head>\n  <body>\n    ${BODY}\n${body}\n  </body>\n</html>\n`

/**
 * Which bundlers turn which JavaScript reference into an emitted file:
 * esbuild and Rollup (with its usual plugins) do not process
 * `new URL('./badge.png', import.meta.url)`, so only the photo is emitted there.
 */
export const EMITS_BADGE: Record<Bundler, boolean> = {
  vite: true,
  webpack: true,
  rollup: false,
  esbuild: false,
}

/**
 * Copies the gallery app to `app` (with `src/main.js` replaced by `sources.main`, if given) and
 * builds it with `bundler` into `<app>/dist`; returns that folder.
 */
export async function buildGallery(
  bundler: Bundler,
  app: string,
  options: P2pcdnPluginOptions,
  sources: { main?: string } = {},
): Promise<string> {
  await copyTree(GALLERY_APP, app)
  if (sources.main !== undefined) await fs.writeFile(path.join(app, 'src/main.js'), sources.main)
  const outDir = path.join(app, 'dist')
  switch (bundler) {
    case 'vite':
      await viteBuild({
        root: app,
        configFile: false,
        logLevel: 'silent',
        build: { sourcemap: true },
        plugins: [p2pcdnVite(options)],
      })
      break
    case 'webpack': {
      const compiler = webpack({
        mode: 'production',
        context: app,
        entry: './src/main.js',
        devtool: 'source-map',
        output: {
          path: outDir,
          filename: '[name]-[contenthash].js',
          chunkFilename: '[name]-[contenthash].js',
          assetModuleFilename: '[name]-[contenthash][ext]',
        },
        module: { rules: [{ test: /\.png$/, type: 'asset/resource' }] },
        infrastructureLogging: { level: 'none' },
        plugins: [new HtmlWebpackPlugin({ templateContent: page('') }), p2pcdnWebpack(options)],
      })
      const stats = await new Promise<webpack.Stats>((resolve, reject) =>
        compiler.run((error, result) =>
          compiler.close(() => (error || !result ? reject(error ?? new Error('no stats')) : resolve(result))),
        ),
      )
      if (stats.hasErrors()) throw new Error(stats.toString('errors-only'))
      break
    }
    case 'rollup': {
      const bundle = await rollup({
        input: path.join(app, 'src/main.js'),
        plugins: [
          url({ limit: 0, fileName: '[name]-[hash][extname]' }),
          html({
            template: ({ files, publicPath }) =>
              page(
                (files.js ?? [])
                  .filter((f) => f.type === 'chunk' && f.isEntry)
                  .map(
                    (f) =>
                      `    <script ${makeHtmlAttributes({ type: 'module' })} src="${publicPath}${f.fileName}"></script>`,
                  )
                  .join('\n'),
              ),
          }),
          p2pcdnRollup(options),
        ],
      })
      try {
        await bundle.write({
          dir: outDir,
          format: 'es',
          sourcemap: true,
          entryFileNames: '[name]-[hash].js',
          chunkFileNames: '[name]-[hash].js',
        })
      } finally {
        await bundle.close()
      }
      break
    }
    case 'esbuild':
      // esbuild writes no page: the usual setup is a page beside a bundle with a fixed name.
      await fs.mkdir(outDir, { recursive: true })
      await fs.writeFile(
        path.join(outDir, 'index.html'),
        page('    <script type="module" src="main.js"></script>'),
      )
      await esbuild.build({
        absWorkingDir: app,
        entryPoints: ['src/main.js'],
        bundle: true,
        minify: true,
        format: 'esm',
        sourcemap: true,
        outdir: 'dist',
        entryNames: '[name]',
        assetNames: '[name]-[hash]',
        loader: { '.png': 'file' },
        logLevel: 'silent',
        plugins: [p2pcdnEsbuild(options)],
      })
      break
  }
  return outDir
}
