import '../utils/promise-with-resolvers.js'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { loadOrCreateSelfKey } from '@libp2p/config'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createHeliaLight } from 'helia'
import { type FollowedSite, loadFollowedSites } from './follow-state.js'
import type { HostStatus } from './host.js'
import { STATUS_PATH } from './http/router.js'
import type { PinRequestStatus } from './pin-requests.js'
import { lockHolder, openRepo, readApiFile } from './repo.js'

export interface GcResult {
  /** Blocks removed. */
  removed: number
  /** Bytes freed. */
  freed: number
  /** Bytes the remaining blocks hold. */
  used: number
}

/**
 * Removes every block that no pin needs (`p2pcdn host gc`). Takes the repo lock, so it refuses to
 * run beside a host that has the repo open: stop the host, collect, start it again.
 */
export async function gcRepo(
  repoPath: string,
  options: { onRemoved?: (cid: string) => void; signal?: AbortSignal } = {},
): Promise<GcResult> {
  const repo = await openRepo(repoPath)
  try {
    const before = repo.blockstore.used
    const helia = createHeliaLight({ blockstore: repo.blockstore, datastore: repo.datastore })
    await helia.start()
    let removed = 0
    try {
      await helia.gc({
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress(event) {
          if (event.type === 'helia:gc:deleted') {
            removed++
            options.onRemoved?.(String(event.detail))
          }
        },
      })
    } finally {
      await helia.stop()
    }
    return { removed, freed: before - repo.blockstore.used, used: repo.blockstore.used }
  } finally {
    await repo.close()
  }
}

export type RepoStatus =
  | ({ running: true } & HostStatus)
  | {
      running: false
      repo: string
      peerId: string
      pins: Record<PinRequestStatus, number>
      storage: { used: number }
      /** The followed sites as the host left them. */
      follow: FollowedSite[]
    }

function getJson(url: string): Promise<unknown> {
  const target = new URL(url)
  // A host listening on every interface is reached on loopback.
  if (target.hostname === '0.0.0.0') target.hostname = '127.0.0.1'
  if (target.hostname === '[::]') target.hostname = '[::1]'
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    // The status document is public and nothing secret is sent, so a self-signed certificate is fine.
    const req = request(target, { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        try {
          if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`)
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        } catch (err) {
          reject(err)
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')))
    req.on('error', reject)
    req.end()
  })
}

/**
 * `p2pcdn host status`: asks the running host (its address is in `<repo>/api`), or reads the repo
 * when no host runs on it.
 */
export async function repoStatus(repoPath: string): Promise<RepoStatus> {
  const api = await readApiFile(repoPath)
  if (api) {
    try {
      return { running: true, ...((await getJson(api.url + STATUS_PATH)) as HostStatus) }
    } catch (err) {
      throw new Error(
        `The host (pid ${api.pid}) runs on ${repoPath} but did not answer at ${api.url}${STATUS_PATH}: ${(err as Error).message}.`,
      )
    }
  }
  const running = await lockHolder(repoPath)
  if (running !== undefined) {
    throw new Error(
      `A host (pid ${running}) has ${repoPath} open but wrote no address yet; try again in a moment.`,
    )
  }
  const repo = await openRepo(repoPath, { lock: false })
  try {
    const peerId = peerIdFromPrivateKey(await loadOrCreateSelfKey(repo.datastore)).toString()
    const pins: Record<PinRequestStatus, number> = { queued: 0, pinning: 0, pinned: 0, failed: 0 }
    for await (const { value } of repo.datastore.query({ prefix: '/p2pcdn/pin-requests/' })) {
      const { status } = JSON.parse(new TextDecoder().decode(value)) as { status: PinRequestStatus }
      pins[status]++
    }
    if (running !== undefined) {
      throw new Error(
        `A host (pid ${running}) has ${repoPath} open but wrote no address yet; try again in a moment.`,
      )
    }
    const follow = await loadFollowedSites(repo.datastore)
    return { running: false, repo: repo.path, peerId, pins, storage: { used: repo.blockstore.used }, follow }
  } finally {
    await repo.close()
  }
}
