/**
 * A host's config file: `p2pcdn host --config <file>`, and `<repo>/host.json` when present. JSON
 * whose keys are the `p2pcdn host` flags in camelCase, with the same values (`followInterval` and
 * `followGrace` in seconds, `storageMax` a size, `session` a name or false):
 *
 * ```json
 * { "follow": ["k51…"], "followFrom": ["https://cdn.example.com"], "http": "0.0.0.0:4080" }
 * ```
 *
 * Flags given on the command line override the file. Paths (`repo`, `tlsCert`, `tlsKey`) are read
 * from the file's folder. An unknown key or a value of the wrong type fails naming the file and key.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { errors, P2pcdnError } from '../errors.js'

/** The config's values, as the flags carry them (strings, lists, booleans). */
export interface HostConfigValues {
  repo?: string
  http?: string
  listen?: string[]
  announce?: string[]
  announceHttp?: string
  bootstrap?: string[]
  dht?: string
  tlsCert?: string
  tlsKey?: string
  autoTls?: boolean
  storageMax?: string
  session?: string | boolean
  sessionPeriod?: string
  pinTimeout?: string
  follow?: string[]
  followFrom?: string[]
  followInterval?: string
  followGrace?: string
}

type Kind = 'string' | 'path' | 'list' | 'boolean' | 'number' | 'session'

const KEYS: Record<keyof HostConfigValues, Kind> = {
  repo: 'path',
  http: 'string',
  listen: 'list',
  announce: 'list',
  announceHttp: 'string',
  bootstrap: 'list',
  dht: 'string',
  tlsCert: 'path',
  tlsKey: 'path',
  autoTls: 'boolean',
  storageMax: 'number',
  session: 'session',
  sessionPeriod: 'number',
  pinTimeout: 'number',
  follow: 'list',
  followFrom: 'list',
  followInterval: 'number',
  followGrace: 'number',
}

/** The keys a host config file may have. */
export const HOST_CONFIG_KEYS = Object.keys(KEYS) as Array<keyof HostConfigValues>

/** The name of the config file a host reads from its repo. */
export const REPO_CONFIG_FILE = 'host.json'

const EXPECTED: Record<Kind, string> = {
  string: 'a string',
  path: 'a path (a string)',
  list: 'a string or an array of strings',
  boolean: 'true or false',
  number: 'a number (or a string such as "50GB" for storageMax)',
  session: 'a session name, or false to turn session discovery off',
}

function value(file: string, key: string, kind: Kind, raw: unknown): unknown {
  const ok =
    (kind === 'string' || kind === 'path' ? typeof raw === 'string' && raw !== '' : false) ||
    (kind === 'list'
      ? typeof raw === 'string' || (Array.isArray(raw) && raw.every((v) => typeof v === 'string'))
      : false) ||
    (kind === 'boolean' ? typeof raw === 'boolean' : false) ||
    (kind === 'number'
      ? (typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'string'
      : false) ||
    (kind === 'session' ? (typeof raw === 'string' && raw !== '') || typeof raw === 'boolean' : false)
  if (!ok) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `In ${file}, \`${key}\` must be ${EXPECTED[kind]}, got: ${JSON.stringify(raw)}. Fix the file, or override it with --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.`,
    )
  }
  if (kind === 'path') return resolve(dirname(file), raw as string)
  if (kind === 'list') return typeof raw === 'string' ? [raw] : raw
  if (kind === 'number') return String(raw)
  return raw
}

/** Checks a parsed config object; throws naming `file` and the key. */
export function parseHostConfig(file: string, json: unknown): HostConfigValues {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `${file} must hold a JSON object of host options, e.g. {"follow": ["k51…"]}.`,
    )
  }
  const config: Record<string, unknown> = {}
  for (const [key, raw] of Object.entries(json)) {
    if (key === '$schema') continue
    const kind = KEYS[key as keyof HostConfigValues]
    if (!kind) throw errors.unknownOption(key, file, HOST_CONFIG_KEYS)
    config[key] = value(file, key, kind, raw)
  }
  return config as HostConfigValues
}

/**
 * Reads a host config file. `required` (a `--config` file): a missing file is an error; else
 * (`<repo>/host.json`) it is no config.
 */
export async function loadHostConfig(file: string, required: boolean): Promise<HostConfigValues> {
  const path = resolve(file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (required) throw errors.configMissing(path)
      return {}
    }
    throw errors.configLoad(path, err)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw errors.configLoad(path, err)
  }
  return parseHostConfig(path, json)
}

/** `<repo>/host.json`. */
export function repoConfigFile(repo: string): string {
  return join(repo, REPO_CONFIG_FILE)
}
