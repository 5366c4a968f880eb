import path from 'node:path'
import { createUnplugin } from 'unplugin'
import { P2pcdnError } from '../errors.js'
import type { P2pcdnOptions } from '../options.js'
import { type PublishResult, publish } from '../publish.js'
import type { Warning } from '../warnings.js'

/**
 * The bundler plugins' options: the config file's options, with `dir`
 * defaulting to the bundler's own output folder.
 */
export type P2pcdnPluginOptions = Omit<P2pcdnOptions, 'dir' | 'signal' | 'onProgress'> & {
  /** The folder to publish. @default the bundler's output folder (Vite `build.outDir`, webpack `output.path`, Rollup `output.dir`, esbuild `outdir`) */
  dir?: string
}

const NAME = 'p2pcdn'

/** One line per warning, naming the file (and line) when there is one. */
export function formatWarning(warning: Warning): string {
  const where = warning.path === undefined ? '' : `${warning.path}${warning.line ? `:${warning.line}` : ''}: `
  return `[p2pcdn] ${where}${warning.message} (${warning.code})`
}

/** The message a bundler shows for a failed publish; P2pcdnError messages already name the option and the fix. */
export function formatError(error: unknown): string {
  if (error instanceof P2pcdnError) return `[p2pcdn] ${error.message} (${error.code})`
  return `[p2pcdn] publishing failed: ${error instanceof Error ? error.message : String(error)}`
}

/**
 * Publishes a bundler's written output folder. `outDir` is the bundler's own
 * output folder and `cwd` the folder its relative paths are resolved against;
 * the plugin's `dir`/`cwd` win. Without `out`, the folder is replaced in place.
 */
export function publishOutput(
  options: P2pcdnPluginOptions,
  outDir: string,
  cwd: string,
): Promise<PublishResult> {
  const { dir, ...rest } = options
  return publish({
    ...rest,
    cwd: options.cwd ?? cwd,
    dir: dir ?? outDir,
    inPlace: options.inPlace ?? options.out === undefined,
  })
}

/**
 * The p2pcdn bundler plugin, written once: after a successful production
 * build has written its output, that folder is published (in place unless
 * `out` is set). Warnings and errors go through each bundler's own channel.
 */
export const unplugin = createUnplugin<P2pcdnPluginOptions | undefined>((rawOptions = {}) => {
  const options: P2pcdnPluginOptions = { ...rawOptions }
  let viteProduction = false
  let viteRoot = process.cwd()

  return {
    name: NAME,
    vite: {
      apply: 'build',
      enforce: 'post',
      configResolved(config) {
        viteRoot = config.root
        viteProduction = (config.mode === 'production' || config.isProduction) && !config.build.ssr
      },
      writeBundle: {
        order: 'post',
        sequential: true,
        async handler(output) {
          if (!viteProduction || this.meta.watchMode) return
          const outDir = output.dir ?? (output.file ? path.dirname(output.file) : undefined)
          if (outDir === undefined) return
          let result: PublishResult
          try {
            result = await publishOutput(options, path.resolve(viteRoot, outDir), viteRoot)
          } catch (error) {
            this.error(formatError(error))
          }
          for (const warning of result.warnings) this.warn(formatWarning(warning))
        },
      },
    },
    rollup: {
      writeBundle: {
        order: 'post',
        sequential: true,
        async handler(output) {
          if (this.meta.watchMode) return
          const outDir = output.dir ?? (output.file ? path.dirname(output.file) : undefined)
          if (outDir === undefined && options.dir === undefined) {
            this.warn('[p2pcdn] nothing published: set `output.dir` (or `output.file`), or the `dir` option')
            return
          }
          let result: PublishResult
          try {
            result = await publishOutput(options, path.resolve(outDir ?? '.'), process.cwd())
          } catch (error) {
            this.error(formatError(error))
          }
          for (const warning of result.warnings) this.warn(formatWarning(warning))
        },
      },
    },
    webpack(compiler) {
      compiler.hooks.afterEmit.tapPromise(NAME, async (compilation) => {
        if (compiler.options.mode !== 'production' || compiler.watchMode) return
        if (compilation.getStats().hasErrors()) return
        const outDir = compilation.outputOptions.path ?? compiler.outputPath
        const { WebpackError } = compiler.webpack
        try {
          const result = await publishOutput(options, outDir, compiler.context)
          for (const warning of result.warnings) {
            compilation.warnings.push(new WebpackError(formatWarning(warning)))
          }
        } catch (error) {
          compilation.errors.push(new WebpackError(formatError(error)))
        }
      })
    },
    esbuild: {
      setup(build) {
        const initial = build.initialOptions
        build.onEnd(async (result) => {
          if (result.errors.length > 0 || initial.write === false) return
          const cwd = initial.absWorkingDir ?? process.cwd()
          const outDir = initial.outdir ?? (initial.outfile ? path.dirname(initial.outfile) : undefined)
          if (outDir === undefined && options.dir === undefined) {
            return { warnings: [{ text: '[p2pcdn] nothing published: set `outdir`, or the `dir` option' }] }
          }
          try {
            const published = await publishOutput(options, path.resolve(cwd, outDir ?? '.'), cwd)
            return {
              warnings: published.warnings.map((w) => ({
                text: formatWarning(w),
                ...(w.path ? { location: { file: w.path, line: w.line ?? 0 } } : {}),
              })),
            }
          } catch (error) {
            return { errors: [{ text: formatError(error), detail: error }] }
          }
        })
      },
    },
  }
})

export default unplugin
