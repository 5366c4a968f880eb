import { exporter } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import type { BlockSource } from './blocks.js'

/** Bumped whenever the generated HTML changes, so caches drop old listings (path gateway spec's `DirIndex` ETag). */
export const DIR_INDEX_VERSION = 2

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string,
  )

const encoder = new TextEncoder()

/**
 * `Index of /ipfs/<cid>/a/b`, each segment a link to its own content path (the layout Kubo's
 * listings have, which the IPFS gateway-conformance suite checks). `path` is percent-encoded.
 */
function breadcrumbs(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '')
  const [namespace = 'ipfs', ...rest] = segments
  let href = `/${namespace}`
  const links = rest.map((segment) => {
    href += `/${segment}`
    return `<a href="${escapeHtml(href)}">${escapeHtml(decodeURIComponent(segment))}</a>`
  })
  return `/${escapeHtml(namespace)}/${links.join('/')}`
}

/**
 * A small HTML index of the UnixFS directory `cid`, served at `path` (percent-encoded, ending
 * with `/`): breadcrumbs, a `..` link below the root, and per entry its content path, its CID
 * (with `?filename=`) and its size. Streamed entry by entry; sizes are the links' DAG sizes, so no
 * child block is read.
 */
export async function* directoryListing(
  blocks: BlockSource,
  cid: CID,
  path: string,
  hasParent: boolean,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const entry = await exporter(cid, blocks, { signal })
  if (entry.type !== 'directory') throw new Error(`${cid} is not a directory`)
  const title = escapeHtml(decodeURIComponent(path))
  yield encoder.encode(
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
      `<title>Index of ${title}</title></head><body>\n<h1>Index of ${breadcrumbs(path)}</h1>\n` +
      `<p>${escapeHtml(cid.toString())} · <a href="?format=car">CAR</a></p>\n<table>\n` +
      `<tr><th>Name</th><th>CID</th><th>DAG size</th></tr>\n` +
      (hasParent ? `<tr><td><a href="${escapeHtml(`${path}..`)}">..</a></td><td></td><td></td></tr>\n` : ''),
  )
  for await (const child of entry.entries({ signal })) {
    const name = escapeHtml(child.name)
    const href = escapeHtml(`${path}${encodeURIComponent(child.name)}`)
    const childCid = escapeHtml(child.cid.toString())
    // Kubo's form: the file name escaped as a path segment, then as a query value.
    const filename = encodeURIComponent(encodeURIComponent(child.name))
    yield encoder.encode(
      `<tr><td><a href="${href}">${name}</a></td><td><a class="ipfs-hash" translate="no" href="/ipfs/${childCid}?filename=${filename}">${childCid}</a></td><td>${child.size}</td></tr>\n`,
    )
  }
  yield encoder.encode('</table>\n</body></html>\n')
}
