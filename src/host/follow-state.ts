/**
 * What a follower keeps about each followed site, in the repo's datastore under
 * `/p2pcdn/follow/<name>` (JSON), so that a restart continues where it stopped (the served root and
 * sequence, the record being fetched, the previous roots waiting for their unpin) and `p2pcdn host
 * status` can show it with no host running.
 */
import { type Datastore, Key } from 'interface-datastore'

export const FOLLOW_PREFIX = '/p2pcdn/follow/'

/** Owner of a follower's pin requests (token ids are 8 hex digits, so no token sees them). */
export const FOLLOW_OWNER = 'follow'

/** A followed site, as `host status` shows it (times are ISO strings, sequences decimal strings). */
export interface FollowedSite {
  /** The IPNS name (`k51…`). */
  name: string
  /** The root this host serves for it (pinned), null until the first one is. */
  root: string | null
  /** The sequence of the record naming `root`. */
  sequence: string | null
  /** When the host last looked for a newer record. */
  lastCheck: string | null
  /** When the record of `root` was first seen, and when `root` was pinned and served. */
  firstSeen: string | null
  servedAt: string | null
  /** Where the served record came from: a host's URL, `the DHT`, or this host's record store. */
  source: string | null
  /** `servedAt - firstSeen`: how long this host took to serve the version it serves. */
  lagMs: number | null
  /** A newer record seen whose root is not served yet (being fetched, or failing). */
  pending: { root: string; sequence: string; since: string } | null
  /** The last refusal or failure, with its time; null when the last check found nothing wrong. */
  lastError: { message: string; at: string } | null
  /** Records refused so far (another key's, an older sequence, invalid). */
  refused: number
  /** The pin request of `root` (owner {@link FOLLOW_OWNER}). */
  requestid: string | null
  /** Previous roots, still pinned until `unpinAt`. */
  retired: Array<{ root: string; requestid: string; unpinAt: string }>
}

export function newFollowedSite(name: string): FollowedSite {
  return {
    name,
    root: null,
    sequence: null,
    lastCheck: null,
    firstSeen: null,
    servedAt: null,
    source: null,
    lagMs: null,
    pending: null,
    lastError: null,
    refused: 0,
    requestid: null,
    retired: [],
  }
}

const keyOf = (name: string) => new Key(FOLLOW_PREFIX + name)

export async function saveFollowedSite(datastore: Pick<Datastore, 'put'>, site: FollowedSite): Promise<void> {
  await datastore.put(keyOf(site.name), new TextEncoder().encode(JSON.stringify(site)))
}

export async function deleteFollowedSite(datastore: Pick<Datastore, 'delete'>, name: string): Promise<void> {
  await datastore.delete(keyOf(name))
}

/** Every followed site the datastore holds (names no longer followed until {@link forgetUnfollowed} runs). */
export async function loadFollowedSites(datastore: Pick<Datastore, 'query'>): Promise<FollowedSite[]> {
  const sites: FollowedSite[] = []
  for await (const { value } of datastore.query({ prefix: FOLLOW_PREFIX })) {
    try {
      sites.push({ ...newFollowedSite(''), ...(JSON.parse(new TextDecoder().decode(value)) as FollowedSite) })
    } catch {}
  }
  return sites
}
