import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { BlackHoleBlockstore } from 'blockstore-core/black-hole'
import { type ImportCandidate, importer } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'
import { DEFAULT_PROFILE, type ProfileName } from '../constants.js'
import { errors } from '../errors.js'
import { walkTree } from '../scan/walk-tree.js'
import { importerOptions } from './importer-options.js'

export interface CidOfPathOptions {
  /** @default 'unixfs-v1-2025' */
  profile?: ProfileName
  /** Include dotfiles, like `ipfs add --hidden`. @default false */
  hidden?: boolean
  signal?: AbortSignal
}

async function* candidates(target: string, hidden: boolean): AsyncGenerator<ImportCandidate> {
  const stat = await fs.lstat(target)
  if (!stat.isDirectory()) {
    yield { content: createReadStream(target) }
    return
  }
  const base = path.basename(target)
  yield { path: base }
  for await (const entry of walkTree(target, { dot: hidden })) {
    const full = path.join(target, entry.path)
    const inTree = `${base}/${entry.path}`
    if (entry.kind === 'dir') yield { path: inTree }
    else if (entry.kind === 'link') yield { path: inTree, link: await fs.readlink(full) }
    else if (entry.kind === 'file') yield { path: inTree, content: createReadStream(full) }
  }
}

/**
 * The CID that `ipfs add -r --only-hash -Q <target>` prints under the same
 * profile: files chunked per the profile, folders recursed (dotfiles skipped
 * unless `hidden`), symlinks stored as UnixFS symlinks, nothing written.
 *
 * @example
 * ```ts
 * const cid = await cidOfPath('dist/logo.png')
 * console.log(cid.toString()) // bafkrei…
 * ```
 */
export async function cidOfPath(target: string, options: CidOfPathOptions = {}): Promise<CID> {
  const profile = options.profile ?? DEFAULT_PROFILE
  try {
    await fs.lstat(target)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw errors.pathMissing(target)
    throw errors.unreadable(target, cause)
  }
  let last: CID | undefined
  try {
    for await (const result of importer(
      candidates(target, options.hidden ?? false),
      new BlackHoleBlockstore(),
      importerOptions(profile, { signal: options.signal } as never),
    )) {
      last = result.cid
    }
  } catch (cause) {
    const err = cause as NodeJS.ErrnoException
    if (err.code === 'EACCES' || err.code === 'EPERM') throw errors.unreadable(err.path ?? target, cause)
    throw cause
  }
  if (last === undefined) throw errors.pathMissing(target)
  return last
}
