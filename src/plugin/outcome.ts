/**
 * What the bundler plugins make of a publish result beyond its warnings: whether the push to the
 * hosts fell short (a build error, or a warning with `failOnPushError: false` or when `replication`
 * was met without every host), and the one summary line a successful run prints.
 */
import { P2pcdnError } from '../errors.js'
import type { HostEntry } from '../hosts/types.js'
import type { PublishResult } from '../publish.js'
import type { HostPushResult } from '../push/push-site.js'
import { withoutSecret } from '../utils/without-secret.js'
import type { Warning } from '../warnings.js'

/** The plugin options this module reads. */
export interface OutcomeOptions {
  hosts?: HostEntry[] | undefined
  push?: boolean | undefined
  wait?: boolean | undefined
  failOnPushError?: boolean | undefined
}

/** A push that fell short, and how the bundler should report it. */
export interface PushProblem {
  level: 'error' | 'warning'
  message: string
}

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

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** Whether a host's answer counts towards `replication` (as `pushSite` counts it). */
const counted = (host: HostPushResult, wait: boolean) =>
  host.status === 'pinned' || host.status === 'already-pinned' || (!wait && host.status === 'queued')

/** `name (url): reason (code)`, without the `Host "name" (url)` the host errors start with. */
function describeFailure(host: HostPushResult): string {
  const prefix = `Host "${host.name}" (${host.url}) `
  const reason =
    host.status === 'queued'
      ? 'accepted the pin but did not report it pinned.'
      : (host.reason ?? 'failed without a reason.')
  const why = reason.startsWith(prefix) ? reason.slice(prefix.length) : reason
  return `  - ${host.name} (${host.url}): ${why}${host.code ? ` (${host.code})` : ''}`
}

/** Removes the hosts' token values, should any host have echoed one back. */
function redactTokens(message: string, hosts: HostEntry[] | undefined): string {
  let clean = message
  for (const host of hosts ?? []) {
    const token = host.tokenEnv === undefined ? undefined : process.env[host.tokenEnv]
    if (token !== undefined && token.length >= 4) clean = withoutSecret(clean, token, '***')
  }
  return clean
}

/**
 * What the push came to, for the bundler to report: an error when fewer hosts than `replication`
 * pinned the site (a warning with `failOnPushError: false`), a warning naming the hosts that failed
 * when `replication` was met without them, nothing when every host pinned it or there was no push.
 * Each failed host is named with its URL and reason; tokens never appear.
 */
export function pushProblem(result: PublishResult, options: OutcomeOptions): PushProblem | undefined {
  const push = result.push
  if (push === undefined) return undefined
  const wait = options.wait ?? true
  const failed = push.hosts.filter((h) => !counted(h, wait))
  const { required, achieved, met } = push.replication
  if (met && failed.length === 0) return undefined
  const hostLines = failed.map(describeFailure)
  const pinned = `${push.root} pinned on ${achieved} of ${push.hosts.length} hosts`
  if (met) {
    const message = [
      `[p2pcdn] ${pinned} (\`replication\` ${required} met); not on:`,
      ...hostLines,
      'Check them with `p2pcdn hosts check` (and the variables holding their tokens).',
    ].join('\n')
    return { level: 'warning', message: redactTokens(message, options.hosts) }
  }
  const fail = options.failOnPushError ?? true
  const message = [
    `[p2pcdn] push failed: ${pinned}, \`replication\` requires ${required}:`,
    ...hostLines,
    `Check each host and the variable holding its token (\`p2pcdn hosts check\`), then build again; or lower \`replication\`, or ${
      fail
        ? 'set the plugin option `failOnPushError: false` to let the build pass with a warning.'
        : 'set `failOnPushError: true` to fail the build on this.'
    }`,
  ].join('\n')
  return { level: fail ? 'error' : 'warning', message: redactTokens(message, options.hosts) }
}

/**
 * The one line a plugin prints after publishing, without the `[p2pcdn]` prefix, e.g.
 * `published bafy… — 12 files, 34 links rewritten, pinned on 2/2 hosts (h1, h2)`.
 */
export function summaryText(result: PublishResult, options: OutcomeOptions): string {
  const head = `published ${result.root} — ${plural(result.files, 'file')}, ${plural(result.rewritten, 'link')} rewritten`
  const push = result.push
  if (push === undefined) {
    const why = result.dryRun
      ? 'dry run'
      : (options.hosts ?? []).length === 0
        ? 'no hosts'
        : options.push === false
          ? 'push: false'
          : 'no push'
    return `${head}, not pushed (${why})`
  }
  const wait = options.wait ?? true
  const names = push.hosts
    .filter((h) => counted(h, wait))
    .map((h) => (h.status === 'queued' ? `${h.name} queued` : h.name))
  return `${head}, pinned on ${push.replication.achieved}/${push.hosts.length} hosts${
    names.length > 0 ? ` (${names.join(', ')})` : ''
  }`
}
