/**
 * A site's IPNS record (the IPNS Record spec, records by the `ipns` library):
 * the name a site keeps across publishes, pointing at its current root. Pure
 * and shared by the publisher (signs), the hosts (store, serve, follow) and the
 * Kubo sidecar. A record is only ever trusted after {@link verifySiteRecord}.
 */
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { createIPNSRecord, marshalIPNSRecord, multihashToIPNSRoutingKey, unmarshalIPNSRecord } from 'ipns'
import { ipnsValidator } from 'ipns/validator'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { errors } from '../errors.js'

/** Multicodec of a libp2p public key CID, the form of an IPNS name (`k51…`). */
const LIBP2P_KEY = 0x72

/** A record that passed {@link verifySiteRecord}. */
export interface SiteRecord {
  /** The IPNS name: base36 CIDv1 of the public key (`k51…`). */
  name: string
  /** The root it names. */
  root: CID
  /** Higher is newer. */
  sequence: bigint
  /** Not valid after this time. */
  validity: Date
  /** How long a resolver may cache it. */
  ttlMs: number
  /** The record as sent over the wire (`application/vnd.ipfs.ipns-record`). */
  bytes: Uint8Array
}

/** Why a record was refused: `name` (not a valid IPNS name), `malformed`, `signature` (bad, or another key's), `expired`, `value` (not an /ipfs/ path). */
export class IpnsRecordError extends Error {
  constructor(
    readonly reason: 'name' | 'malformed' | 'signature' | 'expired' | 'value',
    message: string,
  ) {
    super(message)
    this.name = 'IpnsRecordError'
  }
}

/** An IPNS name in its canonical form and the DHT routing key (`/ipns/` + multihash) it is stored under. */
export interface IpnsName {
  name: string
  routingKey: Uint8Array
}

/**
 * Reads an IPNS name: `k51…` (or any CIDv1 of a libp2p-key), a peer ID `12D3…`, with or
 * without `/ipns/` or `ipns://` before it. Throws {@link IpnsRecordError} (`name`) otherwise;
 * DNSLink names are not keys and are refused too.
 */
export function parseIpnsName(text: string): IpnsName {
  const bare = text
    .trim()
    .replace(/^(?:\/ipns\/|ipns:\/\/)/, '')
    .replace(/\/+$/, '')
  let multihash: CID['multihash'] | undefined
  try {
    if (/^[1Q]/.test(bare)) multihash = peerIdFromString(bare).toMultihash()
    else {
      const cid = CID.parse(bare, bare.startsWith('k') ? base36 : undefined)
      if (cid.version === 1 && cid.code === LIBP2P_KEY) multihash = cid.multihash
    }
  } catch {}
  if (!multihash) {
    throw new IpnsRecordError(
      'name',
      `"${text}" is not an IPNS name. Give the name that \`p2pcdn publish\` prints (k51…), or a peer ID (12D3…).`,
    )
  }
  return {
    name: CID.createV1(LIBP2P_KEY, multihash).toString(base36),
    routingKey: multihashToIPNSRoutingKey(multihash as Parameters<typeof multihashToIPNSRoutingKey>[0]),
  }
}

/**
 * The canonical names of the sites a host is told to follow (`--follow`, `follow` in its config);
 * one that is not an IPNS name is a usage error naming the option.
 */
export function followedNames(texts: readonly string[], option = 'follow'): string[] {
  return [
    ...new Set(
      texts.map((text) => {
        try {
          return parseIpnsName(text).name
        } catch {
          throw errors.optionInvalid(
            option,
            text,
            'must list IPNS names: the name `p2pcdn publish` prints (k51…), or a peer ID (12D3…)',
          )
        }
      }),
    ),
  ]
}

/** The IPNS name of a public key (the same `k51…` that `ipfs key list -l` prints). */
export function ipnsNameOf(publicKey: PrivateKey['publicKey']): string {
  return CID.createV1(LIBP2P_KEY, publicKey.toMultihash()).toString(base36)
}

/** Signs a record naming `/ipfs/<root>`, valid for `lifetimeMs`, with Kubo's V1+V2 signatures. */
export async function createSiteRecord(
  privateKey: PrivateKey,
  root: CID,
  options: { sequence: bigint; lifetimeMs: number; ttlMs: number },
): Promise<SiteRecord> {
  const record = await createIPNSRecord(privateKey, `/ipfs/${root}`, options.sequence, options.lifetimeMs, {
    ttlNs: BigInt(options.ttlMs) * 1_000_000n,
    v1Compatible: true,
  })
  return verifySiteRecord(ipnsNameOf(privateKey.publicKey), marshalIPNSRecord(record))
}

/**
 * Checks a record for `name` the way Kubo does (signature V2 by the name's key, validity, size)
 * and that it names an `/ipfs/` root. Throws {@link IpnsRecordError} with the reason.
 */
export async function verifySiteRecord(
  name: string,
  bytes: Uint8Array,
  now: number = Date.now(),
): Promise<SiteRecord> {
  const parsed = parseIpnsName(name)
  let record: ReturnType<typeof unmarshalIPNSRecord>
  try {
    record = unmarshalIPNSRecord(bytes)
  } catch (err) {
    throw new IpnsRecordError(
      'malformed',
      `The IPNS record for ${parsed.name} cannot be read: ${(err as Error).message}.`,
    )
  }
  try {
    await ipnsValidator(parsed.routingKey, bytes)
  } catch (err) {
    const expired =
      /expired/i.test((err as Error).message) || (err as { name?: string }).name === 'RecordExpiredError'
    throw new IpnsRecordError(
      expired ? 'expired' : 'signature',
      expired
        ? `The IPNS record for ${parsed.name} has expired (valid until ${record.validity}). Publish again to sign a new one.`
        : `The IPNS record for ${parsed.name} is not signed by that name's key (${(err as Error).message}).`,
    )
  }
  const validity = new Date(record.validity)
  if (!(validity.getTime() > now)) {
    throw new IpnsRecordError(
      'expired',
      `The IPNS record for ${parsed.name} has expired (valid until ${record.validity}).`,
    )
  }
  const match = /^\/ipfs\/([^/]+)\/?$/.exec(record.value)
  let root: CID | undefined
  try {
    root = match ? CID.parse(match[1] as string) : undefined
  } catch {}
  if (!root) {
    throw new IpnsRecordError(
      'value',
      `The IPNS record for ${parsed.name} names ${JSON.stringify(record.value)}, not a site root (/ipfs/<cid>).`,
    )
  }
  return {
    name: parsed.name,
    root,
    sequence: record.sequence,
    validity,
    ttlMs: Number((record.ttl ?? 0n) / 1_000_000n),
    bytes,
  }
}

/**
 * How `candidate` compares with the record a host holds: `newer` (higher sequence), `same`
 * (same sequence and root), `older` (lower sequence: refused), `conflict` (same sequence,
 * another root: the one valid longer wins, as Kubo's selector picks it).
 */
export function compareRecords(
  candidate: SiteRecord,
  current: SiteRecord | undefined,
): 'newer' | 'same' | 'older' | 'conflict' {
  if (!current || candidate.sequence > current.sequence) return 'newer'
  if (candidate.sequence < current.sequence) return 'older'
  return candidate.root.equals(current.root) ? 'same' : 'conflict'
}
