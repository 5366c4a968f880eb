/** Timed runs of our publish (one child process each) and of the reference tools. */
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitForQuiet } from './cpu-meter.js'
import { available, runTimed, syncDisks } from './proc.js'
import { mbps, repeat, summarise } from './stats.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const CHILD = path.join(here, 'publish-child.js')
export const REPO = path.resolve(here, '../..')
export const IPFS_CAR = path.join(REPO, 'node_modules/.bin/ipfs-car')

/**
 * One publish in a fresh child process (`gateway`: pages rewritten; `car`: a CAR written there).
 * `cpuProfile` ({ dir, name }) runs it under `node --cpu-prof`. Returns the child's JSON plus `wallMs` (spawn to
 * exit, node start-up and module loading included).
 */
export async function runPublish({ dir, out, cacheDir, cpuProfile, gateway, car }) {
  syncDisks()
  const quietWaitMs = await waitForQuiet()
  const nodeArgs = cpuProfile
    ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfile.dir}`, `--cpu-prof-name=${cpuProfile.name}.cpuprofile`]
    : []
  const { ms, stdout, otherCpuShare } = await runTimed(
    process.execPath,
    [
      ...nodeArgs,
      CHILD,
      ...['--dir', dir, '--out', out, '--cache-dir', cacheDir],
      ...(gateway ? ['--gateway', gateway] : []),
      ...(car ? ['--car', car] : []),
    ],
    { captureStdout: true, cwd: REPO },
  )
  return { wallMs: ms, otherCpuShare, quietWaitMs, ...JSON.parse(stdout) }
}

/**
 * Times a reference command `times` times (after a sync each time). `args`
 * is an array, or a function of the run's index for runs that each need
 * their own output file; `cleanup(i)` runs untimed after each run. Returns
 * undefined, with a note, when the tool is missing or fails, so one missing
 * tool does not sink the whole bench.
 */
export async function timeReference({ name, command, args, times, bytes, scratch, cleanup, notes }) {
  const argsOf = typeof args === 'function' ? args : () => args
  if (!available(command)) {
    notes.push(`${name}: ${command} not found, reference skipped`)
    return undefined
  }
  try {
    const runs = await repeat(times, async (i) => {
      syncDisks()
      await waitForQuiet()
      const run = await runTimed(command, argsOf(i), { captureStdout: true, measureRss: true, scratch })
      await cleanup?.(i)
      return run
    })
    const stats = summarise(runs.map((r) => r.ms))
    const rss = runs.map((r) => r.maxRssBytes).filter((x) => x !== undefined)
    return {
      name,
      command: [
        path.relative(REPO, command).startsWith('node_modules') ? path.relative(REPO, command) : command,
        ...argsOf(0),
      ]
        .map((a) => (a.includes(scratch) ? a.replace(scratch, '$TMP') : a))
        .join(' '),
      ...stats,
      mbps: mbps(bytes, stats.bestMs),
      maxRssBytes: rss.length ? Math.max(...rss) : undefined,
      otherCpuShares: runs.map((r) => r.otherCpuShare),
      stdout: runs.at(-1).stdout.trim().split('\n').slice(0, 1).join(''),
    }
  } catch (err) {
    notes.push(`${name}: failed, reference skipped: ${err.message.split('\n')[0]}`)
    return undefined
  }
}

/** Summary of repeated publish runs: timings (wall and in-process) and the peak RSS over the runs. */
export function summarisePublish(runs, bytes) {
  const wall = summarise(runs.map((r) => r.wallMs))
  const inner = summarise(runs.map((r) => r.durationMs))
  const bestRun = runs.find((r) => r.wallMs === wall.bestMs)
  return {
    ...wall,
    mbps: mbps(bytes, wall.bestMs),
    publishMs: inner,
    maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)),
    rssSamplesBytes: runs.map((r) => r.maxRssBytes),
    steps: bestRun.steps,
    runs,
  }
}

/** Removes a file or folder. */
export const remove = (p) => fs.rm(p, { recursive: true, force: true })

/**
 * Names for run outputs in the scratch folder, each used once. With `keep`,
 * `discard` does nothing and everything goes when the scratch folder is
 * removed at the end: deleting thousands of files between runs slows the
 * file creations of the next runs on some file systems (ext4 without a
 * journal skips recently deleted inodes, see run.js), which would time the
 * bench's own housekeeping instead of publish.
 */
export function scratchNames(work, keep) {
  let n = 0
  return {
    fresh: (name) => path.join(work, `${name}-${n++}`),
    discard: async (...paths) => {
      if (!keep) for (const p of paths) await remove(p)
    },
  }
}

/** Bytes of every file under `dir` (0 when it does not exist). */
export async function folderBytes(dir) {
  let total = 0
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  for (const entry of entries) {
    if (entry.isFile()) total += (await fs.stat(path.join(entry.parentPath, entry.name))).size
  }
  return total
}
