import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** This package's version, read from its package.json (found from this file, built or not). */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === 'p2pcdn' && pkg.version) return pkg.version
    } catch {}
    const up = path.dirname(dir)
    if (up === dir) return 'unknown'
    dir = up
  }
}
