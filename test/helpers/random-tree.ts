/**
 * Seeded random site trees for differential tests against Kubo (test/interop/): file sizes at and
 * around the chunk boundaries of both IPIP-499 profiles, empty files and folders, dotfiles, unicode
 * (NFC and NFD), spaces and other odd names. The same seed gives the same tree on every machine.
 */
import fs from 'node:fs/promises'
import path from 'node:path'

const KiB = 1024
const MiB = 1024 * KiB

/** Sizes where chunkers and layouts change: 256 KiB (v0) and 1 MiB (v1) chunks, a raw block alone. */
const BOUNDARY_SIZES = [
  0,
  1,
  2,
  255,
  256 * KiB - 1,
  256 * KiB,
  256 * KiB + 1,
  512 * KiB,
  MiB - 1,
  MiB,
  MiB + 1,
  2 * MiB + 3,
]

const NAMES = [
  'index.html',
  'a',
  'A',
  'with space.txt',
  'ünïcödé.txt',
  'cafe\u0301.txt', // NFD
  'caf\u00e9.txt', // NFC: a different name
  '日本語.html',
  'emoji-🚀.svg',
  '%20encoded.css',
  "quote's.js",
  'semi;colon',
  'hash#name',
  'question?',
  'very-long-name-'.repeat(12),
  '-leading-dash',
  'trailing.',
  '_under',
  'z',
]

const DOTNAMES = ['.hidden', '.well-known', '.htaccess', '.config.json']

/** mulberry32: a small, good enough PRNG for test inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function bytes(random: () => number, size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4))
  for (let i = 0; i < words.length; i++) words[i] = (random() * 4294967296) >>> 0
  return Buffer.from(words.buffer, 0, size)
}

export interface TreeStats {
  files: number
  folders: number
  bytes: number
}

/**
 * Writes a random tree into `dir` (which must exist and be empty). Small trees: up to 3 levels,
 * up to 8 entries a folder, about one file in four at a chunk boundary, at most ~8 MiB in all.
 */
export async function writeRandomTree(dir: string, seed: number): Promise<TreeStats> {
  const random = prng(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
  const stats: TreeStats = { files: 0, folders: 0, bytes: 0 }
  let budget = 8 * MiB
  async function fill(folder: string, depth: number): Promise<void> {
    const count = Math.floor(random() * (depth === 0 ? 8 : 5)) + (depth === 0 ? 1 : 0)
    const used = new Set<string>()
    for (let i = 0; i < count; i++) {
      let name = random() < 0.15 ? pick(DOTNAMES) : pick(NAMES)
      if (used.has(name)) name = `${name}-${i}`
      used.add(name)
      const target = path.join(folder, name)
      if (depth < 3 && random() < 0.25) {
        await fs.mkdir(target)
        stats.folders++
        await fill(target, depth + 1) // may stay empty
        continue
      }
      let size = random() < 0.3 ? pick(BOUNDARY_SIZES) : Math.floor(random() * 40 * KiB)
      if (size > budget) size = Math.floor(random() * 1024)
      budget -= size
      await fs.writeFile(target, bytes(random, size))
      stats.files++
      stats.bytes += size
    }
  }
  await fill(dir, 0)
  return stats
}

/** A folder of `count` small files with long names: past the HAMT threshold of both profiles. */
export async function writeWideFolder(dir: string, count: number, seed: number): Promise<void> {
  const random = prng(seed)
  await fs.mkdir(dir, { recursive: true })
  for (let i = 0; i < count; i++) {
    const name = `entry-${String(i).padStart(5, '0')}-${Math.floor(random() * 1e9).toString(36)}-padding-to-make-names-long.txt`
    await fs.writeFile(path.join(dir, name), `${i}\n`)
  }
}
