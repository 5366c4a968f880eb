/**
 * Running the built CLI without root's power to ignore file permissions, for the unreadable-input
 * tests (the test runner itself may well be root, e.g. in a container).
 */
import { spawn, spawnSync } from 'node:child_process'
import { CLI, type CliRun, finished } from './cli.js'

export type Unprivileged = { prefix: string[]; reason?: undefined } | { prefix?: undefined; reason: string }

let found: Unprivileged | undefined

/**
 * A command prefix that runs a process as an unprivileged user, or the reason there is none.
 * Not root: no prefix is needed. Root: `setpriv` (util-linux) or `runuser` dropping to uid/gid
 * 65534 (`nobody`), each checked by running the built CLI with it.
 */
export function unprivileged(): Unprivileged {
  if (found !== undefined) return found
  if (process.getuid?.() !== 0) {
    found = { prefix: [] }
    return found
  }
  const failures: string[] = []
  for (const prefix of [
    ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
    ['runuser', '-u', 'nobody', '--'],
  ]) {
    const [command, ...rest] = prefix as [string, ...string[]]
    const probe = spawnSync(command, [...rest, process.execPath, CLI, '--version'], {
      cwd: '/',
      encoding: 'utf8',
    })
    if (probe.status === 0) {
      found = { prefix }
      return found
    }
    failures.push(`${command}: ${probe.error?.message ?? (probe.stderr.trim() || `exit ${probe.status}`)}`)
  }
  found = {
    reason: `tests run as root, which ignores file permissions, and no way was found to run as an unprivileged user (${failures.join('; ')})`,
  }
  return found
}

/**
 * Runs the built CLI as the unprivileged user. `cwd` and every folder it writes to must be
 * accessible to that user (e.g. a temp folder made world-writable).
 */
export function runCliUnprivileged(prefix: readonly string[], args: string[], cwd: string): Promise<CliRun> {
  const [command, ...rest] = [...prefix, process.execPath, CLI, ...args] as [string, ...string[]]
  return finished(
    spawn(command, rest, { cwd, env: { ...process.env, HOME: cwd }, stdio: ['ignore', 'pipe', 'pipe'] }),
  )
}
