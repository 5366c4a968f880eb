/**
 * A delay relay running as its own process inside a namespace.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { netemErrors } from './errors.js'
import { type RelayConfig, type RelayStats, relayScript } from './relay.js'

const READY_TIMEOUT_MS = 10_000

export interface RelayProcess {
  readonly child: ChildProcess
  /** The relay's counters, asked over its stdin. */
  stats(): Promise<RelayStats>
  /** Closes its stdin, which ends it. */
  stop(): void
}

/**
 * Starts `node -e <relay>` in the namespace and waits until it has bound its sockets. The process
 * does not keep this one alive (unref), and ends when this one does (its stdin closes).
 */
export async function startRelayProcess(namespace: string, config: RelayConfig): Promise<RelayProcess> {
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', relayScript(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const lines: string[] = []
  const waiting: ((line: string) => void)[] = []
  let buffered = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      const next = waiting.shift()
      if (next) next(line)
      else lines.push(line)
    }
  })
  const nextLine = () =>
    new Promise<string>((resolve) => {
      const line = lines.shift()
      if (line !== undefined) resolve(line)
      else waiting.push(resolve)
    })

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(netemErrors.relay(namespace, `no answer after ${READY_TIMEOUT_MS} ms. ${stderr}`))
    }, READY_TIMEOUT_MS)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(netemErrors.relay(namespace, error.message))
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(netemErrors.relay(namespace, `exit ${code ?? signal}. ${stderr}`))
    })
    nextLine().then((line) => {
      clearTimeout(timer)
      if (line === 'ready') resolve()
      else reject(netemErrors.relay(namespace, `unexpected output ${JSON.stringify(line)}. ${stderr}`))
    })
  })

  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    ;(stream as unknown as { unref?: () => void } | null)?.unref?.()
  }
  return {
    child,
    stats: async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw netemErrors.relay(namespace, 'it has exited')
      const stdout = child.stdout as unknown as { ref?: () => void; unref?: () => void } | null
      stdout?.ref?.()
      try {
        const answer = nextLine()
        child.stdin?.write('stats\n')
        return JSON.parse(await answer) as RelayStats
      } finally {
        stdout?.unref?.()
      }
    },
    stop: () => {
      child.stdin?.end()
    },
  }
}
