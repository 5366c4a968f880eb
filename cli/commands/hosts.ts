import fs from 'node:fs/promises'
import path from 'node:path'
import {
  adapterFor,
  addHost,
  CAR_FILE,
  type HostEntry,
  type HostType,
  hostsConfigFile,
  listHosts,
  loadConfig,
  MANIFEST_FILE,
  P2pcdnError,
  pushSite,
  removeHost,
  resolveTargets,
  validateHosts,
} from '../../src/index.js'
import { EXIT } from '../exit-codes.js'
import { pushTable } from './publish.js'

interface HostsFlags {
  config?: string
  json?: boolean
}

export async function runHostsAdd(
  name: string,
  url: string,
  flags: HostsFlags & {
    type: HostType
    tokenEnv?: string
    replicationMin?: string
    replicationMax?: string
    print?: boolean
  },
): Promise<void> {
  const entry: HostEntry = { name, url, type: flags.type }
  if (flags.tokenEnv !== undefined) entry.tokenEnv = flags.tokenEnv
  if (flags.replicationMin !== undefined) entry.replicationMin = Number(flags.replicationMin)
  if (flags.replicationMax !== undefined) entry.replicationMax = Number(flags.replicationMax)
  const [checked] = validateHosts([entry])
  if (flags.print) {
    process.stdout.write(`${JSON.stringify(checked, null, 2)}\n`)
    return
  }
  const file = await hostsConfigFile(process.cwd(), flags.config)
  const hosts = await addHost(file, checked as HostEntry)
  process.stderr.write(
    `Added host "${name}" (${flags.type}, ${url}) to ${path.relative(process.cwd(), file) || file}; ${hosts.length} registered.${
      flags.tokenEnv ? ` Its token is read from $${flags.tokenEnv} when publishing.` : ''
    }\n`,
  )
}

export async function runHostsRemove(name: string, flags: HostsFlags): Promise<void> {
  const file = await hostsConfigFile(process.cwd(), flags.config)
  if (!(await removeHost(file, name))) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `No host named "${name}" in ${file}. \`p2pcdn hosts list\` shows the registered ones.`,
    )
  }
  process.stderr.write(`Removed host "${name}" from ${file}.\n`)
}

async function registered(flags: HostsFlags): Promise<HostEntry[]> {
  const { config, file } = await loadConfig({ ...(flags.config ? { file: flags.config } : {}) })
  if (file?.endsWith('.json')) return listHosts(file)
  return validateHosts(config.hosts)
}

export async function runHostsList(flags: HostsFlags): Promise<void> {
  const hosts = await registered(flags)
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(hosts)}\n`)
    return
  }
  if (hosts.length === 0) {
    process.stderr.write('No hosts registered. Add one with `p2pcdn hosts add <name> <url> --type <type>`.\n')
    return
  }
  const width = Math.max(...hosts.map((h) => h.name.length))
  for (const h of hosts) {
    process.stdout.write(
      `${h.name.padEnd(width)}  ${h.type.padEnd(15)}  ${h.url}${h.tokenEnv ? `  (token: $${h.tokenEnv})` : ''}\n`,
    )
  }
}

export async function runHostsCheck(flags: HostsFlags): Promise<void> {
  const hosts = resolveTargets(await registered(flags))
  const results = await Promise.all(
    hosts.map(async (host) => ({
      name: host.name,
      url: host.url,
      type: host.type,
      ...(await adapterFor(host).check()),
    })),
  )
  if (flags.json) process.stdout.write(`${JSON.stringify(results)}\n`)
  else {
    const width = Math.max(4, ...results.map((r) => r.name.length))
    for (const r of results) {
      const state = !r.reachable ? 'unreachable' : !r.authorised ? 'unauthorised' : 'ok'
      process.stderr.write(
        `${r.name.padEnd(width)}  ${state.padEnd(12)}  ${Math.round(r.latencyMs).toString().padStart(5)} ms  ${r.version ?? ''}${r.error ? `  ${r.error}` : ''}\n`,
      )
    }
  }
  if (results.some((r) => !r.reachable || !r.authorised)) process.exitCode = EXIT.REPLICATION
}

/** `p2pcdn push [out]`: pushes an already published output folder (its manifest and CAR) to the hosts. */
export async function runPush(
  out: string | undefined,
  flags: HostsFlags & {
    replication?: string
    wait?: boolean
    siteName?: string
    pushTimeout?: string
    pushListen?: string[]
  },
): Promise<void> {
  const { config } = await loadConfig({ ...(flags.config ? { file: flags.config } : {}) })
  const folder = path.resolve(out ?? (config.out as string | undefined) ?? `${config.dir ?? 'dist'}-p2p`)
  let manifest: { root?: string; origins?: string[] }
  try {
    manifest = JSON.parse(await fs.readFile(path.join(folder, MANIFEST_FILE), 'utf8')) as typeof manifest
  } catch (err) {
    throw new P2pcdnError(
      'ERR_INPUT_MISSING',
      `${path.join(folder, MANIFEST_FILE)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Pass the folder \`p2pcdn publish\` wrote, e.g. \`p2pcdn push dist-p2p\`.`,
    )
  }
  const hosts = resolveTargets(validateHosts(config.hosts))
  if (hosts.length === 0) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      'No hosts registered. Add one with `p2pcdn hosts add <name> <url> --type <type>`.',
    )
  }
  const origin = manifest.origins?.[0]
  const result = await pushSite({
    hosts,
    root: manifest.root as string,
    car: path.join(folder, CAR_FILE),
    name: flags.siteName ?? config.siteName ?? (origin ? new URL(origin).hostname : path.basename(folder)),
    replication:
      flags.replication !== undefined ? Number(flags.replication) : (config.replication ?? hosts.length),
    wait: flags.wait ?? config.wait ?? true,
    timeoutMs:
      flags.pushTimeout !== undefined ? Number(flags.pushTimeout) * 1000 : (config.pushTimeout ?? 600_000),
    listen: flags.pushListen ?? config.pushListen ?? ['/ip4/0.0.0.0/tcp/0'],
  })
  process.stderr.write(`p2pcdn: pushed ${result.root}\n${pushTable(result).join('\n')}\n`)
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  if (!result.replication.met) process.exitCode = EXIT.REPLICATION
}
