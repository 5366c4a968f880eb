import { homedir } from 'node:os'
import path from 'node:path'

/**
 * p2pcdn's folder under an XDG base directory: `$<variable>/p2pcdn` when the variable holds an
 * absolute path (the XDG spec ignores relative ones), else `~/<fallback>/p2pcdn`.
 */
export function xdgDir(
  variable: 'XDG_CACHE_HOME' | 'XDG_CONFIG_HOME',
  fallback: string,
  env: NodeJS.ProcessEnv,
): string {
  const value = env[variable]
  const base = value && path.isAbsolute(value) ? value : path.join(homedir(), fallback)
  return path.join(base, 'p2pcdn')
}
