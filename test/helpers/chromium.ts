/**
 * Whether the browser tests (test/runtime/*.browser.test.ts, test/plugin/gallery.browser.test.ts,
 * test/speedtest/) can run: they drive Debian's Chromium (`apt-get install chromium`) at
 * `/usr/bin/chromium`, or the binary `P2PCDN_CHROMIUM` names. Without it they skip, saying why in
 * their titles (as the netem tests do); under CI (`CI=true`), which installs it (`.ci/run`), they
 * run anyway and fail on the missing browser instead of passing by skipping.
 */
import { accessSync, constants } from 'node:fs'
import { DEFAULT_CHROMIUM } from '../../src/speedtest/browser.js'

export interface ChromiumCheck {
  /** The binary to launch: `P2PCDN_CHROMIUM`, or Debian's `/usr/bin/chromium`. */
  path: string
  /** It is there and executable. */
  ok: boolean
  /** Why not, and what to install; `''` when `ok`. */
  reason: string
  /** Skip the browser tests: Chromium is missing and this is not CI. */
  skip: boolean
  /** A suite or test title, with the reason appended when Chromium is missing. */
  title(name: string): string
}

/**
 * Looks for Chromium once per test file.
 *
 * @example
 * describe.skipIf(chromium.skip)(chromium.title('fallback runtime in Chromium'), () => { … })
 */
export function checkChromium(env: NodeJS.ProcessEnv = process.env): ChromiumCheck {
  const path = env.P2PCDN_CHROMIUM || DEFAULT_CHROMIUM
  let ok = true
  try {
    accessSync(path, constants.X_OK)
  } catch {
    ok = false
  }
  const ci = env.CI === 'true' || env.CI === '1'
  const reason = ok
    ? ''
    : `no Chromium at ${path}${env.P2PCDN_CHROMIUM ? ' (P2PCDN_CHROMIUM)' : ''}: install Debian's \`chromium\` package (apt-get install chromium), or set P2PCDN_CHROMIUM to a Chromium or Chrome binary`
  const note = ci ? `failing: Chromium is required under CI, ${reason}` : `skipped: ${reason}`
  return {
    path,
    ok,
    reason,
    skip: !ok && !ci,
    title: (name) => (ok ? name : `${name} (${note})`),
  }
}

export const chromium = checkChromium()
// Said once per test file, so that the default reporter (which lists no skipped test) shows it too.
if (!chromium.ok) console.warn(chromium.title('Chromium browser tests'))
