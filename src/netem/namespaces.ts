/**
 * Network namespaces' lifecycle: listing, emptying (killing what runs inside), deleting; removal of
 * namespaces left behind by runs that died; removal of this process's namespaces when it exits.
 *
 * Every namespace the harness makes is called `<prefix><pid>-<seq>-<part>` (default prefix
 * `p2pcdn-`): the pid of the process that made it tells whether it is stale.
 */
import { must, runCommand, runSync } from './commands.js'

/** The default namespace name prefix. */
export const NETNS_PREFIX = 'p2pcdn-'

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The owner pid of a namespace made by the harness with this prefix, or undefined if not one. */
export function ownerOf(namespace: string, prefix = NETNS_PREFIX): number | undefined {
  const match = new RegExp(`^${escapeRegExp(prefix)}(\\d+)-\\d+-`).exec(namespace)
  return match ? Number(match[1]) : undefined
}

const parseList = (stdout: string): string[] =>
  stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '')

/** The names of all named network namespaces (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  return parseList(await must('ip', ['netns', 'list']))
}

const parsePids = (stdout: string): number[] =>
  stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0)

/** Processes running inside a namespace (`ip netns pids`). Empty when the namespace is gone. */
export async function namespacePids(namespace: string): Promise<number[]> {
  const result = await runCommand('ip', ['netns', 'pids', namespace])
  return result.code === 0 ? parsePids(result.stdout) : []
}

const kill = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(pid, signal)
  } catch {
    // gone already
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Ends every process inside the namespaces: SIGTERM, then SIGKILL for what is left after
 * `graceMs`. A namespace is freed (with its interfaces) only when nothing runs in it any more.
 */
export async function emptyNamespaces(namespaces: readonly string[], graceMs = 2000): Promise<void> {
  const pidsOf = async () => (await Promise.all(namespaces.map(namespacePids))).flat()
  let pids = await pidsOf()
  for (const pid of pids) kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (pids.length > 0 && Date.now() < deadline) {
    await sleep(25)
    pids = await pidsOf()
  }
  for (let round = 0; pids.length > 0 && round < 40; round++) {
    for (const pid of pids) kill(pid, 'SIGKILL')
    await sleep(25)
    pids = await pidsOf()
  }
}

/** Deletes namespaces (after {@link emptyNamespaces}); the ones already gone are skipped. */
export async function deleteNamespaces(namespaces: readonly string[]): Promise<void> {
  const existing = new Set(await listNamespaces())
  for (const namespace of namespaces) {
    if (existing.has(namespace)) await must('ip', ['netns', 'delete', namespace])
  }
}

/** Kills what runs inside and deletes the namespaces, synchronously (for the exit handler). */
export function removeNamespacesSync(namespaces: readonly string[]): void {
  for (const namespace of namespaces) {
    for (const pid of parsePids(runSync('ip', ['netns', 'pids', namespace]).stdout)) kill(pid, 'SIGKILL')
  }
  const existing = new Set(parseList(runSync('ip', ['netns', 'list']).stdout))
  for (const namespace of namespaces) {
    if (existing.has(namespace)) runSync('ip', ['netns', 'delete', namespace])
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the namespaces of earlier runs whose process no longer exists (killed with SIGKILL, or a
 * crash before their exit handler ran), with whatever still runs inside them. Namespaces of live
 * processes, this one included, are left alone. Returns the names removed.
 */
export async function cleanupStaleNetworks(options: { prefix?: string } = {}): Promise<string[]> {
  const prefix = options.prefix ?? NETNS_PREFIX
  const stale = (await listNamespaces()).filter((namespace) => {
    const owner = ownerOf(namespace, prefix)
    return owner !== undefined && owner !== process.pid && !alive(owner)
  })
  if (stale.length === 0) return []
  await emptyNamespaces(stale, 200)
  await deleteNamespaces(stale)
  return stale
}

/** What the exit handler removes: live networks' namespaces, by network id. */
const live = new Map<string, readonly string[]>()
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
let exitHandlerInstalled = false

const removeAllSync = () => {
  for (const [id, namespaces] of live) {
    live.delete(id)
    removeNamespacesSync(namespaces)
  }
}

function onSignal(signal: NodeJS.Signals): void {
  removeAllSync()
  uninstallSignalHandlers()
  // With no other listener, do what the signal would have done: end the process by it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function installSignalHandlers(): void {
  for (const signal of SIGNALS) {
    if (!process.listeners(signal).includes(onSignal)) process.on(signal, onSignal)
  }
}

function uninstallSignalHandlers(): void {
  for (const signal of SIGNALS) process.off(signal, onSignal)
}

/**
 * Registers a network's namespaces for removal when the process exits or gets SIGINT, SIGTERM or
 * SIGHUP before the network is destroyed. The signal handlers exist only while networks do.
 */
export function registerForExit(id: string, namespaces: readonly string[]): void {
  live.set(id, namespaces)
  if (!exitHandlerInstalled) {
    process.on('exit', removeAllSync)
    exitHandlerInstalled = true
  }
  installSignalHandlers()
}

/** Forgets a network that was destroyed. */
export function unregisterForExit(id: string): void {
  live.delete(id)
  if (live.size === 0) uninstallSignalHandlers()
}
