import { exporter } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import type { BlockSource } from './blocks.js'

/** Bumped whenever the generated HTML changes, so caches drop old listings (path gateway spec's `DirIndex` ETag). */
export const DIR_INDEX_VERSION = 1

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string,
  )

const encoder = new TextEncoder()

/**
 * A small HTML index of the UnixFS directory `cid`, served at `path` (which
 * ends with `/`). Streamed entry by entry; sizes are the links' DAG sizes,
 * so no child block is read.
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
      `<title>Index of ${title}</title></head><body>\n<h1>Index of ${title}</h1>\n` +
      `<p>${escapeHtml(cid.toString())} · <a href="?format=car">CAR</a></p>\n<table>\n` +
      `<tr><th>Name</th><th>CID</th><th>DAG size</th></tr>\n` +
      (hasParent ? '<tr><td><a href="../">..</a></td><td></td><td></td></tr>\n' : ''),
  )
  for await (const child of entry.entries({ signal })) {
    const name = escapeHtml(child.name)
    const href = escapeHtml(`./${encodeURIComponent(child.name)}`)
    const childCid = escapeHtml(child.cid.toString())
    yield encoder.encode(
      `<tr><td><a href="${href}">${name}</a></td><td><a href="/ipfs/${childCid}">${childCid}</a></td><td>${child.size}</td></tr>\n`,
    )
  }
  yield encoder.encode('</table>\n</body></html>\n')
}
