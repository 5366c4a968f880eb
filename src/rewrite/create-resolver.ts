/**
 * URL resolution for the many references of one document: memoised per URL,
 * with a fast path for plain relative paths that gives the URL parser's answer
 * without calling it.
 */
import {
  type ReferenceResolutionContext,
  type ResolvedReference,
  resolveReference,
} from './resolve-reference.js'

/**
 * {@link resolveReference} for many URLs written in one document: the same
 * answers, memoised per URL, and worked out without the URL parser for the
 * common case of a plain relative or root-relative path (letters, digits and
 * `._~/+@,-` only, no `<base href>`), whose `.` and `..` segments are resolved
 * here as the parser's path state does.
 *
 * @example
 * const resolve = createResolver({ documentPath: 'blog/post.html', origins: [] })
 * resolve('../img/a.png') // { kind: 'asset', path: 'img/a.png', suffix: '' }
 */
export function createResolver(context: ReferenceResolutionContext): (url: string) => ResolvedReference {
  const memo = new Map<string, ResolvedReference>()
  const folder = context.baseHref === undefined ? folderOf(context.documentPath) : undefined
  const prefix = folder === undefined || folder.length === 0 ? '' : `${folder.join('/')}/`
  return (url) => {
    let resolved = memo.get(url)
    if (resolved === undefined) {
      resolved = (folder && resolvePlainPath(url, folder, prefix)) || resolveReference(url, context)
      if (url.length <= MEMO_URL_LENGTH) memo.set(url, resolved)
    }
    return resolved
  }
}

/** Longer URLs (inline `data:`) are not kept. */
const MEMO_URL_LENGTH = 2048

/** The document's folder as path segments, or `undefined` when a segment would not survive the URL parser as written. */
function folderOf(documentPath: string): string[] | undefined {
  const segments = documentPath.split('/')
  segments.pop()
  return segments.every((s) => PLAIN_SEGMENT.test(s)) ? segments : undefined
}

const PLAIN_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._~+@,-]+$/
/** A URL whose path part the URL parser neither percent-encodes nor reads as a scheme, host or backslash. */
const PLAIN_PATH = /^(?!\/\/)[A-Za-z0-9._~+@,/-]+(?=[?#]|$)/

const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/

/** The fast path of {@link createResolver}; `undefined` for anything but a plain path. */
function resolvePlainPath(
  url: string,
  folder: readonly string[],
  prefix: string,
): ResolvedReference | undefined {
  const path = PLAIN_PATH.exec(url)?.[0]
  if (path === undefined) return
  const suffix = url.slice(path.length)
  if (suffix !== '' && /[\0-\x20]/.test(suffix)) return
  if (!DOT_SEGMENT.test(path)) {
    // No `.` or `..` segment: the folder and the path, joined.
    const joined = path.startsWith('/') ? path.slice(1) : prefix + path
    return {
      kind: 'asset',
      path: joined === '' || joined.endsWith('/') ? `${joined}index.html` : joined,
      suffix,
    }
  }
  const segments = path.startsWith('/') ? [] : folder.slice()
  const written = (path.startsWith('/') ? path.slice(1) : path).split('/')
  for (let i = 0; i < written.length; i++) {
    const segment = written[i] as string
    const last = i === written.length - 1
    if (segment === '..') {
      if (segments.length === 0)
        return { kind: 'unresolvable', reason: 'the path climbs above the site root with `..`' }
      segments.pop()
      if (last) segments.push('')
    } else if (segment === '.') {
      if (last) segments.push('')
    } else {
      segments.push(segment)
    }
  }
  let resolved = segments.join('/')
  if (resolved === '' || resolved.endsWith('/')) resolved += 'index.html'
  return { kind: 'asset', path: resolved, suffix }
}
