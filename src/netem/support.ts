/**
 * Whether this process can build emulated networks, and if not, why: callers and tests skip with
 * that reason.
 */
import { runCommand } from './commands.js'
import { netemErrors } from './errors.js'
import { NETNS_PREFIX, removeNamespacesSync } from './namespaces.js'

export type NetemSupport = { ok: true; reason?: undefined } | { ok: false; reason: string }

let cached: Promise<NetemSupport> | undefined

const firstLine = (text: string) => text.trim().split('\n')[0] ?? ''

async function probe(): Promise<NetemSupport> {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `it needs Linux network namespaces, and this is ${process.platform}.` }
  }
  const uid = process.getuid?.()
  if (uid !== 0) {
    return {
      ok: false,
      reason: `it needs root (this process runs as uid ${uid}): network namespaces, veth and VXLAN links and tc qdiscs need CAP_SYS_ADMIN and CAP_NET_ADMIN. Run it as root, e.g. with sudo.`,
    }
  }
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['tc', 'iproute2'],
  ] as const) {
    try {
      await runCommand(tool, ['-V'])
    } catch (error) {
      return {
        ok: false,
        reason: `\`${tool}\` was not found (${(error as NodeJS.ErrnoException).code ?? error}). Install ${pkg}.`,
      }
    }
  }

  // Build a throwaway namespace with what a network uses, one step at a time, so that the reason
  // names the missing piece. Its name has the stale-cleanup pattern, in case this process dies.
  const namespace = `${NETNS_PREFIX}${process.pid}-0-probe`
  const words = (line: string) => line.split(' ')
  const steps: [string[], string][] = [
    [
      words(`ip netns add ${namespace}`),
      'creating a network namespace (`ip netns add`) is not permitted; in a container this needs --privileged or CAP_SYS_ADMIN',
    ],
    [words(`ip -n ${namespace} link set lo up`), 'bringing up loopback inside a namespace failed'],
    [
      words(`ip -n ${namespace} link add name pa type veth peer name pb`),
      'veth links are not available (kernel CONFIG_VETH)',
    ],
    [
      words(`tc -n ${namespace} qdisc add dev pa root tbf rate 1mbit burst 3028 limit 30000`),
      'the tbf qdisc is not available (kernel CONFIG_NET_SCH_TBF)',
    ],
    [
      words(
        `ip -n ${namespace} link add name vx type vxlan id 1 local 127.0.0.1 remote 127.0.0.2 dstport 4789 nolearning`,
      ),
      'VXLAN links, which carry delayed links through the delay relay, are not available (kernel CONFIG_VXLAN)',
    ],
    [
      words(`ip -n ${namespace} link set vx gso_max_segs 1`),
      'setting gso_max_segs on a link is not supported (needs Linux 5.19+ and iproute2 5.19+)',
    ],
    [
      ['ip', 'netns', 'exec', namespace, process.execPath, '-e', '0'],
      'running a program inside a namespace (`ip netns exec`) failed',
    ],
  ]
  try {
    for (const [command, meaning] of steps) {
      const [file, ...args] = command as [string, ...string[]]
      const result = await runCommand(file, args)
      if (result.code !== 0) {
        return { ok: false, reason: `${meaning}: \`${command.join(' ')}\`: ${firstLine(result.stderr)}` }
      }
    }
    return { ok: true }
  } finally {
    removeNamespacesSync([namespace])
  }
}

/**
 * Whether emulated networks can be built here: Linux, root, iproute2's `ip` and `tc`, network
 * namespaces, veth and VXLAN links and the tbf qdisc, each tried in a throwaway namespace. The
 * answer is cached for the process.
 *
 * @example
 * const netem = await checkNetem()
 * describe.skipIf(!netem.ok)(`emulated network${netem.ok ? '' : ` (skipped: ${netem.reason})`}`, …)
 */
export function checkNetem(): Promise<NetemSupport> {
  cached ??= probe()
  return cached
}

/** Throws `ERR_NETEM_UNAVAILABLE` with the reason when {@link checkNetem} says no. */
export async function requireNetem(): Promise<void> {
  const support = await checkNetem()
  if (!support.ok) throw netemErrors.unavailable(support.reason)
}
