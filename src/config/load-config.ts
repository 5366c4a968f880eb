import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { CONFIG_FILES } from '../constants.js'
import { errors, P2pcdnError } from '../errors.js'
import { OPTION_KEYS, type P2pcdnOptions, resolveOptions } from '../options.js'
import { parseJsonFile } from './parse-json.js'

export interface LoadedConfig {
  /** The options the file exports, with `cwd` set to the file's folder. */
  config: P2pcdnOptions
  /** The file they came from; `undefined` when there was none. */
  file: string | undefined
}

export interface LoadConfigOptions {
  /** Where to look for `p2pcdn.config.{ts,mjs,js,json}`. @default process.cwd() */
  cwd?: string
  /** An explicit config file (`--config`); it must exist. */
  file?: string
}

/**
 * This package's own entry point: a config file's `import { defineConfig } from 'p2pcdn'` resolves
 * to the p2pcdn that is running, also when the project does not have it installed (`npx p2pcdn`).
 */
const OWN_ENTRY = fileURLToPath(
  new URL(`../index${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
)

/** `import … from 'p2pcdn'` in a config file of a project that does not have p2pcdn installed. */
const missingSelf = (error: unknown) =>
  (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
  /Cannot find (package|module) 'p2pcdn'/.test((error as Error).message)

async function importWithJiti(file: string): Promise<unknown> {
  const { createJiti } = await import('jiti')
  const jiti = createJiti(import.meta.url, { moduleCache: false, alias: { p2pcdn: OWN_ENTRY } })
  return jiti.import(file, { default: true })
}

async function importModule(file: string): Promise<unknown> {
  if (file.endsWith('.json')) return parseJsonFile(await fs.readFile(file, 'utf8'), file)
  if (/\.[mc]?ts$/.test(file)) return importWithJiti(file)
  try {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown }
    return mod.default ?? mod
  } catch (error) {
    if (!missingSelf(error)) throw error
    return importWithJiti(file)
  }
}

/**
 * Finds and loads the config file. Relative paths in it are resolved against
 * the file's own folder. Throws `ERR_CONFIG_LOAD` when the file cannot be read
 * or run, and `ERR_CONFIG_INVALID` naming any unknown option.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = path.resolve(options.cwd ?? process.cwd())
  let file: string | undefined
  if (options.file !== undefined) {
    file = path.resolve(cwd, options.file)
    try {
      await fs.access(file)
    } catch {
      throw errors.configMissing(file)
    }
  } else {
    for (const name of CONFIG_FILES) {
      const candidate = path.join(cwd, name)
      try {
        await fs.access(candidate)
        file = candidate
        break
      } catch {}
    }
  }
  if (file === undefined) return { config: {}, file: undefined }

  let value: unknown
  try {
    value = await importModule(file)
    if (typeof value === 'function') value = await (value as () => unknown)()
  } catch (cause) {
    throw errors.configLoad(file, cause)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `The config file ${file} must export an object (use \`export default defineConfig({ … })\`), got: ${Array.isArray(value) ? 'an array' : typeof value}.`,
    )
  }
  for (const key of Object.keys(value)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) throw errors.unknownOption(key, file, OPTION_KEYS)
  }
  const config = { ...(value as P2pcdnOptions) }
  const base = path.dirname(file)
  config.cwd = typeof config.cwd === 'string' ? path.resolve(base, config.cwd) : base
  // Check the file's values now, so that a bad one is reported with the file's name.
  try {
    resolveOptions({ ...config, dir: config.dir ?? '.' })
  } catch (err) {
    if (err instanceof P2pcdnError)
      throw new P2pcdnError(err.code, `In ${file}: ${err.message}`, { cause: err })
    throw err
  }
  return { config, file }
}
