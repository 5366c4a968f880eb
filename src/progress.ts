import type { ProgressEvent } from 'progress-events'

/** Details carried by each publish progress event. */
export interface PublishProgressDetails {
  /** The scan found every asset: totals are known from here on. */
  'p2pcdn:scan:done': { files: number; bytes: number }
  /** One asset's content is in the block store (imported now, or verified from the cache). */
  'p2pcdn:import:file': { path: string; bytes: number; cached: boolean }
  /** The site's root directory CID is known. */
  'p2pcdn:import:root': { cid: string }
  /** A block was appended to the CAR. */
  'p2pcdn:car:block': { bytes: number }
  /** The output folder is in place. */
  'p2pcdn:output:done': { out: string }
  /** Pushing to one host started. */
  'p2pcdn:push:start': { host: string }
  /** One host is done: pinned, already pinned, queued, or failed (with the reason). */
  'p2pcdn:push:host': import('./push/push-site.js').HostPushResult
}

/** Any publish progress event; `type` names the step, `detail` is typed by it. */
export type PublishProgressEvents = {
  [K in keyof PublishProgressDetails]: ProgressEvent<K, PublishProgressDetails[K]>
}[keyof PublishProgressDetails]
