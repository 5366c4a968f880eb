/**
 * Fixed constants, each with the spec it follows.
 */

/**
 * CID profiles from IPIP-499 ("UnixFS CID profiles"), implemented by
 * ipfs-unixfs-importer's `profile` option.
 *
 * - `unixfs-v1-2025`: CIDv1, raw leaves, 1 MiB chunks, 1024 links per node,
 *   HAMT sharding decided by the directory block's byte size (256 KiB).
 * - `unixfs-v0-2015`: what a plain `ipfs add` gives: CIDv0, dag-pb leaves,
 *   256 KiB chunks, 174 links per node, sharding decided by link bytes.
 *
 * @see https://github.com/ipfs/specs/pull/499
 */
export const PROFILES = ['unixfs-v1-2025', 'unixfs-v0-2015'] as const

/** A CID profile name, see {@link PROFILES}. */
export type ProfileName = (typeof PROFILES)[number]

/** The profile used when none is given. */
export const DEFAULT_PROFILE: ProfileName = 'unixfs-v1-2025'

/** Version of `p2pcdn-manifest.json`; bumped on any incompatible change to its schema. */
export const MANIFEST_SCHEMA_VERSION = 1

/** File names that publish writes at the root of its output, and that a scan never treats as assets. */
export const MANIFEST_FILE = 'p2pcdn-manifest.json'
/** The CAR earlier versions wrote into every output: still never an asset when an old output is published again. */
export const CAR_FILE = 'p2pcdn.car'
/** The fallback runtime and its data, served from the origin only (never IPFS links themselves). */
export const RUNTIME_FILE = 'p2pcdn-fallback.js'
export const RUNTIME_DATA_FILE = 'p2pcdn-fallback.json'
/** The visitor's service worker (fetches assets from hosts, verified against their CIDs) and its config. */
export const SERVICE_WORKER_FILE = 'p2pcdn-sw.js'
export const SERVICE_WORKER_DATA_FILE = 'p2pcdn-sw.json'
/**
 * The site's signed IPNS record (binary, `application/vnd.ipfs.ipns-record`), naming its root: what
 * `p2pcdn push` sends the hosts. Not part of the root (a record names the root it is not in).
 */
export const IPNS_RECORD_FILE = 'p2pcdn-ipns-record'
export const OWN_OUTPUT_FILES: readonly string[] = [
  MANIFEST_FILE,
  CAR_FILE,
  RUNTIME_FILE,
  RUNTIME_DATA_FILE,
  SERVICE_WORKER_FILE,
  SERVICE_WORKER_DATA_FILE,
  IPNS_RECORD_FILE,
]

/** Media type of an IPNS record (IPIP-351, Delegated Routing V1 IPIP-379). */
export const IPNS_RECORD_MEDIA_TYPE = 'application/vnd.ipfs.ipns-record'
/** How long the site's IPNS record is valid, by default (Kubo's `ipfs name publish` default is 48 h). */
export const DEFAULT_IPNS_LIFETIME_MS = 7 * 24 * 3_600_000
/**
 * The TTL in the site's IPNS records: how long a resolver may cache one. Short, because followers
 * poll for new versions: a cached record delays a new version by at most this.
 */
export const IPNS_RECORD_TTL_MS = 60_000
/** Delegated Routing V1 (IPIP-379): where a record is put and got, `/routing/v1/ipns/<name>`. */
export const ROUTING_IPNS_PATH = '/routing/v1/ipns'

/** How long the fallback runtime waits for an IPFS source before switching to the origin (ms). */
export const DEFAULT_FALLBACK_TIMEOUT = 3000

/** Config file names looked up, in this order, in the working directory. */
export const CONFIG_FILES = [
  'p2pcdn.config.ts',
  'p2pcdn.config.mjs',
  'p2pcdn.config.js',
  'p2pcdn.config.json',
] as const

/** Suffix of the default output folder: `<dir>-p2p` beside the input. */
export const DEFAULT_OUT_SUFFIX = '-p2p'
/** What the cache folder is pruned to after each publish (least recently published sites first). */
export const DEFAULT_CACHE_MAX_SIZE = 64 * 2 ** 20

/** Prefix of the temporary sibling folders publish builds its output in. */
export const TEMP_PREFIX = '.p2pcdn-tmp-'
/** Prefix of the previous output kept for the instant of the swap. */
export const OLD_PREFIX = '.p2pcdn-old-'

/** Content type written in the manifest when the extension is unknown. */
export const FALLBACK_CONTENT_TYPE = 'application/octet-stream'

/** Multicodec codes used when walking a UnixFS DAG (multicodec table). */
export const CODEC_DAG_PB = 0x70
export const CODEC_RAW = 0x55

/** A `p2pcdn host`'s own HTTP endpoints, beside the Pinning Service API and the gateway. */
/** `POST` a CAR (bearer token): its blocks are verified and its roots pinned. */
export const CAR_UPLOAD_PATH = '/p2pcdn/v1/car'
/** `POST {"cids": [...]}` (bearer token) → `{"missing": [...]}`: which blocks the host lacks. */
export const MISSING_BLOCKS_PATH = '/p2pcdn/v1/blocks/missing'
/** `GET`: the host's public status document (`p2pcdn host status`). */
export const STATUS_PATH = '/p2pcdn/v1/status'
