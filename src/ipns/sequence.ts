/**
 * The sequence number of a site's next IPNS record. A name never goes back: hosts and Kubo keep
 * the record with the highest sequence and refuse a lower one, so each record must be numbered
 * above every earlier one, from whichever machine it was signed on. The next sequence is the
 * highest of
 * - the last sequence signed on this machine for the key, plus one (kept beside the key file,
 *   `<key>.seq.json`, or for a key from the environment in the cache folder,
 *   `<cacheDir>/ipns/<name>.seq.json`);
 * - the sequence of the record in the previous output, plus one;
 * - the time in milliseconds since 1970 (`Date.now()`): records signed on different CI machines,
 *   with no state in common, still increase with time.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { unmarshalIPNSRecord } from 'ipns'
import { writeFileAtomic } from '../utils/write-file-atomic.js'
import type { SiteKey } from './site-key.js'
import { IpnsRecordError, verifySiteRecord } from './site-record.js'

/** Where the last sequence signed for `key` on this machine is kept; `undefined` for none (no cache folder). */
export function sequenceFile(
  key: Pick<SiteKey, 'name' | 'file'>,
  cacheDir: string | false,
): string | undefined {
  if (key.file !== undefined) return `${key.file}.seq.json`
  return cacheDir === false ? undefined : path.join(cacheDir, 'ipns', `${key.name}.seq.json`)
}

/** The last sequence kept in `file` for `name`; `undefined` when there is none (or it is unreadable). */
export async function lastSequence(file: string | undefined, name: string): Promise<bigint | undefined> {
  if (file === undefined) return undefined
  try {
    const kept = JSON.parse(await fs.readFile(file, 'utf8')) as { name?: unknown; sequence?: unknown }
    if (kept.name !== name || typeof kept.sequence !== 'string' || !/^\d+$/.test(kept.sequence)) {
      return undefined
    }
    return BigInt(kept.sequence)
  } catch {
    return undefined
  }
}

/** Keeps `sequence` as the last one signed for `name` (written atomically). */
export async function saveSequence(file: string, name: string, sequence: bigint): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true })
  await writeFileAtomic(file, `${JSON.stringify({ name, sequence: sequence.toString() })}\n`, 0o600)
}

/**
 * The sequence of a record for `name` in a file (the previous output's record), when it is one
 * signed by that name's key; an expired one counts too.
 */
export async function recordSequence(file: string, name: string): Promise<bigint | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await fs.readFile(file)
  } catch {
    return undefined
  }
  try {
    return (await verifySiteRecord(name, bytes)).sequence
  } catch (err) {
    // The signature is checked before the validity: an expired record is still this key's.
    if (err instanceof IpnsRecordError && err.reason === 'expired') return unmarshalIPNSRecord(bytes).sequence
    return undefined
  }
}

/** The next sequence: the highest of `last + 1`, `previous + 1` and `now` (ms), as the file's comment explains. */
export function nextSequence(last: bigint | undefined, previous: bigint | undefined, now: number): bigint {
  let next = BigInt(Math.max(0, Math.floor(now)))
  if (last !== undefined && last + 1n > next) next = last + 1n
  if (previous !== undefined && previous + 1n > next) next = previous + 1n
  return next
}
