import path from 'node:path'
import type { Command } from 'commander'
// The publish pipeline's own modules rather than src/index.ts, which loads every part of the
// library (rewriters, report, hosts…): start-up is part of every publish's time.
import { loadConfig } from '../../src/config/load-config.js'
import type { P2pcdnOptions } from '../../src/options.js'
import { type PublishIpns, type PublishResult, publish } from '../../src/publish.js'
import type { HostPushResult, PushSiteResult } from '../../src/push/push-site.js'
import { EXIT } from '../exit-codes.js'
import { human } from '../format.js'
import { createProgressBar } from '../progress-bar.js'

function summary(result: PublishResult): string {
  const seconds = result.durationMs / 1000
  const rel = (p: string) => path.relative(process.cwd(), p) || '.'
  const lines = [
    result.dryRun
      ? `p2pcdn: dry run: ${result.files} files (${human(result.bytes)}) in ${rel(result.dir)}, nothing written`
      : `p2pcdn: published ${result.files} files (${human(result.bytes)}) from ${rel(result.dir)} to ${rel(result.out as string)}`,
    `  root      ${result.root}   (${result.profile})`,
  ]
  if (result.manifest !== undefined) lines.push(`  manifest  ${rel(result.manifest)}`)
  if (result.car !== undefined) {
    lines.push(`  car       ${rel(result.car)} (${human(result.carBytes)}, ${result.carBlocks} blocks)`)
  }
  if (result.ipns !== undefined) lines.push(...ipnsLines(result.ipns, rel))
  lines.push(`  imported  ${result.imported} files, ${result.cached} unchanged from the cache`)
  if (result.links === undefined) {
    lines.push('  rewrite   off (no --gateway set, or --no-rewrite): pages link to the origin only')
  } else {
    const where =
      result.links.format === 'native' ? 'ipfs://' : `${result.links.gateway} (${result.links.format})`
    lines.push(
      `  rewrite   ${result.rewritten} references into IPFS links on ${where}, each with an origin fallback`,
    )
    if (result.gatewayHost !== undefined)
      lines.push(
        `  gateway   links point at ${result.links.gateway} (the gateway of host ${result.gatewayHost}; set --gateway to choose)`,
      )
  }
  if (result.csp !== undefined)
    lines.push(`  csp       if the site sends a Content-Security-Policy, allow: ${result.csp}`)
  lines.push(
    `  time      ${seconds.toFixed(2)} s (${(result.bytes / 1e6 / Math.max(seconds, 1e-3)).toFixed(1)} MB/s)`,
  )
  if (result.push !== undefined) lines.push(...pushTable(result.push))
  lines.push(`  warnings  ${result.warnings.length}`)
  for (const w of result.warnings)
    lines.push(`    ${w.path ? `${w.path}${w.line ? `:${w.line}` : ''}: ` : ''}${w.message}`)
  return `${lines.join('\n')}\n`
}

/** The site's IPNS name, its record, a new key's file, and how volunteers follow the site. */
function ipnsLines(ipns: PublishIpns, rel: (p: string) => string): string[] {
  const record = ipns.record === undefined ? 'not written (dry run)' : rel(ipns.record)
  const lines = [`  ipns      ${ipns.name}   (record ${record}, sequence ${ipns.sequence})`]
  if (ipns.keyCreated && ipns.keyFile !== undefined) {
    lines.push(
      `            new key ${ipns.keyFile}: it is the site's name, back it up (CI: its base64 in $P2PCDN_IPNS_KEY)`,
    )
  }
  lines.push(`            volunteers follow the site with: p2pcdn host --follow ${ipns.name}`)
  return lines
}

/** What became of the IPNS record on a host, for the table's note. */
const recordNote = (h: HostPushResult) =>
  h.record === 'stored'
    ? 'IPNS record stored'
    : h.record === 'unsupported'
      ? 'IPNS record: unsupported by this host type'
      : undefined

/**
 * The per-host result table, e.g.
 * `  campus-1  pinned          1.2 s  48.1 kB  replaced bafy…; sent 3 of 40 blocks`.
 */
export function pushTable(push: PushSiteResult): string[] {
  const { required, achieved, met } = push.replication
  const lines = [
    `  push      ${achieved} of ${push.hosts.length} hosts pinned (replication ${required}: ${met ? 'met' : 'NOT met'})`,
  ]
  const width = Math.max(...push.hosts.map((h) => h.name.length), 4)
  for (const h of push.hosts) {
    const note =
      h.status === 'failed'
        ? h.reason
        : [h.replaced && `replaced ${h.replaced}`, h.detail, recordNote(h)].filter(Boolean).join('; ')
    lines.push(
      `    ${h.name.padEnd(width)}  ${h.status.padEnd(14)}  ${(h.durationMs / 1000).toFixed(1).padStart(5)} s  ${human(h.bytesSent).padStart(8)}  ${note}`,
    )
  }
  return lines
}

/** Options the flags set; only the flags actually given, so they override the config file. */
function flagOptions(dir: string | undefined, flags: Record<string, unknown>, cmd: Command): P2pcdnOptions {
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli'
  const cwd = process.cwd()
  const options: P2pcdnOptions = {}
  if (dir !== undefined) options.dir = path.resolve(cwd, dir)
  if (given('out')) options.out = path.resolve(cwd, flags.out as string)
  if (given('inPlace')) options.inPlace = true
  if (given('origin')) options.origin = flags.origin as string[]
  if (given('profile')) options.profile = flags.profile as P2pcdnOptions['profile']
  if (given('include')) options.include = flags.include as string[]
  if (given('exclude')) options.exclude = flags.exclude as string[]
  if (given('dotfiles')) options.dotfiles = true
  if (given('cacheDir')) options.cacheDir = path.resolve(cwd, flags.cacheDir as string)
  if (given('cache') && flags.cache === false) options.cacheDir = false
  if (given('cacheMaxSize')) options.cacheMaxSize = flags.cacheMaxSize as string
  if (given('car')) options.car = flags.car === true ? true : path.resolve(cwd, flags.car as string)
  if (given('dryRun')) options.dryRun = true
  if (given('gateway')) options.gateway = flags.gateway as string
  if (given('linkFormat')) options.linkFormat = flags.linkFormat as P2pcdnOptions['linkFormat']
  if (given('rewrite') && flags.rewrite === false) options.rewrite = false
  if (given('sri') && flags.sri === false) options.subresourceIntegrity = false
  if (given('fallbackTimeout')) options.fallbackTimeout = Number(flags.fallbackTimeout)
  if (given('serviceWorker') || given('swSource') || given('swRouter')) {
    options.serviceWorker = {
      ...(given('swSource') ? { sources: flags.swSource as string[] } : {}),
      ...(given('swRouter') ? { routers: flags.swRouter === false ? [] : (flags.swRouter as string[]) } : {}),
    }
  }
  if (given('push') && flags.push === false) options.push = false
  if (given('replication')) options.replication = Number(flags.replication)
  if (given('wait')) options.wait = flags.wait !== false
  if (given('siteName')) options.siteName = flags.siteName as string
  if (given('pushTimeout')) options.pushTimeout = Number(flags.pushTimeout) * 1000
  if (given('pushListen')) options.pushListen = flags.pushListen as string[]
  if (given('ipns') && flags.ipns === false) options.ipns = false
  if (given('ipnsKey')) options.ipnsKey = path.resolve(cwd, flags.ipnsKey as string)
  if (given('ipnsLifetime')) options.ipnsLifetime = flags.ipnsLifetime as string
  return options
}

/** The result as `--json` prints it: `ipns` is the name, the record's sequence a decimal string. */
function jsonResult(result: PublishResult): Record<string, unknown> {
  const { ipns, ...rest } = result
  return {
    ...rest,
    ipns: ipns?.name,
    ...(ipns ? { ipnsSequence: ipns.sequence.toString(), ipnsRecord: ipns.record } : {}),
  }
}

export async function runPublish(
  dir: string | undefined,
  flags: Record<string, unknown>,
  cmd: Command,
): Promise<void> {
  const { config } = await loadConfig({ file: flags.config as string | undefined })
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const bar = flags.progress === false ? undefined : createProgressBar()
  try {
    const result = await publish({
      ...config,
      ...flagOptions(dir, flags, cmd),
      signal: controller.signal,
      onProgress: bar?.onProgress,
    })
    bar?.stop()
    process.stderr.write(summary(result))
    if (flags.json === true) process.stdout.write(`${JSON.stringify(jsonResult(result), null, 2)}\n`)
    if (result.push && !result.push.replication.met) {
      process.stderr.write(
        `p2pcdn: only ${result.push.replication.achieved} of the ${result.push.replication.required} hosts required pinned the site; the output is written, run \`p2pcdn push\` to try again.\n`,
      )
      process.exitCode = EXIT.REPLICATION
    }
  } finally {
    bar?.stop()
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}
