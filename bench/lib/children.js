/**
 * Child processes of the benches (servers and daemons started in emulated networks): wait for the
 * first JSON line a child prints, and stop one.
 */
import { once } from 'node:events'
import { createInterface } from 'node:readline'

/** The first stdout line of a child that is JSON, within `ms` (the child is killed past it). */
export async function firstJsonLine(child, ms, what) {
  const lines = createInterface({ input: child.stdout })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  try {
    for await (const line of lines) {
      if (line.startsWith('{')) return JSON.parse(line)
    }
    throw new Error(`${what} ended before it was ready: ${stderr.trim()}`)
  } finally {
    clearTimeout(timer)
    lines.close()
  }
}

/** SIGTERM, then SIGKILL after `ms`; resolves once the child has closed. */
export async function stopChild(child, ms = 5_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const closed = once(child, 'close')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  await closed
  clearTimeout(timer)
}
