import fs from 'node:fs/promises'
import path from 'node:path'
import { CONFIG_FILES } from '../constants.js'
import { errors, P2pcdnError } from '../errors.js'
import { gatewayUrl } from '../utils/gateway-url.js'
import { writeFileAtomic } from '../utils/write-file-atomic.js'
import { HOST_TYPES, type HostEntry, type HostTarget } from './types.js'

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The settings of a `hosts` entry in the config file. */
export const HOST_KEYS = [
  'name',
  'url',
  'type',
  'tokenEnv',
  'replicationMin',
  'replicationMax',
  'gateway',
] as const

/**
 * A host's URL: absolute http(s), no credentials. The message names the host and the fix for the
 * usual slip (a bare host name without its scheme), and never shows credentials.
 */
function checkHostUrl(url: unknown, option: string, name: string): URL {
  const fail = (problem: string, fix: string) =>
    new P2pcdnError('ERR_CONFIG_INVALID', `The URL of host "${name}" (\`${option}\`) ${problem}. ${fix}.`)
  if (typeof url !== 'string' || url === '') {
    throw fail(
      `must be an http(s) URL, got: ${JSON.stringify(url)}`,
      'Give its API URL, e.g. "https://cdn.example.com"',
    )
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    throw fail(
      `has no scheme: ${JSON.stringify(url)}`,
      `Write it with https:// (or http:// for a host on this machine or a LAN), e.g. "https://${url.replace(/^\/+/, '')}"`,
    )
  }
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {}
  if (!parsed || (scheme !== 'http' && scheme !== 'https')) {
    throw fail(
      `must be an http:// or https:// URL, got: ${JSON.stringify(url)}`,
      'Give its API URL, e.g. "https://cdn.example.com"',
    )
  }
  if (parsed.username || parsed.password) {
    throw fail(
      'holds credentials (not shown)',
      'Remove them: put the token in an environment variable and name it with `tokenEnv` (`--token-env`)',
    )
  }
  return parsed
}

/** Checks one `hosts` entry of the config file; `where` names it in errors (e.g. `hosts[2]`). */
export function validateHostEntry(value: unknown, where: string): HostEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw errors.optionInvalid(where, value, 'must be an object like {"name", "url", "type"}')
  }
  const { name, url, type, tokenEnv, replicationMin, replicationMax, gateway, ...rest } = value as Record<
    string,
    unknown
  >
  const unknown = Object.keys(rest)[0]
  if (unknown !== undefined) {
    throw errors.optionInvalid(
      `${where}.${unknown}`,
      rest[unknown],
      `is not a host setting (known: ${HOST_KEYS.join(', ')}). Tokens are never stored: name their environment variable in tokenEnv`,
    )
  }
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw errors.optionInvalid(
      `${where}.name`,
      name,
      'must be a short name of letters, digits, ".", "_" or "-", e.g. "campus-1"',
    )
  }
  const parsed = checkHostUrl(url, `${where}.url`, name)
  if (typeof type !== 'string' || !(HOST_TYPES as readonly string[]).includes(type)) {
    throw errors.optionInvalid(`${where}.type`, type, `must be one of ${HOST_TYPES.join(', ')}`)
  }
  if (tokenEnv !== undefined && (typeof tokenEnv !== 'string' || !ENV_NAME.test(tokenEnv))) {
    throw errors.optionInvalid(
      `${where}.tokenEnv`,
      tokenEnv,
      'must be the NAME of an environment variable (e.g. "P2PCDN_TOKEN"), never the token itself',
    )
  }
  const entry: HostEntry = { name, url: parsed.href.replace(/\/$/, ''), type: type as HostEntry['type'] }
  if (tokenEnv !== undefined) entry.tokenEnv = tokenEnv as string
  for (const [key, v] of [
    ['replicationMin', replicationMin],
    ['replicationMax', replicationMax],
  ] as const) {
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -1) {
      throw errors.optionInvalid(`${where}.${key}`, v, 'must be a whole number (-1: every cluster peer)')
    }
    entry[key] = v
  }
  if (gateway !== undefined) entry.gateway = checkGateway(gateway, `${where}.gateway`)
  return entry
}

/** A host's `gateway`: an http(s) URL without credentials, query or fragment; no trailing slash. */
function checkGateway(value: unknown, option: string): string {
  const url = gatewayUrl(value, { credentials: false })
  if (url === undefined) {
    throw errors.optionInvalid(
      option,
      value,
      'must be the http(s) URL of the IPFS gateway serving what this host pins, e.g. "https://ipfs.example.com"',
    )
  }
  return url
}

/**
 * The gateway a host serves what it pins from: its `gateway`, else its own URL for a `p2pcdn`
 * host (which serves `/ipfs/<cid>` there); `undefined` when not known (Kubo's RPC API, a pinning
 * service or a cluster without `gateway`).
 */
export function hostGateway(host: HostEntry): string | undefined {
  return host.gateway ?? (host.type === 'p2pcdn' ? host.url : undefined)
}

/** Validates the `hosts` option: a list of entries with distinct names. */
export function validateHosts(value: unknown): HostEntry[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw errors.optionInvalid('hosts', value, 'must be a list of host entries')
  const hosts = value.map((entry, i) => validateHostEntry(entry, `hosts[${i}]`))
  const seen = new Set<string>()
  for (const host of hosts) {
    if (seen.has(host.name)) {
      throw errors.optionInvalid('hosts', host.name, 'has the same name twice; give each host its own name')
    }
    seen.add(host.name)
  }
  return hosts
}

/**
 * Reads each host's token from the environment variable it names. A variable that is not set
 * is an error naming the variable and the host (never a value).
 */
export function resolveTargets(hosts: HostEntry[], env: NodeJS.ProcessEnv = process.env): HostTarget[] {
  return hosts.map((host) => {
    if (host.tokenEnv === undefined) return { ...host }
    const token = env[host.tokenEnv]
    if (token === undefined || token === '') {
      throw new P2pcdnError(
        'ERR_CONFIG_INVALID',
        `Host "${host.name}" takes its token from $${host.tokenEnv}, which is not set. Set it (e.g. from a CI secret), or remove the host with \`p2pcdn hosts remove ${host.name}\`.`,
      )
    }
    return { ...host, token }
  })
}

/** The config file `hosts add/remove` edit: the JSON one found in `cwd`, or a new p2pcdn.config.json. */
export async function hostsConfigFile(cwd: string, explicit?: string): Promise<string> {
  if (explicit !== undefined) return path.resolve(cwd, explicit)
  for (const name of CONFIG_FILES) {
    const candidate = path.join(cwd, name)
    try {
      await fs.access(candidate)
      return candidate
    } catch {}
  }
  return path.join(cwd, 'p2pcdn.config.json')
}

async function readJsonConfig(file: string): Promise<Record<string, unknown>> {
  if (!file.endsWith('.json')) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `\`p2pcdn hosts\` edits JSON config files only, and ${file} is code. Add the host to its \`hosts\` list by hand (the entry is printed by \`p2pcdn hosts add --print\`), or move the config to p2pcdn.config.json.`,
    )
  }
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw errors.configLoad(file, err)
  }
  try {
    const parsed = JSON.parse(text) as unknown
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not a JSON object')
    return parsed as Record<string, unknown>
  } catch (err) {
    throw errors.configLoad(file, err)
  }
}

/** The hosts registered in a config file. */
export async function listHosts(file: string): Promise<HostEntry[]> {
  return validateHosts((await readJsonConfig(file)).hosts)
}

/** Adds (or, with `replace`, updates) a host in a JSON config file, atomically. */
export async function addHost(
  file: string,
  entry: HostEntry,
  options: { replace?: boolean } = {},
): Promise<HostEntry[]> {
  const config = await readJsonConfig(file)
  const hosts = validateHosts(config.hosts)
  const checked = validateHostEntry(entry, `host "${entry.name}"`)
  const at = hosts.findIndex((h) => h.name === checked.name)
  if (at >= 0 && !options.replace) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `A host named "${checked.name}" is already registered in ${file}. Pick another name, or remove it first with \`p2pcdn hosts remove ${checked.name}\`.`,
    )
  }
  if (at >= 0) hosts[at] = checked
  else hosts.push(checked)
  await writeFileAtomic(file, `${JSON.stringify({ ...config, hosts }, null, 2)}\n`)
  return hosts
}

/** Removes a host by name from a JSON config file, atomically; false when there was none. */
export async function removeHost(file: string, name: string): Promise<boolean> {
  const config = await readJsonConfig(file)
  const hosts = validateHosts(config.hosts)
  const kept = hosts.filter((h) => h.name !== name)
  if (kept.length === hosts.length) return false
  await writeFileAtomic(file, `${JSON.stringify({ ...config, hosts: kept }, null, 2)}\n`)
  return true
}
