/**
 * The bundler plugins pushing to a real `p2pcdn host` on 127.0.0.1 (one host for the whole file).
 * A push the host refuses (a wrong token) or that falls short of `replication` (a host down) fails
 * the build through each bundler's own channel (Vite/Rollup: `build()`/`write()` rejects; webpack:
 * `stats.hasErrors()`; esbuild: `build()` rejects with `errors`), naming the host and never the
 * token, and the host keeps what it had; `failOnPushError: false` makes it a warning. A push that
 * succeeds pins the new root on the host and logs one summary line through the bundler's logger.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Writable } from 'node:stream'
import { build as esbuild } from 'esbuild'
import { CID } from 'multiformats/cid'
import { rollup } from 'rollup'
import { createLogger, build as viteBuild } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import webpack, { type Stats } from 'webpack'
import type { RunningHost } from '../../src/host/index.js'
import { type HostEntry, MANIFEST_FILE, type Manifest } from '../../src/index.js'
import p2pcdnEsbuild from '../../src/plugin/esbuild.js'
import p2pcdnRollup from '../../src/plugin/rollup.js'
import type { P2pcdnPluginOptions } from '../../src/plugin/unplugin.js'
import p2pcdnVite from '../../src/plugin/vite.js'
import p2pcdnWebpack from '../../src/plugin/webpack.js'
import { deadUrl } from '../helpers/fault-proxy.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'
import { appCopies, PLUGIN_OPTIONS } from './helpers.js'

const TOKEN_ENV = 'P2PCDN_PLUGIN_TEST_TOKEN'
const HOST_NAME = 'campus-1'
const WRONG_TOKEN = `wrong-${randomBytes(12).toString('hex')}`

const apps = appCopies()
const dirs = tempDirs()
let host: RunningHost
let token: string

beforeAll(async () => {
  ;({ host, token } = await startTestHost(await dirs.make('plugin-push-host')))
})
afterEach(async () => {
  delete process.env[TOKEN_ENV]
  vi.restoreAllMocks()
  await apps.cleanup()
})
afterAll(async () => {
  await host?.stop()
  await dirs.cleanup()
})

/** What a build made of the plugin's report, read from the bundler's own channels. */
interface Outcome {
  /** The build's error, when it failed. */
  failure: string | undefined
  warnings: string[]
  /** Info lines the bundler logged that came from p2pcdn. */
  info: string[]
}

/** `quiet`: the bundler told to log nothing (esbuild `logLevel: 'silent'`; the others ignore it). */
type Driver = (app: string, options: P2pcdnPluginOptions, quiet?: boolean) => Promise<Outcome>

/** p2pcdn's lines: `[p2pcdn] …`, or `[plugin p2pcdn] …` as Rollup names a plugin. */
const ours = (lines: string[]) => lines.filter((l) => /\[(plugin )?p2pcdn\]/.test(l))

const drivers: Record<'vite' | 'webpack' | 'rollup' | 'esbuild', Driver> = {
  /** Vite: `build()` rejects; warnings and info through the (custom) logger. */
  async vite(app, options) {
    const warnings: string[] = []
    const info: string[] = []
    const logger = createLogger('info')
    logger.info = (message) => void info.push(message)
    logger.warn = (message) => void warnings.push(message)
    logger.warnOnce = logger.warn
    logger.error = () => {}
    const failure = await viteBuild({
      root: app,
      mode: 'production',
      configFile: false,
      customLogger: logger,
      build: { assetsInlineLimit: 0 },
      plugins: [p2pcdnVite(options)],
    }).then(
      () => undefined,
      (error: Error) => error.message,
    )
    return { failure, warnings: ours(warnings), info: ours(info) }
  },

  /** webpack: `compilation.errors`/`warnings` in the stats; info from the infrastructure logger. */
  async webpack(app, options) {
    const logged: string[] = []
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk))
        done()
      },
    })
    const compiler = webpack({
      mode: 'production',
      context: app,
      entry: './src/main.js',
      output: { path: path.join(app, 'dist'), filename: '[name]-[contenthash].js' },
      experiments: { css: true },
      module: { rules: [{ test: /\.png$/, type: 'asset/resource' }] },
      // The default level (`info`), written to a stream of our own.
      infrastructureLogging: { stream, colors: false, appendOnly: true },
      plugins: [p2pcdnWebpack(options)],
    })
    const stats = await new Promise<Stats>((resolve, reject) => {
      compiler.run((error, result) => {
        compiler.close(() => (error || !result ? reject(error ?? new Error('no stats')) : resolve(result)))
      })
    })
    const json = stats.toJson({ all: false, errors: true, warnings: true })
    const messages = (list: { message: string }[] | undefined) => (list ?? []).map((e) => e.message)
    return {
      failure: stats.hasErrors() ? messages(json.errors).join('\n') : undefined,
      warnings: ours(messages(json.warnings)),
      info: ours(logged.join('').split('\n')),
    }
  },

  /** Rollup: `bundle.write()` rejects; warnings and info through `onLog`. */
  async rollup(app, options) {
    const warnings: string[] = []
    const info: string[] = []
    const bundle = await rollup({
      input: path.join(app, 'src/main.js'),
      plugins: [
        // The stylesheet becomes an asset of its own; enough CSS support for this app.
        {
          name: 'plain-css',
          load(id) {
            if (!id.endsWith('.css')) return null
            this.emitFile({ type: 'asset', name: 'style.css', source: '' })
            return 'export default undefined'
          },
        },
        p2pcdnRollup(options),
      ],
      onLog: (level, log) => void (level === 'info' ? info : warnings).push(log.message),
    })
    let failure: string | undefined
    try {
      await bundle.write({ dir: path.join(app, 'dist'), entryFileNames: '[name]-[hash].js' })
    } catch (error) {
      failure = (error as Error).message
    } finally {
      await bundle.close()
    }
    return { failure, warnings: ours(warnings), info: ours(info) }
  },

  /** esbuild: `build()` rejects with `errors`; warnings in the result; the summary on stderr. */
  async esbuild(app, options, quiet = false) {
    const stderr: string[] = []
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk))
      return true
    })
    try {
      const result = await esbuild({
        absWorkingDir: app,
        entryPoints: ['src/main.js'],
        bundle: true,
        minify: true,
        outdir: 'dist',
        entryNames: '[name]-[hash]',
        assetNames: '[name]-[hash]',
        loader: { '.png': 'file' },
        // The JS API's default level, `warning`, unless told to be quiet.
        logLevel: quiet ? 'silent' : 'warning',
        plugins: [p2pcdnEsbuild(options)],
      }).then(
        (r) => ({ failure: undefined, warnings: r.warnings.map((w) => w.text) }),
        (error: { errors?: { text: string }[]; message: string }) => ({
          failure: error.errors?.map((e) => e.text).join('\n') ?? error.message,
          warnings: [] as string[],
        }),
      )
      return { ...result, warnings: ours(result.warnings), info: ours(stderr.join('').split('\n')) }
    } finally {
      write.mockRestore()
    }
  },
}

/** A fresh copy of the basic app whose build differs from every other one in this file. */
async function uniqueApp(): Promise<string> {
  const app = await apps.basic()
  const nonce = randomBytes(8).toString('hex')
  await fs.appendFile(path.join(app, 'src/main.js'), `document.title = '${nonce}'\n`)
  return app
}

const registered = (url: string, name = HOST_NAME): HostEntry => ({
  name,
  url,
  type: 'p2pcdn',
  tokenEnv: TOKEN_ENV,
})

function pushOptions(hosts: HostEntry[], extra: P2pcdnPluginOptions = {}): P2pcdnPluginOptions {
  return { ...PLUGIN_OPTIONS, hosts, pushListen: ['/ip4/127.0.0.1/tcp/0'], ...extra }
}

async function rootOf(app: string): Promise<string> {
  const manifest = JSON.parse(await fs.readFile(path.join(app, 'dist', MANIFEST_FILE), 'utf8')) as Manifest
  return manifest.root
}

async function pinnedRoots(): Promise<string[]> {
  const roots: string[] = []
  for await (const pin of host.helia.pins.ls()) roots.push(pin.cid.toString())
  return roots.sort()
}

/** The host's Pinning Service API: the pins of `root` it reports `pinned`. */
async function pinnedByApi(root: string): Promise<number> {
  const res = await fetch(`${host.url}/pins?cid=${root}&status=pinned`, {
    headers: { Authorization: `Bearer ${token}` },
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { count: number }).count
}

function expectNoToken(outcome: Outcome) {
  const all = [outcome.failure ?? '', ...outcome.warnings, ...outcome.info].join('\n')
  expect(all).not.toContain(token)
  expect(all).not.toContain(WRONG_TOKEN)
}

describe.each(Object.keys(drivers) as (keyof typeof drivers)[])('p2pcdn/%s pushing to a host', (bundler) => {
  const build = drivers[bundler]

  it('a refused token fails the build through its error channel, naming the host and what to do', async () => {
    const app = await uniqueApp()
    const before = await pinnedRoots()
    process.env[TOKEN_ENV] = WRONG_TOKEN
    const outcome = await build(app, pushOptions([registered(host.url)]))
    expect(outcome.failure).toBeDefined()
    expect(outcome.failure).toMatch(
      /\[p2pcdn\] push failed: \w+ pinned on 0 of 1 hosts, `replication` requires 1:/,
    )
    expect(outcome.failure).toContain(`${HOST_NAME} (${host.url}): refused the token (HTTP 401`)
    expect(outcome.failure).toContain(`$${TOKEN_ENV}`)
    expect(outcome.failure).toContain('(ERR_HOST_AUTH)')
    expect(outcome.failure).toMatch(/`p2pcdn hosts check`.*`replication`.*`failOnPushError: false`/s)
    expect(outcome.info).toEqual([]) // no summary line for a failed build
    expectNoToken(outcome)
    // The output is published; the host keeps exactly what it had.
    const root = await rootOf(app)
    expect(await pinnedRoots()).toEqual(before)
    expect(before).not.toContain(root)
  })

  it('with the right token it passes, the host pins the new root, and one summary line is logged', async () => {
    const app = await uniqueApp()
    process.env[TOKEN_ENV] = token
    const outcome = await build(app, pushOptions([registered(host.url)], { failOnPushError: true }))
    expect(outcome.failure).toBeUndefined()
    expect(outcome.warnings).toEqual([])
    const root = await rootOf(app)
    expect(await host.helia.pins.isPinned(CID.parse(root))).toBe(true)
    expect(await pinnedByApi(root)).toBe(1)
    expect(outcome.info).toHaveLength(1)
    expect(outcome.info[0]).toMatch(
      new RegExp(
        `p2pcdn\\] published ${root} — \\d+ files?, \\d+ links? rewritten, pinned on 1/1 hosts \\(${HOST_NAME}\\)$`,
      ),
    )
    expectNoToken(outcome)
  })

  it('failOnPushError: false turns the refusal into a warning naming the host; the build passes', async () => {
    const app = await uniqueApp()
    process.env[TOKEN_ENV] = WRONG_TOKEN
    // esbuild told to be quiet (`logLevel: 'silent'`): the plugin prints no summary either.
    const outcome = await build(app, pushOptions([registered(host.url)], { failOnPushError: false }), true)
    expect(outcome.failure).toBeUndefined()
    const pushWarnings = outcome.warnings.filter((w) => w.includes('push failed'))
    expect(pushWarnings).toHaveLength(1)
    expect(pushWarnings[0]).toContain(`${HOST_NAME} (${host.url}): refused the token`)
    expect(pushWarnings[0]).toContain('set `failOnPushError: true` to fail the build on this')
    expect(await host.helia.pins.isPinned(CID.parse(await rootOf(app)))).toBe(false)
    if (bundler === 'esbuild') expect(outcome.info).toEqual([])
    else expect(outcome.info).toEqual([expect.stringMatching(/published .*, pinned on 0\/1 hosts$/)])
    expectNoToken(outcome)
  })
})

describe('p2pcdn/vite pushing to a host that is down', () => {
  it('fails the build when replication is not met, and passes with a warning when it is', async () => {
    process.env[TOKEN_ENV] = token
    const down = await deadUrl()
    const hosts = [registered(host.url), registered(down, 'campus-down')]

    const app = await uniqueApp()
    const short = await drivers.vite(app, pushOptions(hosts))
    expect(short.failure).toMatch(
      /\[p2pcdn\] push failed: \w+ pinned on 1 of 2 hosts, `replication` requires 2:/,
    )
    expect(short.failure).toContain(`campus-down (${down}): is unreachable`)
    expect(short.failure).toContain('(ERR_HOST_UNREACHABLE)')
    expect(short.failure).not.toContain(`${HOST_NAME} (`) // the host that pinned is not listed as failed
    expectNoToken(short)

    const again = await uniqueApp()
    const met = await drivers.vite(again, pushOptions(hosts, { replication: 1 }))
    expect(met.failure).toBeUndefined()
    expect(met.warnings).toHaveLength(1)
    expect(met.warnings[0]).toMatch(/\[p2pcdn\] \w+ pinned on 1 of 2 hosts \(`replication` 1 met\); not on:/)
    expect(met.warnings[0]).toContain(`campus-down (${down}): is unreachable`)
    const root = await rootOf(again)
    expect(await host.helia.pins.isPinned(CID.parse(root))).toBe(true)
    expect(met.info).toEqual([
      expect.stringMatching(new RegExp(`published ${root} — .*, pinned on 1/2 hosts \\(${HOST_NAME}\\)$`)),
    ])
    expectNoToken(met)
  })
})

describe('p2pcdn/esbuild without hosts', () => {
  it('logs the summary with "not pushed (no hosts)"', async () => {
    const app = await uniqueApp()
    const outcome = await drivers.esbuild(app, PLUGIN_OPTIONS)
    expect(outcome.failure).toBeUndefined()
    expect(outcome.info).toEqual([
      `[p2pcdn] published ${await rootOf(app)} — 3 files, 1 link rewritten, not pushed (no hosts)`,
    ])
  })

  it('fails the build on a failOnPushError that is not a boolean', async () => {
    const app = await uniqueApp()
    const options = { ...PLUGIN_OPTIONS, failOnPushError: 'no' } as unknown as P2pcdnPluginOptions
    const outcome = await drivers.esbuild(app, options)
    expect(outcome.failure).toMatch(/The `failOnPushError` option must be true or false, got: "no"/)
  })
})
