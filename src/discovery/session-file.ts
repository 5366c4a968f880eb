/**
 * The paper's session file (Foss & Silver, section 3): its content for a session number and CDN name,
 * the block `ipfs add` makes of it, and the session number of a moment. Shared by session discovery on
 * a Helia node (`session.ts`) and on a Kubo node (`kubo-session.ts`); it loads no libp2p, so the main
 * entry point can export the Kubo side without it.
 */
import type { Blockstore } from 'interface-blockstore'
import { importer } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'
import { errors, P2pcdnError } from '../errors.js'
import { importerOptions } from '../import/importer-options.js'

/** The paper's session file content, before the session number. */
const SESSION_PREFIX = 'Member of P2P CDN Session: '

/**
 * The content of the session file for session `n`.
 *
 * - Without a name: `Member of P2P CDN Session: <n>`, byte for byte the paper's file, so a node meets
 *   every node of the paper's (unnamed) CDN.
 * - With a name: `Member of P2P CDN Session: <name>: <n>`. The name is a salt that keeps separate CDNs
 *   apart: nodes of different names provide different blocks and never find each other. Split at the
 *   last `': '` to read the pair back; no two (name, n) pairs give the same content.
 *
 * @param n - The session number, see {@link sessionNumber}.
 * @param name - The CDN's name; any non-empty string.
 * @example
 * ```ts
 * sessionContent(26000000) // 'Member of P2P CDN Session: 26000000'
 * sessionContent(26000000, 'example.com') // 'Member of P2P CDN Session: example.com: 26000000'
 * ```
 */
export function sessionContent(n: number, name?: string): string {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `The session number must be a non-negative integer, got: ${String(n)}. Compute it with sessionNumber(Date.now()).`,
    )
  }
  if (name === undefined) return `${SESSION_PREFIX}${n}`
  if (typeof name !== 'string' || name === '') {
    throw errors.optionInvalid('name', name, 'must be a non-empty string, or left out for the unnamed CDN')
  }
  return `${SESSION_PREFIX}${name}: ${n}`
}

/**
 * The block that `ipfs add` (Kubo's defaults: CIDv0, a dag-pb UnixFS file node, no raw leaves) makes of
 * the session file {@link sessionContent}`(n, name)`: its CID and its bytes. The content is far below one
 * chunk, so the file is this single block.
 *
 * @example
 * ```ts
 * const { cid } = await sessionBlock(sessionNumber(Date.now()))
 * console.log(cid.toString()) // Qm…
 * ```
 */
export async function sessionBlock(n: number, name?: string): Promise<{ cid: CID; bytes: Uint8Array }> {
  const content = new TextEncoder().encode(sessionContent(n, name))
  const blocks = new Map<string, { cid: CID; bytes: Uint8Array }>()
  const sink: Pick<Blockstore, 'put'> = {
    put(cid, bytes) {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('The importer wrote a streamed block')
      blocks.set(cid.toString(), { cid, bytes })
      return cid
    },
  }
  let root: CID | undefined
  for await (const entry of importer([{ content }], sink, importerOptions('unixfs-v0-2015'))) root = entry.cid
  const block = root === undefined ? undefined : blocks.get(root.toString())
  if (block === undefined) throw new Error(`The importer gave no root block for session ${n}`)
  return block
}

/**
 * The session number at `nowMs`: the number of whole periods since the Unix epoch.
 *
 * @param nowMs - Milliseconds since the epoch, e.g. `Date.now()`.
 * @param periodMs - Length of a session. @default 60_000 (the paper's minute)
 */
export function sessionNumber(nowMs: number, periodMs = 60_000): number {
  return Math.floor(nowMs / periodMs)
}

/** A duration option in milliseconds: `fallback` when left out, else a positive finite number. */
export function positiveMs(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw errors.optionInvalid(option, value, 'must be a positive number of milliseconds, e.g. 60000')
  }
  return value
}

/** An error whose message is `message` followed by the cause's message; the cause is kept. */
export function withReason(cause: unknown, message: string): Error {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new Error(`${message}: ${reason}`, { cause })
}

/** The timing and name options both session discoveries take. */
export interface SessionTimingOptions {
  name?: string | undefined
  periodMs?: number | undefined
  lookupTimeoutMs?: number | undefined
  now?: (() => number) | undefined
}

/**
 * Checks a session discovery's options and fills in their defaults: the name (checked as
 * {@link sessionContent} does), the period (the paper's minute), the lookup timeout (half a period,
 * at most 30 s) and the clock.
 */
export function resolveSessionTiming(options: SessionTimingOptions) {
  sessionContent(0, options.name) // validates the name
  const periodMs = positiveMs('periodMs', options.periodMs, 60_000)
  return {
    name: options.name,
    periodMs,
    lookupTimeoutMs: positiveMs('lookupTimeoutMs', options.lookupTimeoutMs, Math.min(periodMs / 2, 30_000)),
    now: options.now ?? Date.now,
  }
}
