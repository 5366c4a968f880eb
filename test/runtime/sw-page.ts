/**
 * What the Chromium tests of the service worker do with a page: open it under the worker's
 * control, read its images' widths and the worker's `p2pcdn:stats`, and hash what a fetch through
 * the worker gives. Used by test/runtime/p2p-site.browser.test.ts and
 * test/interop/kubo-gateway.browser.test.ts.
 */
import type { BrowserContext, Page } from 'playwright-core'
import type { ServiceWorkerStats } from '../../src/runtime/sw/stats.js'

/** Opens `pageUrl`, lets the fallback runtime register the worker, and reloads under its control. */
export async function openControlled(context: BrowserContext, pageUrl: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(pageUrl)
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
  await page.reload()
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
  await page.waitForFunction(() => [...document.images].every((img) => img.complete))
  return page
}

/** Each image's `naturalWidth` (0 for one that did not load). */
export const widths = (page: Page) => page.evaluate(() => [...document.images].map((img) => img.naturalWidth))

/** The controlling worker's `p2pcdn:stats`. */
export const stats = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<ServiceWorkerStats>((resolve) => {
        const channel = new MessageChannel()
        channel.port1.onmessage = (event) => resolve(event.data as ServiceWorkerStats)
        navigator.serviceWorker.controller?.postMessage({ type: 'p2pcdn:stats' }, [channel.port2])
      }),
  )

/** SHA-256 (hex) of what the page gets for `url`, through the worker. */
export const sha256Of = (page: Page, url: string) =>
  page.evaluate(async (url) => {
    const body = await (await fetch(url)).arrayBuffer()
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body))
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
  }, url)
