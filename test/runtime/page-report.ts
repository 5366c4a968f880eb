/**
 * What a page shows, read inside Chromium: each image, background, poster,
 * media element and the web font, with the URL it came from, and the
 * Resource Timing entries that prove what was fetched.
 */
import type { Page } from 'playwright-core'

export interface Rendered {
  what: string
  url: string
  ok: boolean
}

export interface PageReport {
  rendered: Rendered[]
  /** Resource Timing: URL → decoded body size (0 for a failed fetch). */
  resources: Record<string, number>
  /** Width of four characters at 20px in the site font: 80 when the box font rendered. */
  fontWidth: number
  /** `href` of every `<link>` (stylesheets, icons). */
  links: string[]
  appRuns: number
  readyState: DocumentReadyState
  /** Milliseconds from navigation start to the `load` event's end (0 while it has not run). */
  loadEventEnd: number
  /** `performance.now()` when read: milliseconds since navigation start. */
  now: number
}

/** Runs in the page; no closures over test code (it is serialised). */
function readPage(fontFamily: string): PageReport {
  const resources: Record<string, number> = {}
  for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[])
    resources[e.name] = Math.max(resources[e.name] ?? 0, e.decodedBodySize)
  const loadedUrl = (url: string) => (resources[url] ?? 0) > 0
  const rendered: Rendered[] = []
  for (const img of document.querySelectorAll('img'))
    rendered.push({ what: `img ${img.alt}`, url: img.currentSrc, ok: img.complete && img.naturalWidth > 0 })
  for (const e of document.querySelectorAll<HTMLElement>('body *')) {
    const bg = /url\("([^"]+)"\)/.exec(getComputedStyle(e).backgroundImage)?.[1]
    if (bg !== undefined) rendered.push({ what: `background of .${e.className}`, url: bg, ok: loadedUrl(bg) })
  }
  for (const video of document.querySelectorAll('video'))
    rendered.push({ what: 'video poster', url: video.poster, ok: loadedUrl(video.poster) })
  for (const media of document.querySelectorAll<HTMLMediaElement>('audio, video'))
    rendered.push({ what: `${media.localName} source`, url: media.currentSrc, ok: media.readyState >= 1 })
  for (const svg of document.querySelectorAll('svg image')) {
    const url = new URL(svg.getAttribute('href') ?? '', document.baseURI).href
    rendered.push({ what: 'svg image', url, ok: loadedUrl(url) })
  }
  for (const input of document.querySelectorAll<HTMLInputElement>('input[type=image]'))
    rendered.push({ what: 'input image', url: input.src, ok: loadedUrl(input.src) })
  const span = document.createElement('span')
  span.style.cssText = `font: 20px "${fontFamily}", monospace; position: absolute; white-space: pre`
  span.textContent = 'iiii'
  document.documentElement.append(span)
  const fontWidth = span.getBoundingClientRect().width
  span.remove()
  const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined
  return {
    rendered,
    resources,
    fontWidth,
    links: [...document.querySelectorAll('link')].map((l) => l.href),
    appRuns: Number(document.documentElement.dataset.appRuns ?? 0),
    readyState: document.readyState,
    loadEventEnd: navigation?.loadEventEnd ?? 0,
    now: performance.now(),
  }
}

export function pageReport(page: Page, fontFamily: string): Promise<PageReport> {
  return page.evaluate(readPage, fontFamily)
}

/** Every image, background, poster, media element and the font rendered. */
export function rendered(report: PageReport): boolean {
  return report.fontWidth === 80 && report.rendered.every((r) => r.ok)
}

/** Rendered, and the window's `load` event is over. */
export function loaded(report: PageReport): boolean {
  return rendered(report) && report.readyState === 'complete' && report.loadEventEnd > 0
}

/**
 * Reads the page until `done` holds, or until `deadline` ms after navigation
 * start; the last report, with `now` the page time at which `done` first held.
 */
export async function waitFor(
  page: Page,
  fontFamily: string,
  deadline: number,
  done: (report: PageReport) => boolean,
): Promise<PageReport> {
  for (;;) {
    const report = await pageReport(page, fontFamily)
    if (report.now > deadline) return report
    if (done(report)) {
      // Resource Timing entries are queued: read them again a little later.
      await new Promise((resolve) => setTimeout(resolve, 150))
      return { ...(await pageReport(page, fontFamily)), now: report.now }
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
