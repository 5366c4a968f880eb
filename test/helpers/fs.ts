import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const FIXTURE_SITE = path.join(ROOT, 'fixtures/site')

/** A fresh temporary folder; `cleanup()` removes every folder made so far. */
export function tempDirs() {
  const made: string[] = []
  return {
    async make(label = 'test'): Promise<string> {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), `p2pcdn-${label}-`))
      made.push(dir)
      return dir
    },
    async cleanup(): Promise<void> {
      await Promise.all(made.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })))
    },
  }
}

/** Copies a folder (links kept as links). */
export async function copyTree(from: string, to: string): Promise<void> {
  await fs.cp(from, to, { recursive: true, verbatimSymlinks: true })
}

/**
 * A fingerprint of a folder: every entry's relative path, kind and content
 * hash (or link target), sorted. Two equal snapshots mean the trees are equal.
 */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (rel: string) => {
    for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel === '' ? entry.name : `${rel}/${entry.name}`
      const full = path.join(dir, p)
      if (entry.isSymbolicLink()) out[p] = `link:${await fs.readlink(full)}`
      else if (entry.isDirectory()) {
        out[p] = 'dir'
        await walk(p)
      } else
        out[p] = `file:${createHash('sha256')
          .update(await fs.readFile(full))
          .digest('hex')}`
    }
  }
  await walk('')
  return out
}

/** Names in `parent` left by publish's temporary and swap folders. */
export async function leftovers(parent: string): Promise<string[]> {
  return (await fs.readdir(parent)).filter((n) => n.startsWith('.p2pcdn-'))
}
