import { posix } from 'node:path'
import { OWN_OUTPUT_FILES } from '../constants.js'
import type { Warning } from '../warnings.js'
import { createResolver } from './create-resolver.js'
import { type IpfsLinkOptions, ipfsLink, parseIpfsLink } from './ipfs-link.js'
import { matchAsset, type ResolvedReference, resolveReference } from './resolve-reference.js'
import type { Reference } from './types.js'

/** A published asset, as the rewrite needs it. */
export interface PublishedAsset {
  cid: string
  /** SHA-256 in Subresource Integrity form. */
  integrity: string
}

/** Everything a document's rewrite needs to know about the site. Pure data: no I/O. */
export interface RewriteContext {
  /** The document's path in the site, `/`-separated, e.g. `blog/post.html`. */
  documentPath: string
  /** The site's own origins (normalised), whose absolute URLs name site files. */
  origins: readonly string[]
  /** The published assets, by site path (CSS files with their rewritten CID). */
  assets: ReadonlyMap<string, PublishedAsset>
  /** How IPFS links are written. */
  link: IpfsLinkOptions
  /** Site paths whose references stay as they are, without a warning (e.g. an `@import` cycle). */
  skip?: ReadonlySet<string>
}

/** What to do with one reference. */
export type Plan =
  | {
      action: 'rewrite'
      /** The IPFS link that replaces the URL (query and fragment carried over). */
      url: string
      /** The site file it names. */
      path: string
      asset: PublishedAsset
    }
  | {
      action: 'keep'
      warning?: Warning
      /** Set when the reference already is an IPFS link (a page published before): its CID. */
      linked?: string
      /** The site file it names, when it is one that `context.skip` keeps on the origin. */
      path?: string
    }

/** `?filename=x` plus the reference's own query and fragment: `?filename=x&v=2#top`. */
function withSuffix(link: string, suffix: string): string {
  if (suffix === '') return link
  const hash = suffix.indexOf('#')
  const query = hash === -1 ? suffix : suffix.slice(0, hash)
  const fragment = hash === -1 ? '' : suffix.slice(hash)
  const extra = query.replace(/^\?/, '')
  if (extra === '') return `${link}${fragment}`
  return `${link}${link.includes('?') ? '&' : '?'}${extra}${fragment}`
}

/**
 * Decides what happens to one reference: an IPFS link when it names a
 * published file of the site; left alone when it is external, `data:`,
 * `blob:`, `javascript:`, unresolvable, or already an IPFS link (so a second
 * publish changes nothing); left alone with a warning naming the page and line
 * when it names a site file that does not exist.
 */
export function planReference(
  reference: Pick<Reference, 'url' | 'line'>,
  context: RewriteContext,
  baseHref?: string,
): Plan {
  const existing = parseIpfsLink(reference.url)
  if (existing !== undefined) return { action: 'keep', linked: existing.cid }
  const resolved = resolveReference(reference.url, {
    documentPath: context.documentPath,
    origins: context.origins,
    ...(baseHref === undefined ? {} : { baseHref }),
  })
  return planResolved(reference, resolved, context)
}

/**
 * {@link planReference} for every reference of one document: the same plans,
 * with the URL resolution memoised per URL (see `createResolver`), IPFS links
 * written once per file, and inline `data:` URLs left alone at a glance.
 */
export function createPlanner(
  context: RewriteContext,
  baseHref?: string,
): (reference: Pick<Reference, 'url' | 'line'>) => Plan {
  const resolve = createResolver({
    documentPath: context.documentPath,
    origins: context.origins,
    ...(baseHref === undefined ? {} : { baseHref }),
  })
  const links = new Map<string, string>()
  return (reference) => {
    if (isDataUrl(reference.url)) return { action: 'keep' }
    const existing = parseIpfsLink(reference.url)
    if (existing !== undefined) return { action: 'keep', linked: existing.cid }
    return planResolved(reference, resolve(reference.url), context, links)
  }
}

/** Whether `url` is a `data:` URL as the URL parser reads it (leading C0 and spaces, and tabs and newlines, dropped). */
function isDataUrl(url: string): boolean {
  let i = 0
  while (i < url.length && url.charCodeAt(i) <= 0x20) i++
  let scheme = ''
  for (; i < url.length && scheme.length < 5; i++) {
    const c = url.charCodeAt(i)
    if (c !== 0x09 && c !== 0x0a && c !== 0x0d) scheme += url.charAt(i)
  }
  return scheme.toLowerCase() === 'data:'
}

function planResolved(
  reference: Pick<Reference, 'url' | 'line'>,
  resolved: ResolvedReference,
  context: RewriteContext,
  links?: Map<string, string>,
): Plan {
  if (resolved.kind !== 'asset' || OWN_OUTPUT_FILES.includes(resolved.path)) return { action: 'keep' }
  const path = matchAsset(resolved, (p) => context.assets.has(p) || context.skip?.has(p) === true)
  if (path !== undefined && context.skip?.has(path)) return { action: 'keep', path }
  const asset = path === undefined ? undefined : context.assets.get(path)
  if (path === undefined || asset === undefined) {
    return {
      action: 'keep',
      warning: {
        code: 'W_ASSET_MISSING',
        message: `references ${JSON.stringify(reference.url)}, but the site has no file ${JSON.stringify(resolved.path)}; the reference is left as it is. Fix the link or add the file.`,
        path: context.documentPath,
        line: reference.line,
      },
    }
  }
  const key = `${asset.cid}/${path}`
  let link = links?.get(key)
  if (link === undefined) {
    link = ipfsLink(asset.cid, posix.basename(path), context.link)
    links?.set(key, link)
  }
  return { action: 'rewrite', url: withSuffix(link, resolved.suffix), path, asset }
}
