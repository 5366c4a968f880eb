/**
 * The hosts a visitor knows of, and which of them it prefers: pure
 * bookkeeping for `discovery.ts`. The publish-time sources (`config`) are
 * always known; routers add `routing` candidates, of which at most
 * {@link LIMITS}.known are kept and at most {@link LIMITS}.probes probed per
 * refresh (a router naming a thousand hosts costs eight probes). The
 * preferred ones are the few with the lowest measured round trip, whatever
 * their origin; the other config sources stay as a fallback.
 */
import type { ProviderHint } from './providers.js'

/** Where a host came from. */
export type HostOrigin = 'config' | 'routing'

/** One known host. */
export interface Candidate {
  /** Gateway base URL, no trailing slash. */
  url: string
  origin: HostOrigin
  /** Peer ID the router gave, '' when none (or a config source). */
  peer: string
  /** Smoothed round trip of the probe in ms; undefined until a probe succeeded. */
  rttMs: number | undefined
  /** Failed probes in a row. */
  probeFailures: number
  /** Date.now() when a router last named it (0 for config sources). */
  seen: number
}

/** The numbers that bound discovery. */
export const LIMITS = {
  /** Routing candidates probed per refresh, at most. */
  probes: 8,
  /** Routing candidates kept, at most. */
  known: 16,
  /** Hosts preferred (lowest round trip). */
  preferred: 3,
  /** Failed probes in a row after which a routing candidate is dropped. */
  probeFailures: 2,
}

/** Weight of a new probe in the smoothed round trip. */
const RTT_ALPHA = 0.5

/** The known hosts, the config's first. */
export function initialCandidates(sources: readonly string[]): Map<string, Candidate> {
  return new Map(
    sources.map((url) => [
      url,
      { url, origin: 'config', peer: '', rttMs: undefined, probeFailures: 0, seen: 0 },
    ]),
  )
}

/**
 * Adds the routers' hints (one list per router, taken in turns so that no
 * router crowds out the others) to `known`, except URLs `usable` refuses.
 * Returns the URLs new to `known`, in that order.
 */
export function mergeHints(
  known: Map<string, Candidate>,
  answers: readonly ProviderHint[][],
  usable: (url: string) => boolean,
  now: number,
): string[] {
  const added: string[] = []
  const queues = answers.map((hints) => hints.flatMap((h) => h.urls.map((url) => ({ url, peer: h.peer }))))
  for (let i = 0; queues.some((q) => i < q.length); i++) {
    for (const queue of queues) {
      const hint = queue[i]
      if (!hint) continue
      const existing = known.get(hint.url)
      if (existing) {
        if (existing.origin === 'routing') existing.seen = now
        continue
      }
      if (!usable(hint.url)) continue
      known.set(hint.url, { ...hint, origin: 'routing', rttMs: undefined, probeFailures: 0, seen: now })
      added.push(hint.url)
    }
  }
  return added
}

/**
 * The hosts to probe this refresh: every config source, then at most
 * `LIMITS.probes` routing candidates: the fastest few that answered before,
 * then the new ones in the routers' order, then the other known ones.
 */
export function probeList(known: Map<string, Candidate>): Candidate[] {
  const all = [...known.values()]
  const measured = all
    .filter((c) => c.origin === 'routing' && c.rttMs !== undefined)
    .sort((a, b) => (a.rttMs as number) - (b.rttMs as number))
  const fresh = all.filter((c) => c.origin === 'routing' && c.rttMs === undefined)
  // The best few again (their round trip may have changed), then new ones, then the other known ones.
  const best = measured.slice(0, LIMITS.preferred + 1)
  const routing = [...best, ...fresh, ...measured.slice(best.length)]
  return [...all.filter((c) => c.origin === 'config'), ...routing.slice(0, LIMITS.probes)]
}

/** Records a probe: its round trip, or a failure (`undefined`). */
export function recordProbe(candidate: Candidate, rttMs: number | undefined): void {
  if (rttMs === undefined) {
    candidate.probeFailures++
    return
  }
  candidate.probeFailures = 0
  candidate.rttMs =
    candidate.rttMs === undefined ? rttMs : candidate.rttMs * (1 - RTT_ALPHA) + rttMs * RTT_ALPHA
}

/**
 * Drops what is not worth keeping: routing candidates whose probes failed
 * `LIMITS.probeFailures` times in a row, or never answered after being
 * probed, and beyond `LIMITS.known` the slowest. Returns the dropped URLs.
 */
export function prune(known: Map<string, Candidate>, probed: ReadonlySet<string>): string[] {
  const dropped: string[] = []
  for (const c of known.values()) {
    if (c.origin !== 'routing') continue
    const failing = c.probeFailures >= LIMITS.probeFailures
    const silent = c.rttMs === undefined && probed.has(c.url) && c.probeFailures > 0
    if (failing || silent) dropped.push(c.url)
  }
  const kept = [...known.values()]
    .filter((c) => c.origin === 'routing' && !dropped.includes(c.url))
    .sort(
      (a, b) =>
        (a.rttMs ?? Number.POSITIVE_INFINITY) - (b.rttMs ?? Number.POSITIVE_INFINITY) || b.seen - a.seen,
    )
  for (const c of kept.slice(LIMITS.known)) dropped.push(c.url)
  for (const url of dropped) known.delete(url)
  return dropped
}

/** The preferred hosts: the `LIMITS.preferred` lowest round trips among those whose last probe answered. */
export function preferredHosts(known: Map<string, Candidate>): Candidate[] {
  return [...known.values()]
    .filter((c) => c.rttMs !== undefined && c.probeFailures === 0)
    .sort((a, b) => (a.rttMs as number) - (b.rttMs as number))
    .slice(0, LIMITS.preferred)
}
