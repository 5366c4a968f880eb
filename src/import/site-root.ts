import type { Blockstore } from 'interface-blockstore'
import {
  type ImportCandidate,
  type ImporterOptions,
  type InProgressImportResult,
  importer,
} from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'
import type { ProfileName } from '../constants.js'
import { importerOptions } from './importer-options.js'

/** A file already in the block store: where it goes in the site, and its DAG. */
export interface SiteEntry {
  path: string
  cid: CID
  /** Cumulative size of the file's DAG (what a directory link's Tsize records). */
  dagSize: bigint
}

/** An empty UnixFS directory as the importer makes it for `profile` (its block goes to `blockstore`). */
async function emptyDirectory(
  blockstore: Pick<Blockstore, 'put'>,
  profile: ProfileName,
): Promise<{ cid: CID; size: bigint }> {
  for await (const result of importer([{ path: 'empty' }], blockstore, importerOptions(profile))) {
    return { cid: result.cid, size: result.size }
  }
  throw new Error('emptyDirectory: the importer made nothing')
}

/**
 * Builds the site's UnixFS directory tree from files that are already imported,
 * without reading their content again, and returns the root directory's CID:
 * the CID `ipfs add -r` gives for a folder holding exactly these files (and
 * the empty `directories`).
 * Directory blocks (flat or HAMT-sharded, as the profile decides) are written
 * to `blockstore`.
 */
export async function buildSiteRoot(
  entries: Iterable<SiteEntry>,
  blockstore: Pick<Blockstore, 'put'>,
  profile: ProfileName,
  directories: readonly string[] = [],
): Promise<CID> {
  const empty = directories.length > 0 ? await emptyDirectory(blockstore, profile) : undefined
  // The importer's own tree builder places the files; a pass-through DAG
  // builder hands it the files' known CIDs instead of re-chunking their bytes.
  const known: NonNullable<ImporterOptions['dagBuilder']> = async function* (source) {
    for await (const candidate of source as AsyncIterable<ImportCandidate & { entry: SiteEntry }>) {
      const { entry } = candidate
      const result: InProgressImportResult = { cid: entry.cid, size: entry.dagSize, path: entry.path }
      yield async () => result
    }
  }
  const candidates = async function* () {
    for (const entry of entries) yield { path: entry.path, content: [], entry }
    if (empty === undefined) return
    for (const dir of directories)
      yield { path: dir, content: [], entry: { path: dir, ...empty, dagSize: empty.size } }
  }
  let root: CID | undefined
  for await (const result of importer(
    candidates(),
    blockstore,
    importerOptions(profile, { wrapWithDirectory: true, dagBuilder: known }),
  )) {
    root = result.cid
  }
  if (root === undefined) throw new Error('buildSiteRoot: no entries')
  return root
}
