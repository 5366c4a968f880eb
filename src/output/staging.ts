import { randomBytes } from 'node:crypto'
import { constants, lstatSync } from 'node:fs'
import fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { OLD_PREFIX, TEMP_PREFIX } from '../constants.js'
import { eachLimit } from '../utils/each-limit.js'

/** A temporary sibling of the output folder, renamed into place at the end. */
export interface Staging {
  /** The temporary folder to build the output in. */
  dir: string
  /** Puts the staged folder in place of `out` (the earlier output is swapped out, then removed). */
  commit(): Promise<void>
  /** Removes the staged folder; the earlier output is untouched. */
  discard(): Promise<void>
}

const exists = (p: string) =>
  fs.lstat(p).then(
    () => true,
    () => false,
  )

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const ownerPid = (name: string, prefix: string) => Number(name.slice(prefix.length).split('-')[0])

/**
 * Repairs what an interrupted run (kill -9, power loss) left beside `out`:
 * an earlier output swapped out but not yet replaced is put back; temporary
 * folders of runs that are no longer alive are removed.
 */
export async function recoverInterrupted(out: string): Promise<void> {
  const parent = path.dirname(out)
  const base = path.basename(out)
  const tempPrefix = `${TEMP_PREFIX}${base}-`
  const oldPrefix = `${OLD_PREFIX}${base}-`
  let names: string[]
  try {
    names = await fs.readdir(parent)
  } catch {
    return
  }
  for (const name of names.sort()) {
    const full = path.join(parent, name)
    if (name.startsWith(oldPrefix) && !processAlive(ownerPid(name, oldPrefix))) {
      if (await exists(out)) await fs.rm(full, { recursive: true, force: true })
      else await fs.rename(full, out)
    } else if (name.startsWith(tempPrefix) && !processAlive(ownerPid(name, tempPrefix))) {
      await fs.rm(full, { recursive: true, force: true })
    }
  }
}

/** Creates the temporary sibling folder that `out` will be built in. */
export async function createStaging(out: string): Promise<Staging> {
  const parent = path.dirname(out)
  const base = path.basename(out)
  await fs.mkdir(parent, { recursive: true })
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`
  const dir = path.join(parent, `${TEMP_PREFIX}${base}-${tag}`)
  await fs.mkdir(dir)
  return {
    dir,
    async commit() {
      if (await exists(out)) {
        const old = path.join(parent, `${OLD_PREFIX}${base}-${tag}`)
        await fs.rename(out, old)
        await fs.rename(dir, out)
        await fs.rm(old, { recursive: true, force: true })
      } else {
        await fs.rename(dir, out)
      }
    },
    async discard() {
      await fs.rm(dir, { recursive: true, force: true })
    },
  }
}

/** A staging folder for a dry run: under the system's temporary folder, never committed. */
export async function createThrowAwayStaging(): Promise<Staging> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'p2pcdn-dry-run-'))
  return {
    dir,
    async commit() {
      throw new Error('a dry run is never committed')
    },
    async discard() {
      await fs.rm(dir, { recursive: true, force: true })
    },
  }
}

export interface CopyPlan {
  /** Files whose bytes are copied (link targets already resolved), keeping their times (from the scan when known). */
  files: { path: string; source: string; size?: number; mtimeMs?: number; atimeMs?: number }[]
  /** Symbolic links recreated as links with the same target text. */
  links: { path: string; source: string }[]
  /** Folders made even though nothing is copied into them (the site's empty folders). */
  directories?: string[]
}

export interface CopyOptions {
  signal?: AbortSignal
  /**
   * The output this one replaces. A file there is hard-linked instead of copied when its source is
   * `unchanged` since that output was made and it has the source's size and mtime: it holds the
   * same bytes, and the old folder is removed once the new one is in place.
   */
  previous?: string
  /** Whether a file's source is unchanged since the previous output (the cache's index says so). */
  unchanged?: (relPath: string) => boolean
}

function reusable(
  previous: string | undefined,
  rel: string,
  size: number,
  mtimeMs: number,
): string | undefined {
  if (previous === undefined) return undefined
  const candidate = path.join(previous, rel)
  try {
    const stat = lstatSync(candidate)
    if (stat.isFile() && stat.size === size && Math.round(stat.mtimeMs) === Math.round(mtimeMs))
      return candidate
  } catch {}
  return undefined
}

/** Copies the site into the staging folder: folders first, then files and links. */
export async function copyInto(target: string, plan: CopyPlan, options: CopyOptions = {}): Promise<void> {
  const { signal, unchanged } = options
  const previous = unchanged === undefined ? undefined : options.previous
  const dirs = new Set<string>()
  for (const { path: p } of [...plan.files, ...plan.links]) dirs.add(path.posix.dirname(p))
  for (const d of plan.directories ?? []) dirs.add(d)
  for (const d of [...dirs].sort()) if (d !== '.') await fs.mkdir(path.join(target, d), { recursive: true })
  await eachLimit(plan.files, 16, async (file) => {
    signal?.throwIfAborted()
    const dest = path.join(target, file.path)
    const known = file.size !== undefined && file.mtimeMs !== undefined && file.atimeMs !== undefined
    const { size, atimeMs, mtimeMs } = known ? (file as Required<typeof file>) : await fs.stat(file.source)
    const same = unchanged?.(file.path) ? reusable(previous, file.path, size, mtimeMs) : undefined
    if (same !== undefined) {
      try {
        await fs.link(same, dest)
        return
      } catch {
        // Another file system, or links not allowed: copy instead.
      }
    }
    await fs.copyFile(file.source, dest, constants.COPYFILE_FICLONE)
    // Seconds as a float keep sub-millisecond precision (a Date would truncate to whole ms).
    await fs.utimes(dest, atimeMs / 1000, mtimeMs / 1000)
  })
  for (const { path: p, source } of plan.links) {
    await fs.symlink(await fs.readlink(source), path.join(target, p))
  }
}
