import { CID } from 'multiformats/cid'
import { CustomProgressEvent, type ProgressOptions } from 'progress-events'
import { P2pcdnError } from '../errors.js'
import { clusterAdapter } from '../hosts/adapters/cluster.js'
import { kuboAdapter } from '../hosts/adapters/kubo.js'
import { p2pcdnAdapter } from '../hosts/adapters/p2pcdn.js'
import { pinningServiceAdapter } from '../hosts/adapters/pinning-service.js'
import type { RetryPolicy } from '../hosts/http.js'
import type {
  HostAdapter,
  HostTarget,
  IpnsRecordJob,
  PushJob,
  RecordOutcome,
  SiteBlocks,
} from '../hosts/types.js'
import type { PublishProgressEvents } from '../progress.js'
import { eachLimit } from '../utils/each-limit.js'
import type { OriginNode } from './origin-node.js'

export interface PushSiteOptions extends ProgressOptions<PublishProgressEvents> {
  hosts: HostTarget[]
  /** The site's root CID. */
  root: string | CID
  /** The site's blocks, read from its files (`siteBlocks()`). */
  blocks: SiteBlocks
  /** Pin name; a host's previous pin of the same name is replaced (see `site` and `nameGiven`). */
  name: string
  /**
   * The site's identity (`siteIdentity().id`), recorded in each pin's meta. With it, a host's pin
   * of `name` that another site made is not replaced unless `nameGiven`: that host's result is
   * `failed` with `ERR_SITE_NAME_TAKEN`.
   */
  site?: string
  /** `name` was chosen explicitly (`siteName`): replace a pin of that name whichever site made it. @default false */
  nameGiven?: boolean
  /** Hosts that must report pinned for the push to succeed. @default every host */
  replication?: number
  /** Wait until pinned (true) or until accepted (false). @default true */
  wait?: boolean
  /** Hosts pushed to at once. @default 4 */
  concurrency?: number
  /** Per host: gives up on it after this long. @default 600_000 */
  timeoutMs?: number
  /** Listen addresses of the publishing node that serves the blocks over bitswap. @default ['/ip4/0.0.0.0/tcp/0'] */
  listen?: string[]
  /** Previous site root (from the previous manifest), for hosts that replace by CID (Kubo, Cluster). */
  previousRoot?: string
  /**
   * The site's signed IPNS record (naming `root`), sent to every host that takes records after
   * its pin; a host that refuses it counts as failed.
   */
  ipnsRecord?: IpnsRecordJob
  retry?: Partial<RetryPolicy>
  signal?: AbortSignal
}

export interface HostPushResult {
  name: string
  url: string
  type: HostTarget['type']
  /** `failed` with `reason`, or what the host made of the push. */
  status: 'pinned' | 'already-pinned' | 'queued' | 'failed'
  reason?: string
  /** The error's code when it failed (`ERR_HOST_AUTH`, `ERR_HOST_UNREACHABLE`, …). */
  code?: string
  detail?: string
  /** The root of the earlier pin (same name, or the previous publish's root) this push replaced. */
  replaced?: string
  /** What became of the IPNS record (when there was one): stored, or the host type takes none. */
  record?: RecordOutcome
  bytesSent: number
  durationMs: number
  requestid?: string
}

export interface PushSiteResult {
  root: string
  replication: { required: number; achieved: number; met: boolean }
  hosts: HostPushResult[]
  /** Request bytes sent to all hosts (CAR uploads and API calls). */
  bytesSent: number
}

/** The adapter for a host's type. */
export function adapterFor(host: HostTarget, retry?: Partial<RetryPolicy>): HostAdapter {
  const options = retry ? { retry } : {}
  switch (host.type) {
    case 'kubo':
      return kuboAdapter(host, options)
    case 'cluster':
      return clusterAdapter(host, options)
    case 'p2pcdn':
      return p2pcdnAdapter(host, options)
    default:
      return pinningServiceAdapter(host, options)
  }
}

/**
 * Pushes a published site to every host at once (bounded concurrency): each adapter first asks what
 * the host already has and sends only the rest; requests are retried with backoff on network
 * errors, 5xx and 429, never on authentication or validation errors; each host has its own
 * timeout. A publishing node serves the blocks over bitswap for hosts that fetch them (Pinning
 * Service API pins). With `ipnsRecord`, each host that takes records gets it after the pin
 * (`record: 'stored'`); one that refuses it (a lower sequence than it holds, an invalid record)
 * is `failed`, like a failed pin; a host type that takes none says `record: 'unsupported'`.
 * Never throws for a host's failure: the result says, host by host, and whether `replication`
 * hosts pinned the site.
 */
export async function pushSite(options: PushSiteOptions): Promise<PushSiteResult> {
  const root = typeof options.root === 'string' ? CID.parse(options.root) : options.root
  const required = options.replication ?? options.hosts.length
  if (!Number.isInteger(required) || required < 0 || required > options.hosts.length) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `The \`replication\` option must be a whole number from 0 to the number of registered hosts (${options.hosts.length}), got: ${required}.`,
    )
  }
  const timeoutMs = options.timeoutMs ?? 600_000
  const needsOrigin = options.hosts.some((h) => h.type === 'pinning-service' || h.type === 'p2pcdn')
  let origin: OriginNode | undefined
  if (needsOrigin) {
    const { startOriginNode } = await import('./origin-node.js')
    origin = await startOriginNode(options.blocks, options.listen ?? ['/ip4/0.0.0.0/tcp/0'])
  }
  const results: HostPushResult[] = []
  try {
    await eachLimit(options.hosts, options.concurrency ?? 4, async (host) => {
      options.onProgress?.(new CustomProgressEvent('p2pcdn:push:start', { host: host.name }))
      const started = performance.now()
      const signals = [AbortSignal.timeout(timeoutMs)]
      if (options.signal) signals.push(options.signal)
      const job: PushJob = {
        root,
        name: options.name,
        ...(options.site ? { site: options.site } : {}),
        nameGiven: options.nameGiven ?? false,
        blocks: options.blocks,
        origins: origin?.multiaddrs ?? [],
        ...(origin ? { connect: (addresses: string[]) => (origin as OriginNode).connect(addresses) } : {}),
        ...(options.previousRoot && options.previousRoot !== root.toString()
          ? { previous: { root: options.previousRoot } }
          : {}),
        wait: options.wait ?? true,
        timeoutMs,
        ...(options.ipnsRecord ? { record: options.ipnsRecord } : {}),
        signal: AbortSignal.any(signals),
      }
      let result: HostPushResult
      try {
        const outcome = await adapterFor(host, options.retry).push(job)
        result = {
          name: host.name,
          url: host.url,
          type: host.type,
          status: outcome.status,
          bytesSent: outcome.bytesSent,
          durationMs: Math.round(performance.now() - started),
          ...(outcome.requestid ? { requestid: outcome.requestid } : {}),
          ...(outcome.replaced ? { replaced: outcome.replaced } : {}),
          ...(outcome.detail ? { detail: outcome.detail } : {}),
          ...(outcome.record ? { record: outcome.record } : {}),
        }
      } catch (err) {
        options.signal?.throwIfAborted()
        const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError'
        result = {
          name: host.name,
          url: host.url,
          type: host.type,
          status: 'failed',
          reason: timedOut
            ? `Host "${host.name}" (${host.url}) did not finish within ${Math.round(timeoutMs / 1000)} s.`
            : (err as Error).message,
          code: timedOut ? 'ERR_HOST_UNREACHABLE' : ((err as { code?: string }).code ?? 'ERR_HOST_FAILED'),
          bytesSent: 0,
          durationMs: Math.round(performance.now() - started),
        }
      }
      results.push(result)
      options.onProgress?.(new CustomProgressEvent('p2pcdn:push:host', result))
    })
  } finally {
    await origin?.stop()
  }
  const order = new Map(options.hosts.map((h, i) => [h.name, i]))
  results.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0))
  const achieved = results.filter(
    (r) =>
      r.status === 'pinned' ||
      r.status === 'already-pinned' ||
      (options.wait === false && r.status === 'queued'),
  ).length
  return {
    root: root.toString(),
    replication: { required, achieved, met: achieved >= required },
    hosts: results,
    bytesSent: results.reduce((sum, r) => sum + r.bytesSent, 0),
  }
}
