/** How busy the machine was outside the bench's own processes. */
import { readFileSync } from 'node:fs'

/** Busy CPU ticks of the whole machine, from /proc/stat (undefined off Linux). */
function machineBusyTicks() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number)
    return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait }
  } catch {
    return undefined
  }
}

/** CPU ticks of this process and its waited-for children, from /proc/self/stat. */
function ownTicks() {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime, stime, cutime, cstime are fields 14-17 of the whole line (11-14 after the name)
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0)
}

/**
 * Measures how busy the machine was outside the bench's own processes (other
 * processes, and kernel threads such as writeback) while it ran: a share of
 * all CPUs, for telling a noisy run from a quiet one. Linux only.
 */
export function cpuMeter() {
  const start = machineBusyTicks()
  if (start === undefined) return { stop: () => undefined }
  const ownStart = ownTicks()
  return {
    stop() {
      const end = machineBusyTicks()
      const total = end.busy + end.idle - (start.busy + start.idle)
      const other = end.busy - start.busy - (ownTicks() - ownStart)
      return total > 0 ? Math.max(0, other / total) : undefined
    },
  }
}

/** Share of all CPUs busy over the next `ms` (this process being idle meanwhile). */
async function busyShare(ms) {
  const meter = cpuMeter()
  await new Promise((resolve) => setTimeout(resolve, ms))
  return meter.stop()
}

let maxWaitMs = 5000

/** How long {@link waitForQuiet} may wait before each timed run (0: never waits). */
export function setMaxQuietWait(ms) {
  maxWaitMs = ms
}

/**
 * Waits, up to the configured limit, until other processes leave the CPUs
 * mostly idle (under `threshold` of all CPUs over a 250 ms window), so a
 * timed run does not share the machine with, say, a test suite. Returns the
 * milliseconds waited.
 */
export async function waitForQuiet(threshold = 0.1) {
  const started = performance.now()
  while (performance.now() - started < maxWaitMs) {
    const share = await busyShare(250)
    if (share === undefined || share < threshold) break
  }
  return performance.now() - started
}
