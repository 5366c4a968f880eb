/**
 * Describing an emulated network: nodes, their roles and access links; validation and defaults.
 */
import { netemErrors } from './errors.js'
import { parseRate, type Rate } from './rate.js'

/** What a node is for in an experiment; the harness treats all alike, benches pick by role. */
export type NodeRole = 'origin' | 'host' | 'client'

export const NODE_ROLES: readonly NodeRole[] = ['origin', 'host', 'client']

/**
 * A node's access link to the network's core (the router). A path between two nodes crosses the
 * sender's uplink and the receiver's downlink: its one-way delay is the sum of the two links'
 * `delayMs`, its RTT twice that, its rate the smaller of the two rates.
 */
export interface LinkSpec {
  /** Router → node rate (the node's download), e.g. `'25mbit'`. */
  down: Rate
  /** Node → router rate (the node's upload), e.g. `'6mbit'`. */
  up: Rate
  /**
   * One-way delay of the link, in each direction, in milliseconds. 0 makes a plain veth link
   * (no relay, full speed); above 0 the link goes through the delay relay, which forwards up to
   * about 150-200 Mbit/s per link on this kind of machine.
   * @default 0
   */
  delayMs?: number
  /**
   * Queue of each direction's shaper, as time at the link's rate (drop-tail beyond it).
   * @default 50
   */
  queueMs?: number
}

export interface NodeSpec {
  /** Lower-case letters, digits and dashes, up to 32 characters; not `router` or `delay`. */
  name: string
  role: NodeRole
  link: LinkSpec
}

export interface NetworkOptions {
  nodes: readonly NodeSpec[]
  /**
   * Namespace name prefix; names are `<prefix><pid>-<n>-<node>`.
   * @default 'p2pcdn-'
   */
  prefix?: string
  /**
   * TCP congestion control in every node's namespace (`cubic`, `bbr`, `reno`: what the kernel
   * has). New namespaces start with the machine's default.
   */
  congestionControl?: string
  /** Aborts building the network (what was built is removed). */
  signal?: AbortSignal
}

/** A link with rates in bits per second and every default filled in. */
export interface ResolvedLink {
  down: number
  up: number
  delayMs: number
  queueMs: number
}

export interface ResolvedNode {
  name: string
  role: NodeRole
  link: ResolvedLink
  /** 1-based position: the node's subnet is 10.77.<index>.0/24. */
  index: number
}

export const DEFAULT_QUEUE_MS = 50
/** Node subnets are 10.77.1.0/24 … 10.77.250.0/24. */
export const MAX_NODES = 250
const MAX_DELAY_MS = 10_000
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/
const RESERVED = new Set(['router', 'delay', 'probe'])

/** The node's address: 10.77.<index>.2. */
export const nodeAddress = (index: number) => `10.77.${index}.2`
/** The router's address on the node's link, the node's gateway: 10.77.<index>.1. */
export const gatewayAddress = (index: number) => `10.77.${index}.1`

const number = (value: unknown, what: string, min: number, max: number): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw netemErrors.invalid(what, value, `must be a number of milliseconds from ${min} to ${max}`)
  }
  return value
}

/** Validates a network description and fills in the defaults. Pure; throws `ERR_NETEM_INVALID`. */
export function resolveNodes(nodes: readonly NodeSpec[]): ResolvedNode[] {
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length > MAX_NODES) {
    throw netemErrors.invalid('The `nodes` option', nodes?.length, `must list from 1 to ${MAX_NODES} nodes`)
  }
  const seen = new Set<string>()
  return nodes.map((node, position) => {
    const name = node?.name
    if (typeof name !== 'string' || !NAME.test(name) || RESERVED.has(name)) {
      throw netemErrors.invalid(
        `The name of node ${position + 1}`,
        name,
        "must be lower-case letters, digits and dashes (up to 32, not starting or ending with a dash), and not 'router', 'delay' or 'probe'",
      )
    }
    if (seen.has(name)) throw netemErrors.invalid(`The name of node ${position + 1}`, name, 'must be unique')
    seen.add(name)
    if (!NODE_ROLES.includes(node.role)) {
      throw netemErrors.invalid(
        `The role of node "${name}"`,
        node.role,
        `must be one of ${NODE_ROLES.join(', ')}`,
      )
    }
    const link = node.link
    if (link === null || typeof link !== 'object') {
      throw netemErrors.invalid(
        `The link of node "${name}"`,
        link,
        "must be an object such as { down: '25mbit', up: '6mbit', delayMs: 15 }",
      )
    }
    return {
      name,
      role: node.role,
      index: position + 1,
      link: {
        down: parseRate(link.down, `The \`link.down\` rate of node "${name}"`),
        up: parseRate(link.up, `The \`link.up\` rate of node "${name}"`),
        delayMs: number(link.delayMs ?? 0, `The \`link.delayMs\` of node "${name}"`, 0, MAX_DELAY_MS),
        queueMs: number(
          link.queueMs ?? DEFAULT_QUEUE_MS,
          `The \`link.queueMs\` of node "${name}"`,
          1,
          MAX_DELAY_MS,
        ),
      },
    }
  })
}
