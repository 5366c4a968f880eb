import {
  createToken,
  type DhtMode,
  defaultRepoPath,
  type FollowedSite,
  gcRepo,
  type HostConfigValues,
  importCars,
  listTokens,
  loadHostConfig,
  type RepoStatus,
  repoConfigFile,
  repoStatus,
  revokeToken,
  startHost,
} from '../../src/host/index.js'
import { P2pcdnError, parseSize } from '../../src/index.js'
import { invalidFlag as invalid, flagSeconds as seconds } from '../flags.js'

/** The flags of `p2pcdn host run`: the config file's values (`src/host/host-config.ts`) and the CLI's own. */
export interface HostRunFlags extends Omit<HostConfigValues, 'dht'> {
  dht?: DhtMode
  json?: boolean
  /** A host config file (`--config`); `<repo>/host.json` is read too when present. */
  config?: string
}

/** Where commander took an option's value from (`cli`, `default`, …). */
export type OptionSources = { getOptionValueSource(key: string): string | undefined }

/**
 * The run flags with the config files under them: the command line over `--config <file>` over
 * `<repo>/host.json` over commander's defaults.
 */
export async function withHostConfig(given: HostRunFlags, sources?: OptionSources): Promise<HostRunFlags> {
  const explicit: Record<string, unknown> = {}
  const defaults: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(given)) {
    const source = sources ? sources.getOptionValueSource(key) : 'cli'
    if (source === 'default' || source === undefined) defaults[key] = value
    else explicit[key] = value
  }
  const file = given.config ? await loadHostConfig(given.config, true) : {}
  const repo = (explicit.repo as string | undefined) ?? file.repo ?? defaultRepoPath()
  const inRepo = await loadHostConfig(repoConfigFile(repo), false)
  return { ...defaults, ...inRepo, ...file, ...explicit, repo } as HostRunFlags
}

function positiveNumber(option: string, value: string | undefined, unit: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw invalid(option, value, `must be a positive number of ${unit}`)
  return n
}

/** `p2pcdn host`: runs a host in the foreground until Ctrl-C or SIGTERM. */
export async function runHost(given: HostRunFlags, sources?: OptionSources): Promise<void> {
  const flags = await withHostConfig(given, sources)
  let storageMax = 0
  if (flags.storageMax !== undefined) {
    const size = parseSize(flags.storageMax)
    if (size === undefined || size <= 0) {
      throw invalid('storage-max', flags.storageMax, 'must be a size such as 10GB, 500MiB or a byte count')
    }
    storageMax = size
  }
  const periodMs = positiveNumber('session-period', flags.sessionPeriod, 'milliseconds')
  const pinTimeout = positiveNumber('pin-timeout', flags.pinTimeout, 'seconds')
  const followIntervalMs = seconds('follow-interval', flags.followInterval, false)
  const followGraceMs = seconds('follow-grace', flags.followGrace, true)
  const host = await startHost({
    repo: flags.repo ?? defaultRepoPath(),
    ...(flags.http !== undefined ? { http: flags.http } : {}),
    ...(flags.listen ? { listen: flags.listen } : {}),
    ...(flags.announce ? { announce: flags.announce } : {}),
    ...(flags.announceHttp ? { announceHttp: [flags.announceHttp] } : {}),
    ...(flags.bootstrap ? { bootstrap: flags.bootstrap } : {}),
    ...(flags.dht ? { dht: flags.dht } : {}),
    ...(flags.tlsCert !== undefined ? { tlsCert: flags.tlsCert } : {}),
    ...(flags.tlsKey !== undefined ? { tlsKey: flags.tlsKey } : {}),
    autoTls: flags.autoTls === true,
    storageMax,
    session:
      flags.session === false
        ? false
        : {
            ...(typeof flags.session === 'string' ? { name: flags.session } : {}),
            ...(periodMs ? { periodMs } : {}),
          },
    ...(pinTimeout ? { pinTimeoutMs: pinTimeout * 1000 } : {}),
    ...(flags.follow ? { follow: flags.follow } : {}),
    ...(flags.followFrom ? { followFrom: flags.followFrom } : {}),
    ...(followIntervalMs ? { followIntervalMs } : {}),
    ...(followGraceMs !== undefined ? { followGraceMs } : {}),
  })
  const info = {
    peerId: host.peerId,
    multiaddrs: host.multiaddrs(),
    http: host.url,
    gateway: `${host.url}/ipfs/`,
    /** The gateway's announced multiaddrs (IPIP-484), as peers find them in routing answers. */
    gatewayMultiaddrs: host.httpMultiaddrs(),
    pinningService: host.url,
    repo: host.repo.path,
    session: host.discovery ? (typeof flags.session === 'string' ? flags.session : null) : false,
    follow: host.following?.names() ?? [],
  }
  const lines = [
    `p2pcdn host ${info.peerId}`,
    `  repo             ${info.repo}`,
    ...info.multiaddrs.map(
      (address, i) => `  ${i === 0 ? 'libp2p          ' : '                '} ${address}`,
    ),
    `  gateway          ${info.gateway}<cid>`,
    `  announced as     ${info.gatewayMultiaddrs.join(' ')}  (with /routing/v1 and /ipns/<name>)`,
    `  pinning service  ${info.pinningService}  (Pinning Service API; token: p2pcdn host token create)`,
    `  CAR upload       ${host.url}/p2pcdn/v1/car`,
    `  metrics          ${host.url}/metrics`,
    `  session          ${info.session === false ? 'off' : (info.session ?? 'the paper’s (no name)')}`,
    ...info.follow.map((name, i) => `  ${i === 0 ? 'following       ' : '                '} ${name}`),
    'Ctrl-C stops it.',
  ]
  // A default port that was taken (a second host on this machine) was swapped for a free one: say so.
  for (const warning of host.warnings) process.stderr.write(`p2pcdn host: ${warning.message}\n`)
  process.stderr.write(`${lines.join('\n')}\n`)
  if (flags.json) process.stdout.write(`${JSON.stringify(info)}\n`)
  // A library bug that leaves a promise rejection unhandled must not take a long-running host down
  // (Node ends the process on one by default): report it and keep serving.
  const onUnhandled = (reason: unknown) => {
    process.stderr.write(
      `p2pcdn host: ignored an internal error: ${reason instanceof Error ? reason.message : String(reason)}\n`,
    )
  }
  process.on('unhandledRejection', onUnhandled)
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`p2pcdn host: ${signal}, stopping…\n`)
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await host.stop()
  process.off('unhandledRejection', onUnhandled)
}

export async function runTokenCreate(flags: { repo?: string; label?: string }): Promise<void> {
  const repo = flags.repo ?? defaultRepoPath()
  const { id, token } = await createToken(repo, flags.label ?? '')
  process.stdout.write(`${token}\n`)
  process.stderr.write(
    `Created token ${id} in ${repo}. It is shown only this once: keep it in a secret store (e.g. a CI secret).\n`,
  )
}

export async function runTokenList(flags: { repo?: string; json?: boolean }): Promise<void> {
  const tokens = await listTokens(flags.repo ?? defaultRepoPath())
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(tokens)}\n`)
    return
  }
  if (tokens.length === 0) process.stderr.write('No tokens. Create one with `p2pcdn host token create`.\n')
  for (const t of tokens) process.stdout.write(`${t.id}  ${t.created}  ${t.label}\n`)
}

export async function runTokenRevoke(id: string, flags: { repo?: string }): Promise<void> {
  const repo = flags.repo ?? defaultRepoPath()
  if (!(await revokeToken(repo, id))) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `No token with id ${JSON.stringify(id)} in ${repo}. List them with \`p2pcdn host token list\`.`,
    )
  }
  process.stderr.write(`Revoked token ${id}.\n`)
}

export async function runImport(cars: string[], flags: { repo?: string; json?: boolean }): Promise<void> {
  const repo = flags.repo ?? defaultRepoPath()
  await importCars(repo, cars, {
    onImported(car) {
      if (flags.json) process.stdout.write(`${JSON.stringify(car)}\n`)
      const partial = car.partialRoots.length > 0 ? `, ${car.partialRoots.length} partial roots` : ''
      process.stderr.write(
        `${car.file}: ${car.blocks} blocks (${car.newBlocks} new), ${car.pinnedRoots.length} roots pinned with their DAGs${partial}, ${car.directPins} blocks pinned alone\n`,
      )
    },
  })
}

export async function runGc(flags: { repo?: string; json?: boolean }): Promise<void> {
  const result = await gcRepo(flags.repo ?? defaultRepoPath())
  if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else
    process.stderr.write(
      `Removed ${result.removed} unpinned blocks (${result.freed} bytes); ${result.used} bytes in use.\n`,
    )
}

/** A followed site's lines: name, root and sequence, last check, lag, pending version, last error. */
function formatFollowed(site: FollowedSite): string[] {
  const lag = site.lagMs === null ? '' : `, lag ${(site.lagMs / 1000).toFixed(1)} s`
  return [
    `          ${site.name}`,
    `            root ${site.root ?? '(none yet)'}${site.sequence ? ` (sequence ${site.sequence})` : ''}${lag}`,
    `            checked ${site.lastCheck ?? 'never'}`,
    ...(site.pending
      ? [
          `            pending ${site.pending.root} (sequence ${site.pending.sequence}) since ${site.pending.since}`,
        ]
      : []),
    ...site.retired.map((r) => `            keeps ${r.root} until ${r.unpinAt}`),
    ...(site.lastError ? [`            error ${site.lastError.message} (${site.lastError.at})`] : []),
  ]
}

function formatStatus(status: RepoStatus): string {
  const pins = Object.entries(status.pins)
    .map(([name, count]) => `${count} ${name}`)
    .join(', ')
  if (!status.running) {
    return [
      `not running (repo ${status.repo})`,
      `peer ID   ${status.peerId}`,
      `pins      ${pins}`,
      `storage   ${status.storage.used} bytes`,
      ...(status.follow.length > 0
        ? [`follows   ${status.follow.length} ${status.follow.length === 1 ? 'site' : 'sites'}`]
        : []),
      ...status.follow.flatMap(formatFollowed),
    ].join('\n')
  }
  return [
    `running   ${status.http}`,
    `peer ID   ${status.peerId}`,
    ...status.multiaddrs.map((address, i) => `${i === 0 ? 'addresses' : '         '} ${address}`),
    `pins      ${pins}`,
    `storage   ${status.storage.used} bytes${status.storage.quota > 0 ? ` of ${status.storage.quota}` : ''}`,
    `peers     ${status.peers}`,
    `session   ${status.session.enabled ? `${status.session.connected.length} of ${status.session.members.length} members connected` : 'off'}`,
    ...status.session.members.map(
      (peer) => `          ${peer}${status.session.connected.includes(peer) ? '' : ' (not connected)'}`,
    ),
    ...(status.follow.length > 0
      ? [`follows   ${status.follow.length} ${status.follow.length === 1 ? 'site' : 'sites'}`]
      : []),
    ...status.follow.flatMap(formatFollowed),
  ].join('\n')
}

export async function runStatus(flags: { repo?: string; json?: boolean }): Promise<void> {
  const status = await repoStatus(flags.repo ?? defaultRepoPath())
  process.stdout.write(flags.json ? `${JSON.stringify(status)}\n` : `${formatStatus(status)}\n`)
}
