/**
 * A UnixFS file from verified blocks: its root first (raw, or dag-pb decoded
 * with `@ipld/dag-pb` and `ipfs-unixfs`), then the blocks under it that hold
 * a byte range, fetched in parallel over the sources, a window of them ahead
 * of the one being read, and handed out in file order. Deeper trees are
 * walked as their inner nodes arrive.
 *
 * @see https://specs.ipfs.tech/unixfs/
 */
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import type { BlockFetcher, GetOptions } from './fetch-block.js'

/** One decoded block of a file: its own bytes, then its children's, in order. */
export interface FileNode {
  data: Uint8Array
  links: { cid: CID; size: number }[]
  /** File bytes under this node: its data and its children's. */
  size: number
}

/** A block that is not a UnixFS file node, or whose sizes contradict its parent's. */
export class InvalidFileError extends Error {
  override name = 'InvalidFileError'
}

/** Bytes `start` (inclusive) to `end` (exclusive) of a file. */
export interface ByteRange {
  start: number
  end: number
}

/** Decodes a verified block of a file (raw leaf, or dag-pb UnixFS `file`/`raw` node). */
export function decodeNode(cid: CID, block: Uint8Array): FileNode {
  if (cid.code === raw.code) return { data: block, links: [], size: block.length }
  if (cid.code !== dagPb.code)
    throw new InvalidFileError(`${cid}: codec 0x${cid.code.toString(16)} is no file`)
  const node = dagPb.decode(block)
  if (!node.Data) throw new InvalidFileError(`${cid}: a dag-pb node without UnixFS data`)
  const unixfs = UnixFS.unmarshal(node.Data)
  if (unixfs.type !== 'file' && unixfs.type !== 'raw')
    throw new InvalidFileError(`${cid}: a UnixFS ${unixfs.type}, not a file`)
  if (unixfs.blockSizes.length !== node.Links.length)
    throw new InvalidFileError(
      `${cid}: ${node.Links.length} links but ${unixfs.blockSizes.length} block sizes`,
    )
  const data = unixfs.data ?? new Uint8Array(0)
  const links = node.Links.map((link, i) => ({ cid: link.Hash, size: Number(unixfs.blockSizes[i]) }))
  return { data, links, size: links.reduce((n, link) => n + link.size, data.length) }
}

/** Fetches and decodes a file's root block. */
export async function openFile(cid: CID, fetcher: BlockFetcher, options?: GetOptions): Promise<FileNode> {
  return decodeNode(cid, await fetcher.get(cid, options))
}

interface Piece {
  offset: number
  size: number
  data?: Uint8Array
  cid?: CID
  block?: Promise<Uint8Array>
}

/** The pieces of a node (its data, then each child) that overlap the range. */
function piecesOf(node: FileNode, offset: number, range: ByteRange): Piece[] {
  const pieces: Piece[] = []
  const overlaps = (at: number, size: number) => at < range.end && at + size > range.start
  if (overlaps(offset, node.data.length)) pieces.push({ offset, size: node.data.length, data: node.data })
  let at = offset + node.data.length
  for (const link of node.links) {
    if (overlaps(at, link.size)) pieces.push({ offset: at, size: link.size, cid: link.cid })
    at += link.size
  }
  return pieces
}

/**
 * The bytes of `range` of the file under `root`, in order, in chunks of at
 * most one block. Up to `window` blocks are fetched ahead. Rejects with the
 * fetcher's error when a block cannot be had, or {@link InvalidFileError}.
 */
export async function* readFile(
  root: FileNode,
  range: ByteRange,
  fetcher: BlockFetcher,
  window: number,
): AsyncGenerator<Uint8Array> {
  const queue = piecesOf(root, 0, range)
  while (queue.length > 0) {
    for (const piece of queue.slice(0, window)) {
      if (piece.cid && !piece.block) {
        piece.block = fetcher.get(piece.cid)
        // Read later, or never when the reader stops: no unhandled rejection.
        piece.block.catch(() => {})
      }
    }
    const piece = queue.shift() as Piece
    let node: FileNode | undefined
    if (piece.cid) {
      node = decodeNode(piece.cid, await (piece.block as Promise<Uint8Array>))
      if (node.size !== piece.size)
        throw new InvalidFileError(`${piece.cid}: ${node.size} bytes where its parent says ${piece.size}`)
    }
    if (node && node.links.length > 0) {
      queue.unshift(...piecesOf(node, piece.offset, range))
      continue
    }
    const data = node ? node.data : (piece.data as Uint8Array)
    yield data.subarray(
      Math.max(0, range.start - piece.offset),
      Math.min(data.length, range.end - piece.offset),
    )
  }
}
