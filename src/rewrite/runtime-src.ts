/**
 * The `src` that links a page to the fallback runtime at the site root, written
 * relative so that a site served under a sub-path (`https://host/docs/`) finds it too.
 */
import path from 'node:path'
import { RUNTIME_FILE } from '../constants.js'
import { resolveReference } from './resolve-reference.js'

/**
 * The runtime's URL relative to the folder a URL in `page` resolves against:
 * the page's own folder (`baseHref` undefined), or that of its `<base href>`
 * (relative, root-relative, or absolute on one of `origins`). `undefined` for a
 * base off the site (another origin, or one that climbs above the root): no
 * relative URL under it reaches the site (rewriteHtml then puts the script
 * before the `<base>`, relative to the page).
 *
 * @example
 * runtimeSrc('blog/2020/first post.html', undefined, []) // '../../p2pcdn-fallback.js'
 * runtimeSrc('blog/2020/first post.html', '/blog/', []) // '../p2pcdn-fallback.js'
 * runtimeSrc('a.html', 'https://cdn.example.net/', []) // undefined
 */
export function runtimeSrc(
  page: string,
  baseHref: string | undefined,
  origins: readonly string[],
): string | undefined {
  let dir = path.posix.dirname(page)
  if (baseHref !== undefined) {
    // Where a relative URL in this page lands, given its base.
    const probe = resolveReference('p2pcdn-probe', { documentPath: page, baseHref, origins })
    if (probe.kind !== 'asset') return undefined
    dir = path.posix.dirname(probe.path)
  }
  const up = path.posix.relative(`/${dir === '.' ? '' : dir}`, '/')
  return up === '' ? RUNTIME_FILE : `${up}/${RUNTIME_FILE}`
}
