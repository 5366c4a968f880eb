/**
 * `createNetwork()`: builds an emulated network of Linux network namespaces.
 *
 * ```
 *  node ns "host-1"          router ns                          delay ns (only with delays)
 *  eth0 10.77.1.2 ──link──── n1 10.77.1.1 ┐
 *  eth0 10.77.2.2 ──link──── n2 10.77.2.1 ├─ forwards (ip_forward)
 *  …                                      ┘   ul0 10.78.0.1 ─veth─ ul0 10.78.0.2, 10.78.1.<i>
 *                                                                  relay per delayed link (node -e)
 * ```
 *
 * Each node has one link to the router. Without delay it is a veth pair. With delay it is a pair
 * of VXLAN devices whose UDP sockets live in the router namespace (the node's device is created
 * there and moved), both sending to the link's relay in the delay namespace, which holds every
 * datagram for the delay and sends it to the other device (see `relay.ts`). Both directions are
 * shaped by a tbf qdisc on the sending end: download on the router's device, upload on the
 * node's `eth0`. Neighbour entries are static, so no ARP exchange crosses a delayed link.
 *
 * Nothing is created in the root namespace: every link is made inside the router namespace
 * (`ip -n <router> link add … peer … netns <node>`).
 */
import { must } from './commands.js'
import { netemErrors } from './errors.js'
import { buildLink, buildUnderlay, ROUTER_UNDERLAY, relayAddress } from './links.js'
import {
  cleanupStaleNetworks,
  deleteNamespaces,
  emptyNamespaces,
  NETNS_PREFIX,
  registerForExit,
  unregisterForExit,
} from './namespaces.js'
import { type NetworkNode, nodeHandle } from './node-handle.js'
import { type RelayStats, VXLAN_PORT } from './relay.js'
import { type RelayProcess, startRelayProcess } from './relay-process.js'
import type { NetworkOptions, NodeRole, ResolvedNode } from './spec.js'
import { resolveNodes } from './spec.js'
import { requireNetem } from './support.js'

export interface Network {
  /** `<prefix><pid>-<n>`: every namespace of the network starts with it. */
  readonly id: string
  readonly nodes: readonly NetworkNode[]
  /** The router's namespace. */
  readonly router: string
  /** Every namespace of the network: the nodes', the router's, and the delay relays' if any. */
  readonly namespaces: readonly string[]
  /** The node of that name; throws if there is none. */
  node(name: string): NetworkNode
  /** The nodes with that role, in the order given. */
  byRole(role: NodeRole): NetworkNode[]
  /** Round-trip time the links give between two nodes: 2 × (delay of a + delay of b). */
  rttMs(a: string, b: string): number
  /** Counters of each delayed link's relay, by node name. */
  relayStats(): Promise<Record<string, RelayStats>>
  /** Ends every process inside the network and removes its namespaces; idempotent. */
  destroy(): Promise<void>
}

let sequence = 0

/**
 * Like Promise.all, but waits for every promise before rejecting with the first failure, so that
 * nothing is still being built while a failed build is torn down.
 */
async function allSettled(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
}

/**
 * Builds an emulated network: one namespace per node, a router namespace, shaped (and, with
 * `delayMs`, delayed) access links. Needs root (see `checkNetem`); first removes the namespaces of
 * dead earlier runs. Everything is removed by `destroy()`, or when the process exits or gets
 * SIGINT/SIGTERM/SIGHUP.
 *
 * @example
 * const network = await createNetwork({ nodes: [
 *   { name: 'origin', role: 'origin', link: NETEM_PROFILES.origin },
 *   { name: 'client', role: 'client', link: NETEM_PROFILES.campusClient },
 * ] })
 * const server = network.node('origin').spawn(process.execPath, ['server.js'])
 * await network.node('client').exec('curl', [`http://${network.node('origin').address}:8080/`])
 * await network.destroy()
 */
export async function createNetwork(options: NetworkOptions): Promise<Network> {
  const nodes = resolveNodes(options.nodes)
  const congestion = options.congestionControl
  if (congestion !== undefined && !/^[a-z0-9_]+$/.test(congestion)) {
    throw netemErrors.invalid(
      'The `congestionControl` option',
      congestion,
      'must be an algorithm name such as cubic or bbr',
    )
  }
  const prefix = options.prefix ?? NETNS_PREFIX
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) {
    throw netemErrors.invalid(
      'The `prefix` option',
      prefix,
      'must be 1-40 letters, digits, dashes or underscores',
    )
  }
  const signal = options.signal
  await requireNetem()
  await cleanupStaleNetworks({ prefix })

  sequence++
  const id = `${prefix}${process.pid}-${sequence}`
  const router = `${id}-router`
  const delay = `${id}-delay`
  const namespaceOf = (node: ResolvedNode) => `${id}-${node.name}`
  const delayed = nodes.filter((node) => node.link.delayMs > 0)
  const namespaces = [...nodes.map(namespaceOf), router, ...(delayed.length > 0 ? [delay] : [])]
  const relays = new Map<string, RelayProcess>()
  registerForExit(id, namespaces)

  let destroying: Promise<void> | undefined
  const destroy = () => {
    destroying ??= (async () => {
      for (const relay of relays.values()) relay.stop()
      await emptyNamespaces(namespaces)
      await deleteNamespaces(namespaces)
      unregisterForExit(id)
    })()
    return destroying
  }

  const step = async (file: string, args: string[]) => {
    if (signal?.aborted) throw netemErrors.aborted()
    await must(file, args)
  }
  try {
    await allSettled(
      namespaces.map(async (namespace) => {
        await step('ip', ['netns', 'add', namespace])
        await step('ip', ['-n', namespace, 'link', 'set', 'lo', 'up'])
      }),
    )
    await step('ip', ['netns', 'exec', router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward'])
    if (congestion !== undefined) {
      await allSettled(
        nodes.map((node) =>
          step('ip', [
            'netns',
            'exec',
            namespaceOf(node),
            'sh',
            '-c',
            `echo ${congestion} > /proc/sys/net/ipv4/tcp_congestion_control`,
          ]),
        ),
      )
    }
    if (delayed.length > 0) await buildUnderlay(router, delay, delayed, step)
    await allSettled(nodes.map((node) => buildLink(node, namespaceOf(node), router, step)))
    await allSettled(
      delayed.map(async (node) => {
        if (signal?.aborted) throw netemErrors.aborted()
        const vni = node.index * 2
        relays.set(
          node.name,
          await startRelayProcess(delay, {
            listen: { address: relayAddress(node.index), port: VXLAN_PORT },
            target: { address: ROUTER_UNDERLAY, port: VXLAN_PORT },
            routes: [
              { from: vni, to: vni + 1, delayMs: node.link.delayMs },
              { from: vni + 1, to: vni, delayMs: node.link.delayMs },
            ],
          }),
        )
      }),
    )
  } catch (error) {
    await destroy()
    throw error
  }

  const handles = nodes.map((node) => nodeHandle(node, namespaceOf(node)))
  const byName = new Map(handles.map((handle) => [handle.name, handle]))
  const node = (name: string) => {
    const found = byName.get(name)
    if (!found) {
      throw netemErrors.invalid(
        'The node name',
        name,
        `must be one of the network's nodes: ${[...byName.keys()].join(', ')}`,
      )
    }
    return found
  }
  return {
    id,
    nodes: handles,
    router,
    namespaces,
    node,
    byRole: (role) => handles.filter((handle) => handle.role === role),
    rttMs: (a, b) => 2 * (node(a).link.delayMs + node(b).link.delayMs),
    relayStats: async () => {
      const entries = await Promise.all(
        [...relays].map(async ([name, relay]) => [name, await relay.stats()] as const),
      )
      return Object.fromEntries(entries)
    },
    destroy,
  }
}
