import path from 'node:path'
import {
  adapterFor,
  addHost,
  type HostCheck,
  type HostEntry,
  type HostTarget,
  type HostType,
  hostsConfigFile,
  listHosts,
  loadConfig,
  openPublishedSite,
  P2pcdnError,
  pushSite,
  removeHost,
  resolveTargets,
  siteIdentity,
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
    gateway?: string
    print?: boolean
  },
): Promise<void> {
  const entry: HostEntry = { name, url, type: flags.type }
  if (flags.tokenEnv !== undefined) entry.tokenEnv = flags.tokenEnv
  if (flags.replicationMin !== undefined) entry.replicationMin = Number(flags.replicationMin)
  if (flags.replicationMax !== undefined) entry.replicationMax = Number(flags.replicationMax)
  if (flags.gateway !== undefined) entry.gateway = flags.gateway
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

/** One row of `hosts check`: the host, what came of checking it, and its API's version when it tells one. */
interface HostCheckRow extends Partial<HostCheck> {
  name: string
  url: string
  type: HostType
  /** `no-token`: its token variable is not set, so it was not contacted. */
  state: 'ok' | 'unreachable' | 'unauthorised' | 'no-token' | 'failed'
}

/** Checks one host; never throws, so that one host's problem does not hide the others'. */
async function checkHost(entry: HostEntry): Promise<HostCheckRow> {
  const row = { name: entry.name, url: entry.url, type: entry.type }
  let target: HostTarget
  try {
    ;[target] = resolveTargets([entry]) as [HostTarget]
  } catch (err) {
    return { ...row, state: 'no-token', authorised: false, error: (err as Error).message }
  }
  try {
    const check = await adapterFor(target).check()
    const state = !check.reachable ? 'unreachable' : !check.authorised ? 'unauthorised' : 'ok'
    return { ...row, state, ...check }
  } catch (err) {
    return { ...row, state: 'failed', error: (err as Error).message }
  }
}

/** `hosts check`: every registered host, each in its own row; exit code 4 when any is not ok. */
export async function runHostsCheck(flags: HostsFlags): Promise<void> {
  const results = await Promise.all((await registered(flags)).map(checkHost))
  if (flags.json) process.stdout.write(`${JSON.stringify(results)}\n`)
  else if (results.length === 0) {
    process.stderr.write('No hosts registered. Add one with `p2pcdn hosts add <name> <url> --type <type>`.\n')
  } else {
    const table = [
      ['name', 'type', 'state', 'latency', 'version', ''],
      ...results.map((r) => [
        r.name,
        r.type,
        r.state.replace('-', ' '),
        r.latencyMs === undefined ? '-' : `${Math.round(r.latencyMs)} ms`,
        r.version ?? '-',
        r.error ?? '',
      ]),
    ]
    const widths =
      table[0]?.map((_, i) => Math.max(...table.map((cells) => (cells[i] as string).length))) ?? []
    for (const cells of table) {
      process.stderr.write(
        `${cells
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
      )
    }
  }
  if (results.some((r) => r.state !== 'ok')) process.exitCode = EXIT.REPLICATION
}

/** `p2pcdn push [out]`: pushes an already published output folder to the hosts, its blocks read from its files. */
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
  const hosts = resolveTargets(validateHosts(config.hosts))
  if (hosts.length === 0) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      'No hosts registered. Add one with `p2pcdn hosts add <name> <url> --type <type>`.',
    )
  }
  const { manifest, blocks, record } = await openPublishedSite(folder)
  // The same site identity and default name as `p2pcdn publish` gave this output.
  const site = siteIdentity({ folder, cwd: config.cwd ?? process.cwd(), origin: manifest.origins?.[0] })
  const siteName = flags.siteName ?? config.siteName
  const result = await pushSite({
    hosts,
    root: manifest.root,
    blocks,
    name: siteName ?? site.name,
    site: site.id,
    nameGiven: siteName !== undefined,
    replication:
      flags.replication !== undefined ? Number(flags.replication) : (config.replication ?? hosts.length),
    wait: flags.wait ?? config.wait ?? true,
    timeoutMs:
      flags.pushTimeout !== undefined ? Number(flags.pushTimeout) * 1000 : (config.pushTimeout ?? 600_000),
    listen: flags.pushListen ?? config.pushListen ?? ['/ip4/0.0.0.0/tcp/0'],
    ...(record ? { ipnsRecord: record } : {}),
  })
  process.stderr.write(`p2pcdn: pushed ${result.root}\n${pushTable(result).join('\n')}\n`)
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  if (!result.replication.met) process.exitCode = EXIT.REPLICATION
}
