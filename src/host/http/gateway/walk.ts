import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import { CODEC_DAG_PB, CODEC_RAW } from '../../../constants.js'
import type { BlockSource } from './blocks.js'

/** How many blocks ahead of the walk are read at once (bounds the memory a response holds). */
const PREFETCH = 8

/** A DAG that is not what it claims to be, e.g. a UnixFS file whose block sizes do not add up. */
export class InvalidDagError extends Error {
  override readonly name = 'InvalidDagError'
  constructor(
    readonly cid: CID,
    reason: string,
  ) {
    super(`block ${cid} is not valid UnixFS: ${reason}`)
  }
}

/** A block to visit, with what its parent knew about it. */
export interface Step<C> {
  cid: CID
  context: C
}

/** What a visitor makes of a block: the links to follow, in order, and a value for the caller. */
export interface Visit<C, V> {
  children: Step<C>[]
  value: V
}

/** Reads a block's links (and a value) given the context its parent passed down. */
export type Visitor<C, V> = (cid: CID, bytes: Uint8Array, context: C) => Visit<C, V>

/** A block as the walk yields it. */
export interface WalkedBlock<C, V> {
  cid: CID
  bytes: Uint8Array
  context: C
  value: V
}

/** Options of {@link walkBlocks}. */
export interface WalkOptions {
  signal?: AbortSignal
  /** CIDs already sent: when given, a block is visited once (`dups=n`) and its key added here. */
  seen?: Set<string>
}

/**
 * Depth-first, pre-order walk from `start`, following the links each visit
 * returns, in their order. Reads a few blocks ahead; never more, so memory
 * stays bounded however large the DAG, and the walk only advances as fast as
 * its consumer.
 */
export async function* walkBlocks<C, V>(
  blocks: BlockSource,
  start: Step<C>,
  visit: Visitor<C, V>,
  { signal, seen }: WalkOptions = {},
): AsyncGenerator<WalkedBlock<C, V>> {
  const stack: Step<C>[] = [start]
  const reads = new Map<string, Promise<Uint8Array>>()
  const read = (cid: CID, key: string) => {
    let pending = reads.get(key)
    if (pending === undefined) {
      pending = blocks.read(cid, { signal })
      // Observed when awaited; a read the walk never reaches must not be an unhandled rejection.
      pending.catch(() => {})
      reads.set(key, pending)
    }
    return pending
  }
  while (stack.length > 0) {
    signal?.throwIfAborted()
    const step = stack.pop() as Step<C>
    const key = step.cid.toString()
    if (seen !== undefined) {
      if (seen.has(key)) continue
      seen.add(key)
    }
    for (let i = stack.length - 1; i >= 0 && i >= stack.length - PREFETCH; i--) {
      const next = (stack[i] as Step<C>).cid
      const nextKey = next.toString()
      if (seen?.has(nextKey) !== true) read(next, nextKey)
    }
    const bytes = await read(step.cid, key)
    reads.delete(key)
    const { children, value } = visit(step.cid, bytes, step.context)
    yield { cid: step.cid, bytes, context: step.context, value }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Step<C>)
  }
}

const NOTHING: Visit<undefined, undefined> = { children: [], value: undefined }

const unixfsOf = (node: dagPb.PBNode): UnixFS | undefined => {
  if (node.Data === undefined) return undefined
  try {
    return UnixFS.unmarshal(node.Data)
  } catch {
    return undefined
  }
}

/** The UnixFS metadata of a dag-pb block, or undefined for other codecs and non-UnixFS dag-pb. */
export function readUnixfs(cid: CID, bytes: Uint8Array): { node: dagPb.PBNode; unixfs: UnixFS } | undefined {
  if (cid.code !== CODEC_DAG_PB) return undefined
  const node = dagPb.decode(bytes)
  const unixfs = unixfsOf(node)
  return unixfs === undefined ? undefined : { node, unixfs }
}

/** Follows every dag-pb link: the whole DAG (`dag-scope=all`). Other codecs are leaves. */
export const allLinks: Visitor<undefined, undefined> = (cid, bytes) => {
  if (cid.code !== CODEC_DAG_PB) return NOTHING
  return {
    children: dagPb.decode(bytes).Links.map((link) => ({ cid: link.Hash, context: undefined })),
    value: undefined,
  }
}

/** Follows only the sub-shards of a HAMT-sharded directory: what it takes to list it (`dag-scope=entity`). */
export const hamtShards: Visitor<undefined, undefined> = (cid, bytes) => {
  const decoded = readUnixfs(cid, bytes)
  const fanout = decoded?.unixfs.fanout
  if (decoded?.unixfs.type !== 'hamt-sharded-directory' || fanout === undefined) return NOTHING
  // Sub-shard links are named by their bucket alone; entries carry the bucket prefix and a name.
  const prefix = (fanout - 1n).toString(16).length
  const children = decoded.node.Links.filter((link) => (link.Name ?? '').length === prefix).map((link) => ({
    cid: link.Hash,
    context: undefined,
  }))
  return { children, value: undefined }
}

/** Where a block of a UnixFS file sits in the file. */
export interface FilePart {
  offset: number
  size: number
}

/**
 * Follows only the blocks of a UnixFS file that hold bytes of `[from, end)`;
 * each visit's value is the block's own bytes of the file (starting at its
 * `offset`). Checks that the block sizes add up.
 */
export function fileRange(from: number, end: number): Visitor<FilePart, Uint8Array> {
  return (cid, bytes, { offset, size }) => {
    if (cid.code === CODEC_RAW) {
      if (bytes.length !== size)
        throw new InvalidDagError(cid, `holds ${bytes.length} bytes, its parent says ${size}`)
      return { children: [], value: bytes }
    }
    const decoded = readUnixfs(cid, bytes)
    if (decoded === undefined || (decoded.unixfs.type !== 'file' && decoded.unixfs.type !== 'raw')) {
      throw new InvalidDagError(cid, 'expected a file block')
    }
    const { node, unixfs } = decoded
    const data = unixfs.data ?? new Uint8Array(0)
    if (node.Links.length !== unixfs.blockSizes.length) {
      throw new InvalidDagError(cid, 'its links and block sizes differ in number')
    }
    const total = unixfs.blockSizes.reduce((sum, blockSize) => sum + Number(blockSize), data.length)
    if (total !== size) throw new InvalidDagError(cid, `holds ${total} bytes, its parent says ${size}`)
    const children: Step<FilePart>[] = []
    let position = offset + data.length
    for (let i = 0; i < node.Links.length && position < end; i++) {
      const childSize = Number(unixfs.blockSizes[i])
      if (position + childSize > from && childSize > 0) {
        children.push({
          cid: (node.Links[i] as dagPb.PBLink).Hash,
          context: { offset: position, size: childSize },
        })
      }
      position += childSize
    }
    return { children, value: data }
  }
}

/**
 * Bytes `[start, end)` of the UnixFS file (or raw block) `cid` of `size`
 * bytes, reading only the blocks that hold them, streamed in order.
 */
export async function* fileContent(
  blocks: BlockSource,
  cid: CID,
  size: number,
  start: number,
  end: number,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  if (end <= start) return
  let sent = 0
  const walk = walkBlocks(blocks, { cid, context: { offset: 0, size } }, fileRange(start, end), { signal })
  for await (const { value, context } of walk) {
    const from = Math.max(start - context.offset, 0)
    const to = Math.min(end - context.offset, value.length)
    if (to > from) {
      sent += to - from
      yield value.subarray(from, to)
    }
  }
  if (sent !== end - start)
    throw new InvalidDagError(cid, `gave ${sent} bytes of the ${end - start} asked for`)
}
