/**
 * Publish's IPNS step: once the site's root is known, sign a record naming it with the site's key
 * and write it into the staged output as `p2pcdn-ipns-record` (a file the root does not hold, so it
 * never changes the root; it lands with the rest of the output in the one rename).
 */
import path from 'node:path'
import type { CID } from 'multiformats/cid'
import { IPNS_RECORD_FILE } from '../constants.js'
import { writeFileAtomic } from '../utils/write-file-atomic.js'
import type { Warning } from '../warnings.js'
import { lastSequence, nextSequence, recordSequence, saveSequence, sequenceFile } from './sequence.js'
import type { SiteKey } from './site-key.js'
import { createSiteRecord, type SiteRecord } from './site-record.js'

export interface SignSiteOptions {
  key: SiteKey
  root: CID
  lifetimeMs: number
  ttlMs: number
  /** The previous output (its record's sequence is exceeded). */
  previousOut: string
  /** Where a key from the environment keeps its last sequence; `false`: nowhere. */
  cacheDir: string | false
  /** The staged output the record is written into; `undefined` on a dry run (nothing written, nothing kept). */
  stagedDir: string | undefined
  /** @default Date.now() */
  now?: number
}

export interface SignSiteResult {
  record: SiteRecord
  warnings: Warning[]
}

/**
 * Signs the site's next record (sequence: see src/ipns/sequence.ts) and, unless a dry run, keeps
 * its sequence as the last one signed on this machine (before the record can reach anyone) and
 * writes it into `stagedDir`. A sequence that cannot be kept is a warning: the clock still orders
 * the next record above this one.
 */
export async function signSiteRecord(options: SignSiteOptions): Promise<SignSiteResult> {
  const { key } = options
  const warnings: Warning[] = []
  const keep = sequenceFile(key, options.cacheDir)
  const [last, previous] = await Promise.all([
    lastSequence(keep, key.name),
    recordSequence(path.join(options.previousOut, IPNS_RECORD_FILE), key.name),
  ])
  const sequence = nextSequence(last, previous, options.now ?? Date.now())
  const record = await createSiteRecord(key.privateKey, options.root, {
    sequence,
    lifetimeMs: options.lifetimeMs,
    ttlMs: options.ttlMs,
  })
  if (options.stagedDir === undefined) return { record, warnings }
  if (keep !== undefined) {
    try {
      await saveSequence(keep, key.name, sequence)
    } catch (err) {
      warnings.push({
        code: 'W_IPNS_SEQUENCE',
        message: `Could not keep the IPNS record's sequence in ${keep} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the next publish numbers its record from the clock instead. Check that folder's permissions.`,
      })
    }
  }
  await writeFileAtomic(path.join(options.stagedDir, IPNS_RECORD_FILE), record.bytes)
  return { record, warnings }
}
