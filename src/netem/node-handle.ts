/**
 * A node of a running network: its address and a way to run programs inside its namespace.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { type CommandResult, type RunOptions, runCommand } from './commands.js'
import { gatewayAddress, type NodeRole, nodeAddress, type ResolvedLink, type ResolvedNode } from './spec.js'

/** A node of a running network. */
export interface NetworkNode {
  readonly name: string
  readonly role: NodeRole
  /** Its network namespace (for `ip netns exec`, `ip -n`, `tc -n`). */
  readonly namespace: string
  /** Its address, reachable from every other node; processes may also listen on 0.0.0.0. */
  readonly address: string
  /** The router's address on its link. */
  readonly gateway: string
  /** Its interface to the router. */
  readonly device: 'eth0'
  readonly link: ResolvedLink
  /** `['ip', ['netns', 'exec', namespace, file, ...args]]`, for callers that spawn themselves. */
  command(file: string, args?: readonly string[]): [string, string[]]
  /** Spawns a process inside the node's namespace, e.g. `spawn(process.execPath, ['dist/cli/bin.js', 'host', …])`. */
  spawn(file: string, args?: readonly string[], options?: SpawnOptions): ChildProcess
  /** Runs a program inside the node's namespace to its end; resolves with its exit code and output. */
  exec(file: string, args?: readonly string[], options?: RunOptions): Promise<CommandResult>
}

/** The handle of a node whose namespace is `namespace`. */
export function nodeHandle(node: ResolvedNode, namespace: string): NetworkNode {
  const command = (file: string, args: readonly string[] = []): [string, string[]] => [
    'ip',
    ['netns', 'exec', namespace, file, ...args],
  ]
  return {
    name: node.name,
    role: node.role,
    namespace,
    address: nodeAddress(node.index),
    gateway: gatewayAddress(node.index),
    device: 'eth0',
    link: node.link,
    command,
    spawn: (file, args = [], options = {}) => {
      const [ip, ipArgs] = command(file, args)
      return spawn(ip, ipArgs, options)
    },
    exec: (file, args = [], options = {}) => {
      const [ip, ipArgs] = command(file, args)
      return runCommand(ip, ipArgs, options)
    },
  }
}
