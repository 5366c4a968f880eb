/// <reference lib="webworker" />
/**
 * The visitor's service worker, `p2pcdn-sw.js`, served from the site root
 * beside `p2pcdn-sw.json` (its `ServiceWorkerConfig`, `sw/config.ts`) and registered
 * with that root as its scope by the fallback runtime.
 *
 * It answers the page's GET requests for IPFS links (path or subdomain form,
 * on any host) to the site's published assets with bytes it verified itself:
 * blocks fetched over all the config's trustless gateways in parallel, each
 * hashed against its CID, assembled in order; `Range` requests answered with
 * 206. Verified files go into the cache `p2pcdn-<version>`. When every source
 * fails, the asset comes from the origin. Every other request is left to the
 * browser.
 *
 * The config is fetched at install, and checked again at a navigation (at
 * most every {@link RECHECK_MS}): publish rewrites `p2pcdn-sw.json` with a new
 * version while `p2pcdn-sw.js` may stay byte for byte the same, which the
 * browser's own update check would not notice. A new version is used at once
 * and the caches of the others are deleted.
 *
 * With a `root` in the config (and routers, which default to the sources),
 * the worker also finds hosts by itself (`sw/discovery.ts`): it asks the
 * routers for the root's providers, probes them, and prefers the nearest
 * few; it refreshes when it starts, at a navigation when the last refresh is
 * older than {@link REFRESH_MS}, and on a timer while it lives. What it found
 * is kept beside the config, so that a restarted worker uses it at once.
 *
 * Built with esbuild into one minified IIFE (`npm run build:runtime`).
 */
import { canonical, linkCid, wantsFile } from './sw/cid.js'
import { CACHE_PREFIX, type LoadedConfig } from './sw/config.js'
import { fetchConfig, storedConfig, storedHosts, storeHosts } from './sw/config-store.js'
import { Discovery } from './sw/discovery.js'
import { BlockFetcher } from './sw/fetch-block.js'
import { type RespondContext, respond } from './sw/respond.js'
import { SourcePool } from './sw/sources.js'
import { answerStatsMessage, useSources } from './sw/stats.js'

declare const self: ServiceWorkerGlobalScope

const scriptUrl = self.location.href
const siteRoot = new URL('./', scriptUrl).href

interface State {
  config: LoadedConfig
  fetcher: BlockFetcher
  /** Blocks fetched ahead: the pool's capacity, which grows and shrinks with discovery. */
  readonly window: number
  /** Finds hosts when the config names the site root. */
  discovery: Discovery | undefined
}

/** Least time between two checks of the config at navigations. */
const RECHECK_MS = 10_000
/** Discovery's refresh: at a navigation when the last one is older, and on a timer. */
const REFRESH_MS = 60_000
/** Longest wait at install for the first refresh, so that the first page already uses the nearest hosts. */
const FIRST_REFRESH_WAIT = 2000

let state: State | undefined
let restoring: Promise<State | undefined> | undefined
let checked = 0

function use(config: LoadedConfig): State {
  let discovery: Discovery | undefined
  const pool = new SourcePool(config.sources, { onDrop: (source) => discovery?.drop(source.url) })
  useSources(config.version, config.sources, config.root?.toString() ?? null)
  if (config.root && config.routers.length > 0) {
    const found: Discovery = new Discovery({
      root: config.root,
      routers: config.routers,
      sources: config.sources,
      timeout: config.timeout,
      pool,
      site: new URL(siteRoot),
      onChange: () => void storeHosts(scriptUrl, found.saved()).catch(() => {}),
    })
    discovery = found
  }
  state = {
    config,
    fetcher: new BlockFetcher(pool, config.timeout),
    get window() {
      return pool.capacity
    },
    discovery,
  }
  return state
}

/** Uses the hosts an earlier worker found, then refreshes; resolves once refreshed. */
async function discover(s: State): Promise<void> {
  if (!s.discovery) return
  s.discovery.restore(await storedHosts(scriptUrl).catch(() => undefined))
  await s.discovery.refresh()
}

/** The config in use; after a restart of the worker, the one its install stored (and its hosts). */
function current(): Promise<State | undefined> {
  if (state) return Promise.resolve(state)
  restoring ??= storedConfig(scriptUrl).then(
    async (config) => {
      if (state || !config) return state
      const s = use(config)
      s.discovery?.restore(await storedHosts(scriptUrl).catch(() => undefined))
      return s
    },
    () => undefined,
  )
  return restoring
}

/** Refreshes discovery when its last refresh is older than REFRESH_MS. */
async function refreshHosts(): Promise<void> {
  await (await current())?.discovery?.refreshIfOlder(REFRESH_MS)
}

/** The site path of a same-origin URL inside the worker's scope, or undefined. */
function sitePath(url: URL): string | undefined {
  if (url.origin !== self.location.origin || url.search !== '') return undefined
  const root = new URL(siteRoot).pathname
  if (!url.pathname.startsWith(root)) return undefined
  try {
    return decodeURIComponent(url.pathname.slice(root.length))
  } catch {
    return undefined
  }
}

/** What `respond` needs for one request. */
function contextOf(event: FetchEvent, s: State): RespondContext {
  return { ...s, siteRoot, waitUntil: (promise) => event.waitUntil(promise) }
}

/** Deletes the caches of every other version. */
async function deleteOtherCaches(keep: string | undefined): Promise<void> {
  for (const name of await caches.keys())
    if (name.startsWith(CACHE_PREFIX) && name !== keep) await caches.delete(name)
}

/** Fetches the config again (at most every RECHECK_MS); a new version replaces the current one. */
async function recheck(): Promise<void> {
  if (Date.now() - checked < RECHECK_MS) return
  checked = Date.now()
  const config = await fetchConfig(scriptUrl, 'no-cache').catch(() => undefined)
  if (!config || config.version === (await current())?.config.version) return
  await Promise.all([discover(use(config)), deleteOtherCaches(config.cacheName)])
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    fetchConfig(scriptUrl).then(async (config) => {
      const first = discover(use(config)).catch(() => {})
      await Promise.race([first, new Promise((resolve) => setTimeout(resolve, FIRST_REFRESH_WAIT))])
      return self.skipWaiting()
    }),
  )
})

// While the worker lives; a stopped worker refreshes at its next navigation.
setInterval(() => void refreshHosts().catch(() => {}), REFRESH_MS)

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      await self.clients.claim()
      await deleteOtherCaches((await current())?.config.cacheName)
    })(),
  )
})

self.addEventListener('fetch', (event) => {
  const { request } = event
  if (request.mode === 'navigate') {
    // Also sweep other versions' caches again: a write the replaced worker had in flight can
    // re-create its cache after this worker's activation deleted it.
    event.waitUntil(
      recheck().then(async () => {
        const keep = (await current())?.config.cacheName
        if (keep) await deleteOtherCaches(keep)
      }),
    )
    event.waitUntil(refreshHosts().catch(() => {}))
    return
  }
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  const cid = linkCid(url)
  if (!cid) {
    // An asset of the site requested by its origin URL (a script's `import photo from './photo.png'`,
    // anything the rewrite could not turn into an IPFS link): the same verified P2P fetch.
    const path = sitePath(url)
    if (path === undefined) return
    if (state) {
      const asset = state.config.paths.get(path)
      if (asset) event.respondWith(respond(request, asset, contextOf(event, state)))
      return
    }
    event.respondWith(
      current().then((s) => {
        const asset = s?.config.paths.get(path)
        return s && asset ? respond(request, asset, contextOf(event, s)) : fetch(request)
      }),
    )
    return
  }
  if (!wantsFile(url, request)) return
  const key = canonical(cid)
  const context = (s: State): RespondContext => ({
    ...s,
    siteRoot,
    waitUntil: (promise) => event.waitUntil(promise),
  })
  if (state) {
    const asset = state.config.assets.get(key)
    if (asset) event.respondWith(respond(request, asset, context(state)))
    return
  }
  // A restarted worker: whether it is an asset is known once the stored config is read.
  event.respondWith(
    current().then((s) => {
      const asset = s?.config.assets.get(key)
      return s && asset ? respond(request, asset, context(s)) : fetch(request)
    }),
  )
})

self.addEventListener('message', (event) => {
  // A restarted worker reads its stored config first, so that the stats name its version.
  event.waitUntil(current().then(() => answerStatsMessage(event)))
})
