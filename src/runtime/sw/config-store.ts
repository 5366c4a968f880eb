/// <reference lib="webworker" />
/**
 * `p2pcdn-sw.json` fetched at install (an update is a new install) and kept
 * in Cache Storage, so that a worker the browser stopped and restarted reads
 * it back without the network; beside it, the hosts discovery found.
 */
import { CONFIG_CACHE, CONFIG_FILE, type LoadedConfig, parseConfig } from './config.js'
import type { SavedHosts } from './discovery.js'

const configUrl = (scriptUrl: string) => new URL(CONFIG_FILE, scriptUrl).href

/**
 * Fetches `p2pcdn-sw.json`, checks it, and stores it in Cache Storage for
 * {@link storedConfig}. Rejects (failing the install) when it cannot be
 * fetched or is not a config.
 *
 * @param cache `no-store` (the default, at install): past every HTTP cache;
 *   `no-cache` for the checks at navigation: a conditional request, a 304
 *   when the file has not changed.
 */
export async function fetchConfig(
  scriptUrl: string,
  cache: RequestCache = 'no-store',
): Promise<LoadedConfig> {
  const url = configUrl(scriptUrl)
  const response = await fetch(url, { cache, credentials: 'same-origin' })
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}: the service worker needs it.`)
  const text = await response.text()
  const loaded = parseConfig(text, url)
  await (await caches.open(CONFIG_CACHE)).put(
    url,
    new Response(text, { headers: { 'Content-Type': 'application/json' } }),
  )
  return loaded
}

/** The config stored by the last install, if any. */
export async function storedConfig(scriptUrl: string): Promise<LoadedConfig | undefined> {
  const url = configUrl(scriptUrl)
  const response = await (await caches.open(CONFIG_CACHE)).match(url)
  return response && parseConfig(await response.text(), url)
}

/** Where the hosts discovery found are kept: a URL in the config's cache that is never fetched. */
const hostsUrl = (scriptUrl: string) => new URL('p2pcdn-sw-hosts.json', scriptUrl).href

/** Keeps what discovery found, for a worker the browser restarts (best effort). */
export async function storeHosts(scriptUrl: string, saved: SavedHosts): Promise<void> {
  await (await caches.open(CONFIG_CACHE)).put(
    hostsUrl(scriptUrl),
    new Response(JSON.stringify(saved), { headers: { 'Content-Type': 'application/json' } }),
  )
}

/** The hosts an earlier worker found, if any (unreadable: none). */
export async function storedHosts(scriptUrl: string): Promise<SavedHosts | undefined> {
  const response = await (await caches.open(CONFIG_CACHE)).match(hostsUrl(scriptUrl))
  const saved = (await response?.json().catch(() => undefined)) as SavedHosts | undefined
  const valid =
    saved &&
    typeof saved.root === 'string' &&
    Array.isArray(saved.hosts) &&
    saved.hosts.every((h) => typeof h?.url === 'string' && typeof h.rttMs === 'number')
  return valid ? saved : undefined
}
