import path from 'node:path'
import {
  type CacheUsage,
  cacheUsage,
  DEFAULT_CACHE_MAX_SIZE,
  defaultCacheDir,
  loadConfig,
  P2pcdnError,
  parseSize,
  pruneCache,
} from '../../src/index.js'
import { human } from '../format.js'

interface CacheFlags {
  cacheDir?: string
  config?: string
  json?: boolean
  maxSize?: string
}

/** The cache folder and size limit: the flags, else the config file, else the defaults. */
async function cacheSettings(flags: CacheFlags): Promise<{ cacheDir: string; maxSize: number }> {
  const { config } = await loadConfig(flags.config ? { file: flags.config } : {})
  const fromConfig =
    typeof config.cacheDir === 'string'
      ? path.resolve(config.cwd ?? process.cwd(), config.cacheDir)
      : undefined
  const cacheDir =
    flags.cacheDir !== undefined ? path.resolve(flags.cacheDir) : (fromConfig ?? defaultCacheDir())
  const given = flags.maxSize ?? config.cacheMaxSize
  if (given === undefined) return { cacheDir, maxSize: DEFAULT_CACHE_MAX_SIZE }
  const maxSize = typeof given === 'number' ? given : parseSize(given)
  if (maxSize === undefined || !Number.isSafeInteger(maxSize) || maxSize < 0) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `${flags.maxSize !== undefined ? '--max-size' : 'The `cacheMaxSize` option'} must be a size such as 64MB, 1GiB or a byte count, got: ${String(given)}.`,
    )
  }
  return { cacheDir, maxSize }
}

function usageLines(usage: CacheUsage): string[] {
  const lines = [`p2pcdn: cache ${usage.cacheDir}: ${usage.sites.length} sites, ${human(usage.size)}`]
  const now = Date.now()
  for (const site of [...usage.sites].reverse()) {
    const days = Math.floor((now - site.lastUsed) / 86_400_000)
    const what =
      site.dir === undefined ? '(an index of an older version: pruned first)' : `${site.dir}  ${site.profile}`
    lines.push(
      `  ${human(site.size).padStart(8)}  ${String(site.files).padStart(6)} files (${human(site.bytes)})  ${days === 0 ? 'today' : `${days} d ago`}  ${what}`,
    )
  }
  if (usage.legacyBlocks) {
    lines.push(
      `  ${human(usage.legacyBlocks.size).padStart(8)}  the block store of p2pcdn 0.1 (${usage.legacyBlocks.path}): unused now, removed by \`p2pcdn cache prune\` or the next publish`,
    )
  }
  return lines
}

/** `p2pcdn cache`: each site's index, most recently published first, and any legacy block store. */
export async function runCacheShow(flags: CacheFlags): Promise<void> {
  const { cacheDir } = await cacheSettings(flags)
  const usage = await cacheUsage(cacheDir)
  process.stderr.write(`${usageLines(usage).join('\n')}\n`)
  if (flags.json) process.stdout.write(`${JSON.stringify(usage, null, 2)}\n`)
}

/** `p2pcdn cache prune`: least recently published sites removed until the cache fits. */
export async function runCachePrune(flags: CacheFlags): Promise<void> {
  const { cacheDir, maxSize } = await cacheSettings(flags)
  const result = await pruneCache(cacheDir, maxSize)
  const lines = [
    `p2pcdn: pruned ${cacheDir} to ${human(maxSize)}: ${result.removed.length} sites removed, ${human(result.size)} left`,
  ]
  for (const site of result.removed) lines.push(`  removed ${site.dir ?? site.file} (${human(site.size)})`)
  if (result.removedLegacy) lines.push('  removed the block store of p2pcdn 0.1 (blocks/)')
  process.stderr.write(`${lines.join('\n')}\n`)
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
