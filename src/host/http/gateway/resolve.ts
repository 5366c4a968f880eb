import { walkPath } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import type { BlockSource } from './blocks.js'

/** A content path that does not exist in the DAG under its root. */
export class PathNotFoundError extends Error {
  override readonly name = 'PathNotFoundError'
}

/** A content path that goes through data the gateway cannot path into (e.g. an unknown codec). */
export class PathUnsupportedError extends Error {
  override readonly name = 'PathUnsupportedError'
}

/** `/ipfs/<root>/<segments…>` resolved down to its last segment. */
export interface ResolvedPath {
  root: CID
  /** The CID at the end of the path. */
  terminal: CID
  /** The blocks needed to verify the path from the root, in path order, excluding `terminal`; includes HAMT sub-shards. */
  pathBlocks: CID[]
  /** One CID per path segment, root first (`X-Ipfs-Roots`). */
  logicalRoots: CID[]
}

/**
 * Walks `segments` from `root` through UnixFS directories (HAMT-sharded ones
 * included) with ipfs-unixfs-exporter's `walkPath`, reading the local store only.
 */
export async function resolvePath(
  blocks: BlockSource,
  root: CID,
  segments: readonly string[],
  signal?: AbortSignal,
): Promise<ResolvedPath> {
  if (segments.length === 0) return { root, terminal: root, pathBlocks: [], logicalRoots: [root] }
  const all: CID[] = []
  const logicalRoots: CID[] = []
  let remaining = segments.length + 1
  try {
    for await (const entry of walkPath(`${root}/${segments.join('/')}`, blocks, {
      yieldSubShards: true,
      signal,
    })) {
      all.push(entry.cid)
      // A sub-shard leaves the remaining path as it was; a real segment shortens it.
      if (entry.remainder.length < remaining) logicalRoots.push(entry.cid)
      remaining = entry.remainder.length
    }
  } catch (cause) {
    const name = (cause as { name?: string }).name
    const consumed = Math.max(segments.length - remaining, 0)
    const resolved = `/ipfs/${[root, ...segments.slice(0, consumed)].join('/')}`
    if (name === 'NotFoundError') {
      throw new PathNotFoundError(
        `/ipfs/${root}/${segments.join('/')} does not exist: no "${segments[consumed] ?? ''}" in ${resolved}`,
        { cause },
      )
    }
    if (name === 'NoResolverError' || name === 'NotUnixFSError') {
      throw new PathUnsupportedError(
        `cannot follow the path below ${resolved}: ${(cause as Error).message}`,
        {
          cause,
        },
      )
    }
    throw cause
  }
  const terminal = all.pop() as CID
  return { root, terminal, pathBlocks: all, logicalRoots }
}
