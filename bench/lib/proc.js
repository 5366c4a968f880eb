/**
 * Child processes, timed from spawn to exit, so every figure (ours and the
 * references) is the wall-clock time a user would wait for.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { cpuMeter } from './cpu-meter.js'

const GNU_TIME = '/usr/bin/time'
const hasGnuTime = existsSync(GNU_TIME)

/** Flushes dirty pages so the previous run's writeback does not land in the next timing. */
export function syncDisks() {
  try {
    execFileSync('sync')
  } catch {
    // Not fatal: only a little noise in the next timing.
  }
}

/** Whether `command` can be run: an existing path, or a name found on PATH. */
export function available(command) {
  if (command.includes('/')) return existsSync(command)
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** First line of `command args` output, or undefined. */
export function versionOf(command, args = ['--version']) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim()
  } catch {
    return undefined
  }
}

/**
 * Runs `command args` and times it. With `measureRss` (and GNU time present)
 * the peak RSS of the process (the largest of it and its waited-for children)
 * is read through `/usr/bin/time -f %M`. `otherCpuShare` is the share of all
 * CPUs that other processes and kernel threads used meanwhile (see
 * `cpuMeter`). Rejects on a non-zero exit.
 */
export async function runTimed(
  command,
  args,
  { cwd, captureStdout = false, measureRss = false, scratch } = {},
) {
  const rssFile =
    measureRss && hasGnuTime && scratch ? path.join(scratch, `rss-${process.hrtime.bigint()}.txt`) : undefined
  const [cmd, argv] = rssFile ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args]
  const meter = cpuMeter()
  const started = performance.now()
  const { code, stdout, stderr } = await new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'] })
    const out = []
    const err = []
    child.stdout?.on('data', (d) => out.push(d))
    child.stderr.on('data', (d) => err.push(d))
    child.on('error', reject)
    child.on('close', (exitCode) =>
      resolve({
        code: exitCode,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    )
  })
  const ms = performance.now() - started
  const otherCpuShare = meter.stop()
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`)
  }
  let maxRssBytes
  if (rssFile) {
    const kb = Number((await fs.readFile(rssFile, 'utf8')).trim().split('\n').pop())
    if (Number.isFinite(kb)) maxRssBytes = kb * 1024
    await fs.rm(rssFile, { force: true })
  }
  return { ms, stdout, stderr, maxRssBytes, otherCpuShare }
}
