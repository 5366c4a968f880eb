import path from 'node:path'
import { createUnplugin } from 'unplugin'
import { errors } from '../errors.js'
import type { P2pcdnOptions } from '../options.js'
import { type PublishResult, publish } from '../publish.js'
import { formatError, formatWarning, type PushProblem, pushProblem, summaryText } from './outcome.js'

export { formatError, formatWarning } from './outcome.js'

/**
 * The bundler plugins' options: the config file's options, with `dir`
 * defaulting to the bundler's own output folder, and what to make of a push
 * that falls short.
 */
export type P2pcdnPluginOptions = Omit<P2pcdnOptions, 'dir' | 'signal' | 'onProgress'> & {
  /** The folder to publish. @default the bundler's output folder (Vite `build.outDir`, webpack `output.path`, Rollup `output.dir`, esbuild `outdir`) */
  dir?: string
  /**
   * Fail the build when fewer hosts than `replication` pinned the site (a host unreachable, or
   * refusing its token). `false` reports it as a warning instead and lets the build pass; the
   * output is published either way.
   * @default true
   */
  failOnPushError?: boolean
}

/** Options only the bundler plugins take (not the config file, nor the CLI); kept from `publish`. */
export const PLUGIN_ONLY_KEYS = ['failOnPushError'] as const satisfies readonly (keyof P2pcdnPluginOptions)[]

const NAME = 'p2pcdn'

/**
 * Publishes a bundler's written output folder. `outDir` is the bundler's own
 * output folder and `cwd` the folder its relative paths are resolved against;
 * the plugin's `dir`/`cwd` win. Without `out`, the folder is replaced in place.
 * The plugin-only `failOnPushError` is checked here and not passed on.
 */
export function publishOutput(
  options: P2pcdnPluginOptions,
  outDir: string,
  cwd: string,
): Promise<PublishResult> {
  const { dir, failOnPushError, ...rest } = options
  if (failOnPushError !== undefined && typeof failOnPushError !== 'boolean') {
    return Promise.reject(errors.optionInvalid('failOnPushError', failOnPushError, 'must be true or false'))
  }
  return publish({
    ...rest,
    cwd: options.cwd ?? cwd,
    dir: dir ?? outDir,
    inPlace: options.inPlace ?? options.out === undefined,
  })
}

/** A publish run as a bundler reports it: warnings, the push's shortfall, the summary line. */
interface Report {
  result: PublishResult
  problem: PushProblem | undefined
  /** The summary line without the `[p2pcdn]` prefix (webpack's logger adds its own). */
  summary: string
}

function report(result: PublishResult, options: P2pcdnPluginOptions): Report {
  return { result, problem: pushProblem(result, options), summary: summaryText(result, options) }
}

/** esbuild log levels at which the summary line is printed (its API's default is `warning`). */
const ESBUILD_QUIET = new Set(['silent', 'error'])

/**
 * The p2pcdn bundler plugin, written once: after a successful production
 * build has written its output, that folder is published (in place unless
 * `out` is set). Warnings and errors go through each bundler's own channel;
 * a push short of `replication` fails the build (unless `failOnPushError:
 * false`), and a successful run logs one summary line.
 */
export const unplugin = createUnplugin<P2pcdnPluginOptions | undefined>((rawOptions = {}) => {
  const options: P2pcdnPluginOptions = { ...rawOptions }
  let viteProduction = false
  let viteRoot = process.cwd()
  let viteInfo: ((message: string) => void) | undefined

  return {
    name: NAME,
    vite: {
      apply: 'build',
      enforce: 'post',
      configResolved(config) {
        viteRoot = config.root
        viteProduction = (config.mode === 'production' || config.isProduction) && !config.build.ssr
        viteInfo = (message) => config.logger.info(message)
      },
      writeBundle: {
        order: 'post',
        sequential: true,
        async handler(output) {
          if (!viteProduction || this.meta.watchMode) return
          const outDir = output.dir ?? (output.file ? path.dirname(output.file) : undefined)
          if (outDir === undefined) return
          let done: Report
          try {
            done = report(await publishOutput(options, path.resolve(viteRoot, outDir), viteRoot), options)
          } catch (error) {
            this.error(formatError(error))
          }
          for (const warning of done.result.warnings) this.warn(formatWarning(warning))
          if (done.problem?.level === 'error') this.error(done.problem.message)
          if (done.problem) this.warn(done.problem.message)
          viteInfo?.(`[p2pcdn] ${done.summary}`)
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
          let done: Report
          try {
            done = report(await publishOutput(options, path.resolve(outDir ?? '.'), process.cwd()), options)
          } catch (error) {
            this.error(formatError(error))
          }
          for (const warning of done.result.warnings) this.warn(formatWarning(warning))
          if (done.problem?.level === 'error') this.error(done.problem.message)
          if (done.problem) this.warn(done.problem.message)
          // `this.info` came with Rollup 3.25; Rollup names the plugin itself (`[plugin p2pcdn] …`).
          if (typeof this.info === 'function') this.info(done.summary)
        },
      },
    },
    webpack(compiler) {
      compiler.hooks.afterEmit.tapPromise(NAME, async (compilation) => {
        if (compiler.options.mode !== 'production' || compiler.watchMode) return
        if (compilation.getStats().hasErrors()) return
        const outDir = compilation.outputOptions.path ?? compiler.outputPath
        const { WebpackError } = compiler.webpack
        let done: Report
        try {
          done = report(await publishOutput(options, outDir, compiler.context), options)
        } catch (error) {
          compilation.errors.push(new WebpackError(formatError(error)))
          return
        }
        for (const warning of done.result.warnings) {
          compilation.warnings.push(new WebpackError(formatWarning(warning)))
        }
        if (done.problem?.level === 'error') {
          compilation.errors.push(new WebpackError(done.problem.message))
          return
        }
        if (done.problem) compilation.warnings.push(new WebpackError(done.problem.message))
        // The infrastructure logger prints at `info` by default (`infrastructureLogging.level`), as `<i> [p2pcdn] …`.
        compiler.getInfrastructureLogger(NAME).info(done.summary)
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
          let done: Report
          try {
            done = report(await publishOutput(options, path.resolve(cwd, outDir ?? '.'), cwd), options)
          } catch (error) {
            return { errors: [{ text: formatError(error), detail: error }] }
          }
          const warnings = done.result.warnings.map((w) => ({
            text: formatWarning(w),
            ...(w.path ? { location: { file: w.path, line: w.line ?? 0 } } : {}),
          }))
          if (done.problem?.level === 'error') return { errors: [{ text: done.problem.message }], warnings }
          if (done.problem) warnings.push({ text: done.problem.message })
          // onEnd results carry no info messages: one line on stderr, unless esbuild is told to be quiet.
          if (!ESBUILD_QUIET.has(initial.logLevel ?? 'warning'))
            process.stderr.write(`[p2pcdn] ${done.summary}\n`)
          return { warnings }
        })
      },
    },
  }
})

export default unplugin
