import path from 'node:path'
import type { ProgressOptions } from 'progress-events'
import {
  DEFAULT_CACHE_MAX_SIZE,
  DEFAULT_FALLBACK_TIMEOUT,
  DEFAULT_IPNS_LIFETIME_MS,
  DEFAULT_OUT_SUFFIX,
  DEFAULT_PROFILE,
  IPNS_RECORD_TTL_MS,
  PROFILES,
  type ProfileName,
} from './constants.js'
import { errors } from './errors.js'
import { hostGateway, validateHosts } from './hosts/registry.js'
import type { HostEntry } from './hosts/types.js'
import type { PublishProgressEvents } from './progress.js'
import { siteIdentity } from './push/site-identity.js'
import type { IpfsLinkFormat, IpfsLinkOptions } from './rewrite/ipfs-link.js'
import { gatewayUrl } from './utils/gateway-url.js'
import { parseDuration } from './utils/parse-duration.js'
import { parseSize } from './utils/parse-size.js'
import { xdgDir } from './utils/xdg-dir.js'

/**
 * Options shared by the CLI, the config file, the library and the bundler
 * plugins. Every field is optional; {@link resolveOptions} fills defaults.
 */
export interface P2pcdnOptions extends ProgressOptions<PublishProgressEvents> {
  /** The site folder to publish (a build output such as `./dist`). Relative to `cwd`. */
  dir?: string
  /**
   * Where the P2P variant of the site is written.
   * @default `<dir>-p2p`, beside the input folder
   */
  out?: string
  /**
   * Replace the input folder with the P2P variant instead of writing `out`.
   * @default false
   */
  inPlace?: boolean
  /**
   * The site's own origins (absolute http(s) URLs), e.g. the site and its CDN host.
   * Absolute links to these count as links to the site's own files.
   * @default []
   */
  origin?: string | string[]
  /**
   * The UnixFS CID profile (IPIP-499).
   * @default 'unixfs-v1-2025'
   */
  profile?: ProfileName
  /**
   * Glob patterns (globby syntax, relative to `dir`) of the files that are assets.
   * @default ['**']
   */
  include?: string[]
  /**
   * Glob patterns of files that are not assets. They are still copied to the output.
   * @default []
   */
  exclude?: string[]
  /**
   * Treat dotfiles (`.well-known/…`, `.htaccess`) as assets, like `ipfs add -r --hidden`.
   * They are copied to the output either way.
   * @default false
   */
  dotfiles?: boolean
  /**
   * Folder of the cache (an index of the files already imported: their CIDs, SRI digests and DAG
   * layouts, never their bytes), or `false` for none: every file is read and hashed each run.
   * @default `$XDG_CACHE_HOME/p2pcdn`, else `~/.cache/p2pcdn`
   */
  cacheDir?: string | false
  /**
   * Size the cache folder is kept under: after each publish the least recently published sites'
   * indexes are removed until it fits. A byte count, or a size such as `"64MB"`.
   * @default 64 MiB
   */
  cacheMaxSize?: number | string
  /**
   * Also write the site as a CARv1 file (for `ipfs dag import`, `p2pcdn host import`, archives).
   * `true`: `<out>.car`, beside the output folder (outside the web root); a path: there (relative
   * to `cwd`). Pushes never need it: they stream the blocks from the site's files.
   * @default false
   */
  car?: boolean | string
  /**
   * Rewrite the asset references of HTML pages and CSS files into IPFS links
   * with an origin fallback. Needs `gateway` (or `linkFormat: 'native'`).
   * @default true
   */
  rewrite?: boolean
  /**
   * The IPFS gateway the links point at, e.g. `https://gateway.example.com`
   * (a host node's gateway). Without it, and without a registered host with
   * a gateway, pages are not rewritten.
   * @default the gateway of the first of `hosts` that has one (a `p2pcdn`
   * host's `url`, another host's `gateway`), in config order
   */
  gateway?: string
  /**
   * How IPFS links are written: `path` (`<gateway>/ipfs/<cid>?filename=…`),
   * `subdomain` (`https://<cid>.ipfs.<gateway host>/?filename=…`) or `native`
   * (`ipfs://<cid>?filename=…`).
   * @default 'path'
   */
  linkFormat?: IpfsLinkFormat
  /**
   * Rewrite scripts and stylesheets too, with Subresource Integrity
   * (`integrity` + `crossorigin`) so no peer can inject code. Off: they stay
   * on the origin.
   * @default true
   */
  subresourceIntegrity?: boolean
  /**
   * How long the fallback runtime waits for an IPFS source before it switches
   * an asset to the origin, in milliseconds.
   * @default 3000
   */
  fallbackTimeout?: number
  /**
   * Ship the visitor's service worker (`p2pcdn-sw.js`), registered by the fallback runtime: it
   * fetches every published asset from the fastest of `sources` (trustless gateways: the hosts),
   * spreads a large file's blocks over all of them, verifies every byte against the CID, caches it,
   * and falls back to the origin. `true` uses the `gateway` and every registered `p2pcdn` host.
   * @default false
   */
  serviceWorker?:
    | boolean
    | {
        /** Trustless gateway URLs to race. @default `gateway` and every registered `p2pcdn` host */
        sources?: string[]
        /** Also try a visitor's own IPFS node (Kubo's gateway at http://127.0.0.1:8080). @default false */
        localNode?: boolean
        /** ms before a source counts as failed for one request. @default fallbackTimeout */
        timeout?: number
        /**
         * Delegated routing endpoints the worker asks for more hosts of the site
         * (`/routing/v1/providers/<root>`): p2pcdn hosts, Kubo 0.40+ gateways. `[]`: no discovery.
         * @default `sources`
         */
        routers?: string[]
      }
  /**
   * The host nodes the site is pushed to after publishing (`p2pcdn hosts add` keeps this list).
   * Tokens are never stored here: each host names the environment variable holding its token.
   * @default []
   */
  hosts?: HostEntry[]
  /**
   * Push to the registered hosts after publishing.
   * @default true (when hosts are registered)
   */
  push?: boolean
  /**
   * How many hosts must report the site pinned for publish to succeed.
   * @default every registered host
   */
  replication?: number
  /**
   * Wait until hosts report the site pinned (`true`), or only until they accepted it (`false`).
   * @default true
   */
  wait?: boolean
  /**
   * The name pins are made under; a host's earlier pin of the same name is replaced. The default
   * is this site's own and stays the same across its re-publishes (also from a fresh CI clone):
   * the first origin's host name (else the output folder's name) and 8 hex digits derived from
   * the repository, the output folder's path in it and the origin (`siteIdentity()`). A pin of the
   * default name made by another site is never replaced (that host's push fails); an explicit
   * `siteName` replaces the pin of that name whichever site made it.
   * @default e.g. `www.example.com-3f9a1c0b`
   */
  siteName?: string
  /**
   * How long to wait for one host, in milliseconds.
   * @default 600000
   */
  pushTimeout?: number
  /**
   * Listen addresses of the node that serves the site's blocks to hosts over bitswap during the push.
   * @default ['/ip4/0.0.0.0/tcp/0']
   */
  pushListen?: string[]
  /**
   * Sign an IPNS record naming the site's new root (`p2pcdn-ipns-record` in the output), so the
   * site keeps one name (`k51…`) across publishes: hosts that follow it pin each new version, and
   * every push sends the record to the hosts. `false`: no record, no name.
   * @default true
   */
  ipns?: boolean
  /**
   * The site's IPNS key: a key file as `ipfs key export` writes it (Ed25519). Without it, the key
   * comes from the `P2PCDN_IPNS_KEY` environment variable (the same bytes in base64, for CI), else
   * from this site's own key file, made on first use, outside the site and the output.
   * @default `$XDG_CONFIG_HOME/p2pcdn/keys/<site id>.key` (`~/.config` when unset)
   */
  ipnsKey?: string
  /**
   * How long each IPNS record is valid: a duration such as `"7d"` or `"48h"`, or milliseconds.
   * Publish again (or let CI publish) before it runs out, or followers keep the last version they saw.
   * @default '7d'
   */
  ipnsLifetime?: number | string
  /**
   * Compute everything, write nothing: no output, no CAR, no cache.
   * @default false
   */
  dryRun?: boolean
  /**
   * Folder that relative paths are resolved against.
   * @default process.cwd()
   */
  cwd?: string
  /** Stops the run; the input and any earlier output stay as they were. */
  signal?: AbortSignal
}

/** {@link P2pcdnOptions} with every default filled in and every path absolute. */
export interface ResolvedOptions {
  dir: string
  out: string
  inPlace: boolean
  origins: string[]
  profile: ProfileName
  include: string[]
  exclude: string[]
  dotfiles: boolean
  cacheDir: string | false
  cacheMaxSize: number
  /** Where the CAR goes (absolute), when one is written. */
  car: string | undefined
  /** The link options when pages are rewritten; `undefined` when they are not. */
  rewrite:
    | {
        link: IpfsLinkOptions
        subresourceIntegrity: boolean
        fallbackTimeout: number
        /** The service worker's sources, per-source timeout and routers (unset: the sources), when it is shipped. */
        serviceWorker: { sources: string[]; timeout: number; routers: string[] | undefined } | undefined
        /** The registered host whose gateway `link.gateway` is, when the `gateway` option was not set. */
        gatewayHost: string | undefined
      }
    | undefined
  /** The push step; `undefined` when no hosts are registered, `push: false`, or a dry run. */
  push:
    | {
        hosts: HostEntry[]
        replication: number
        wait: boolean
        /** The pin name: `siteName`, else this site's default name. */
        name: string
        /** The site's identity, recorded in each pin's meta. */
        site: string
        /** `name` came from the `siteName` option. */
        nameGiven: boolean
        timeoutMs: number
        listen: string[]
      }
    | undefined
  /** The site's IPNS record; `undefined` with `ipns: false`. */
  ipns:
    | {
        /** The `ipnsKey` file (absolute), when given. */
        keyFile: string | undefined
        /** The site id naming the default key file (`siteIdentity().id`). */
        siteId: string
        lifetimeMs: number
        /** Fixed: {@link IPNS_RECORD_TTL_MS}. */
        ttlMs: number
      }
    | undefined
  dryRun: boolean
  cwd: string
  signal: AbortSignal | undefined
  onProgress: P2pcdnOptions['onProgress']
}

/** Keys a config file may set; anything else is a typo worth reporting. */
export const OPTION_KEYS = [
  'dir',
  'out',
  'inPlace',
  'origin',
  'profile',
  'include',
  'exclude',
  'dotfiles',
  'cacheDir',
  'cacheMaxSize',
  'car',
  'rewrite',
  'gateway',
  'linkFormat',
  'subresourceIntegrity',
  'fallbackTimeout',
  'serviceWorker',
  'hosts',
  'push',
  'replication',
  'wait',
  'siteName',
  'pushTimeout',
  'pushListen',
  'ipns',
  'ipnsKey',
  'ipnsLifetime',
  'dryRun',
  'cwd',
  'signal',
  'onProgress',
] as const satisfies readonly (keyof P2pcdnOptions)[]

/**
 * Types a config file's default export; returns it unchanged.
 *
 * @example
 * ```ts
 * // p2pcdn.config.ts
 * import { defineConfig } from 'p2pcdn'
 * export default defineConfig({ dir: 'dist', origin: 'https://www.example.com' })
 * ```
 */
export function defineConfig(config: P2pcdnOptions): P2pcdnOptions {
  return config
}

/** A visitor's own IPFS node: Kubo's default gateway address. */
export const LOCAL_NODE_GATEWAY = 'http://127.0.0.1:8080'

/** The default block cache folder, following the XDG base directory convention. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return xdgDir('XDG_CACHE_HOME', '.cache', env)
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function checkString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') {
    throw errors.optionInvalid(name, value, 'must be a non-empty path string, e.g. "dist"')
  }
  return value
}

function checkSize(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  const bytes = typeof value === 'string' ? parseSize(value) : value
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
    throw errors.optionInvalid(name, value, 'must be a size such as "64MB", "1GiB" or a byte count')
  }
  return bytes
}

/** The CAR's absolute path, or `undefined` for none; never inside the input folder (the next publish would take it in). */
function resolveCar(value: unknown, where: { cwd: string; dir: string; out: string }): string | undefined {
  if (value === undefined || value === false) return undefined
  if (value !== true && (typeof value !== 'string' || value.trim() === '')) {
    throw errors.optionInvalid(
      'car',
      value,
      'must be true (`<out>.car`), false, or a file path such as "site.car"',
    )
  }
  const file = value === true ? `${where.out}.car` : path.resolve(where.cwd, value)
  const rel = path.relative(where.dir, file)
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    throw errors.optionInvalid(
      'car',
      value,
      `is inside the site folder ${where.dir}: write it elsewhere, e.g. "${path.basename(where.out)}.car"`,
    )
  }
  return file
}

function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw errors.optionInvalid(name, value, 'must be true or false')
  return value
}

function checkPatterns(name: string, value: unknown, fallback: string[]): string[] {
  if (value === undefined) return fallback
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p === '')) {
    throw errors.optionInvalid(name, value, 'must be a list of glob patterns, e.g. ["**/*.map"]')
  }
  return list as string[]
}

/** A pin name: 1 to 255 characters (the Pinning Service API's limit), not only blanks. */
function checkSiteName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 255) {
    throw errors.optionInvalid(
      'siteName',
      value,
      'must be a pin name of 1 to 255 characters, e.g. "www.example.com-blog"',
    )
  }
  return value
}

function checkIpnsKey(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw errors.optionInvalid(
      'ipnsKey',
      value,
      'must be the path of a key file that `ipfs key export` wrote, e.g. "keys/site.key"',
    )
  }
  return value
}

/** The record lifetime in ms: at least a minute (a record outliving its TTL), a duration or ms. */
function checkLifetime(value: unknown): number {
  if (value === undefined) return DEFAULT_IPNS_LIFETIME_MS
  const ms = typeof value === 'string' ? parseDuration(value) : value
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 60_000) {
    throw errors.optionInvalid(
      'ipnsLifetime',
      value,
      'must be a duration of at least a minute, such as "7d", "48h" or "90m", or a number of milliseconds',
    )
  }
  return ms
}

/**
 * Normalises one `origin` value to `scheme://host[:port]`.
 * Throws a message that names the option and shows the fix.
 */
export function normaliseOrigin(value: unknown): string {
  if (typeof value !== 'string') {
    throw errors.optionInvalid(
      'origin',
      value,
      'must be an absolute http(s) URL, e.g. "https://www.example.com"',
    )
  }
  const example = (host: string) => `e.g. "https://${host}"`
  const bare = value.replace(/^\/+/, '')
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw errors.optionInvalid(
      'origin',
      value,
      `must be an absolute http(s) URL. Add the scheme, ${example(bare)}`,
    )
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw errors.optionInvalid(
      'origin',
      value,
      `must be an absolute http(s) URL naming a host, ${example('www.example.com')}`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw errors.optionInvalid(
      'origin',
      value,
      `must use http: or https:, ${example(url.host || 'www.example.com')}`,
    )
  }
  if (url.host === '') {
    throw errors.optionInvalid('origin', value, `must name a host, ${example('www.example.com')}`)
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw errors.optionInvalid('origin', value, `must be an origin without a path, e.g. "${url.origin}"`)
  }
  return url.origin
}

/** Normalises the `gateway` option to an http(s) URL without a trailing slash. */
export function normaliseGateway(value: unknown): string {
  const url = gatewayUrl(value, { credentials: true })
  if (url === undefined) {
    throw errors.optionInvalid(
      'gateway',
      value,
      'must be the absolute http(s) URL of an IPFS gateway, e.g. "https://gateway.example.com" (a host node\'s gateway)',
    )
  }
  return url
}

/**
 * Validates options and fills in every default. Never mutates its input.
 * Throws a `P2pcdnError` (`ERR_CONFIG_INVALID`) naming the option, the value
 * received and the fix.
 */
export function resolveOptions(options: P2pcdnOptions): ResolvedOptions {
  if (!isPlainObject(options as unknown)) {
    throw errors.optionInvalid('options', options, 'must be an object')
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key))
      throw errors.unknownOption(key, 'the options', OPTION_KEYS)
  }
  const cwd = path.resolve(checkString('cwd', options.cwd) ?? process.cwd())
  const dirOption = checkString('dir', options.dir)
  if (dirOption === undefined) {
    throw errors.optionInvalid(
      'dir',
      undefined,
      'is required: pass the site folder, e.g. `p2pcdn publish ./dist`',
    )
  }
  const dir = path.resolve(cwd, dirOption)
  const inPlace = checkBoolean('inPlace', options.inPlace, false)
  const outOption = checkString('out', options.out)
  if (inPlace && outOption !== undefined) {
    throw errors.optionInvalid('out', outOption, 'cannot be combined with `inPlace`: choose one of them')
  }
  const out = inPlace ? dir : path.resolve(cwd, outOption ?? `${dir}${DEFAULT_OUT_SUFFIX}`)

  const originList =
    options.origin === undefined ? [] : Array.isArray(options.origin) ? options.origin : [options.origin]
  const origins = [...new Set(originList.map(normaliseOrigin))]

  const profile = options.profile ?? DEFAULT_PROFILE
  if (!(PROFILES as readonly string[]).includes(profile)) {
    throw errors.optionInvalid(
      'profile',
      profile,
      `must be one of ${PROFILES.map((p) => `"${p}"`).join(', ')}`,
    )
  }

  let cacheDir: string | false
  if (options.cacheDir === false) cacheDir = false
  else cacheDir = path.resolve(cwd, checkString('cacheDir', options.cacheDir) ?? defaultCacheDir())

  const cacheMaxSize = checkSize('cacheMaxSize', options.cacheMaxSize, DEFAULT_CACHE_MAX_SIZE)
  const car = resolveCar(options.car, { cwd, dir, out })

  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw errors.optionInvalid('signal', options.signal, 'must be an AbortSignal')
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw errors.optionInvalid('onProgress', options.onProgress, 'must be a function')
  }

  const rewriteOn = checkBoolean('rewrite', options.rewrite, true)
  const linkFormat = options.linkFormat ?? 'path'
  if (!(['path', 'subdomain', 'native'] as const).includes(linkFormat)) {
    throw errors.optionInvalid('linkFormat', linkFormat, 'must be one of "path", "subdomain", "native"')
  }
  const hostsForSources = validateHosts(options.hosts)
  // Without `gateway`, links go to the first registered host that serves a gateway.
  const gatewayHost =
    options.gateway === undefined ? hostsForSources.find((h) => hostGateway(h) !== undefined) : undefined
  const gateway =
    options.gateway !== undefined
      ? normaliseGateway(options.gateway)
      : gatewayHost && normaliseGateway(hostGateway(gatewayHost))
  const timeout = options.fallbackTimeout ?? DEFAULT_FALLBACK_TIMEOUT
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 100 || timeout > 60_000) {
    throw errors.optionInvalid(
      'fallbackTimeout',
      timeout,
      'must be a whole number of milliseconds from 100 to 60000, e.g. 3000',
    )
  }
  const subresourceIntegrity = checkBoolean('subresourceIntegrity', options.subresourceIntegrity, true)
  let serviceWorker: { sources: string[]; timeout: number; routers: string[] | undefined } | undefined
  if (options.serviceWorker !== undefined && options.serviceWorker !== false) {
    const sw = options.serviceWorker === true ? {} : options.serviceWorker
    if (!isPlainObject(sw as unknown)) {
      throw errors.optionInvalid('serviceWorker', sw, 'must be true, false or { sources, timeout }')
    }
    const listed = sw.sources ?? [
      ...(gateway !== undefined ? [gateway] : []),
      ...hostsForSources.filter((h) => h.type === 'p2pcdn').map((h) => h.url),
    ]
    if (!Array.isArray(listed))
      throw errors.optionInvalid('serviceWorker.sources', listed, 'must be a list of gateway URLs')
    const sources = [...new Set(listed.map((source) => normaliseGateway(source)))]
    if (sw.localNode === true && !sources.includes(LOCAL_NODE_GATEWAY)) sources.push(LOCAL_NODE_GATEWAY)
    if (sources.length === 0) {
      throw errors.optionInvalid(
        'serviceWorker.sources',
        [],
        'needs at least one trustless gateway: set `gateway`, register a p2pcdn host, or list the hosts’ gateway URLs',
      )
    }
    const swTimeout = sw.timeout ?? timeout
    if (
      typeof swTimeout !== 'number' ||
      !Number.isInteger(swTimeout) ||
      swTimeout < 100 ||
      swTimeout > 60_000
    ) {
      throw errors.optionInvalid(
        'serviceWorker.timeout',
        swTimeout,
        'must be a whole number of milliseconds from 100 to 60000',
      )
    }
    const routers = Array.isArray(sw.routers)
      ? sw.routers.map((router: unknown) => gatewayUrl(router, { credentials: true }))
      : sw.routers
    if (routers !== undefined && (!Array.isArray(routers) || routers.some((r) => r === undefined)))
      throw errors.optionInvalid(
        'serviceWorker.routers',
        sw.routers,
        'must be a list of http(s) URLs of delegated routers (p2pcdn hosts, Kubo gateways), e.g. ["https://cdn1.example.com"]',
      )
    serviceWorker = { sources, timeout: swTimeout, routers: routers && [...new Set(routers as string[])] }
  }
  const canLink = gateway !== undefined || linkFormat === 'native'
  const rewrite =
    rewriteOn && canLink
      ? {
          link: { format: linkFormat, gateway: gateway ?? 'https://gateway.invalid' },
          subresourceIntegrity,
          fallbackTimeout: timeout,
          serviceWorker,
          gatewayHost: linkFormat === 'native' ? undefined : gatewayHost?.name,
        }
      : undefined

  const dryRun = checkBoolean('dryRun', options.dryRun, false)
  const hosts = hostsForSources
  const pushOn = checkBoolean('push', options.push, true)
  const replication = options.replication ?? hosts.length
  if (!Number.isInteger(replication) || replication < 0 || (hosts.length > 0 && replication > hosts.length)) {
    throw errors.optionInvalid(
      'replication',
      options.replication,
      `must be a whole number from 0 to the number of registered hosts (${hosts.length})`,
    )
  }
  const pushTimeout = options.pushTimeout ?? 600_000
  if (typeof pushTimeout !== 'number' || !Number.isFinite(pushTimeout) || pushTimeout < 1000) {
    throw errors.optionInvalid('pushTimeout', pushTimeout, 'must be a number of milliseconds, at least 1000')
  }
  const explicitName = options.siteName === undefined ? undefined : checkSiteName(options.siteName)
  const ipnsOn = checkBoolean('ipns', options.ipns, true)
  // Only when needed: it looks for the repository the output is in.
  let site: ReturnType<typeof siteIdentity> | undefined
  const identity = () => {
    site ??= siteIdentity({ folder: out, cwd, origin: origins[0] })
    return site
  }
  const ipns = ipnsOn
    ? {
        keyFile: options.ipnsKey === undefined ? undefined : path.resolve(cwd, checkIpnsKey(options.ipnsKey)),
        siteId: identity().id,
        lifetimeMs: checkLifetime(options.ipnsLifetime),
        ttlMs: IPNS_RECORD_TTL_MS,
      }
    : undefined
  let push: ResolvedOptions['push']
  if (hosts.length > 0 && pushOn && !dryRun) {
    const { id, name } = identity()
    push = {
      hosts,
      replication,
      wait: checkBoolean('wait', options.wait, true),
      name: explicitName ?? name,
      site: id,
      nameGiven: explicitName !== undefined,
      timeoutMs: pushTimeout,
      listen: checkPatterns('pushListen', options.pushListen, ['/ip4/0.0.0.0/tcp/0']),
    }
  }

  return {
    dir,
    out,
    inPlace,
    origins,
    profile,
    include: checkPatterns('include', options.include, ['**']),
    exclude: checkPatterns('exclude', options.exclude, []),
    dotfiles: checkBoolean('dotfiles', options.dotfiles, false),
    cacheDir,
    cacheMaxSize,
    car,
    rewrite,
    push,
    ipns,
    dryRun,
    cwd,
    signal: options.signal,
    onProgress: options.onProgress,
  }
}
