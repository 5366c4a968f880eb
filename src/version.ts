import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

/** This package's version, from the nearest p2pcdn package.json above this file (built or not): the CLI's `--version`, results files' `VERSION`. */
export function packageVersion(): string {
  if (cached) return cached
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === 'p2pcdn' && pkg.version) {
        cached = pkg.version
        return cached
      }
    } catch {}
    const up = path.dirname(dir)
    if (up === dir) return 'unknown'
    dir = up
  }
}
