import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { importer } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'
import {
  createHostNode,
  createToken,
  type HostOptions,
  type RunningHost,
  startHost,
} from '../../src/host/index.js'

/** libp2p listen addresses on loopback only, on free ports. */
export const LOOPBACK_LISTEN = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws']

/** Starts a real host on loopback (free ports, no DHT, no session discovery unless asked) and a token for it. */
export async function startTestHost(
  repo: string,
  options: HostOptions = {},
): Promise<{ host: RunningHost; token: string; auth: Record<string, string> }> {
  const { token } = await createToken(repo, 'test')
  const host = await startHost({
    repo,
    http: '127.0.0.1:0',
    listen: LOOPBACK_LISTEN,
    dht: 'off',
    session: false,
    ...options,
  })
  return { host, token, auth: { Authorization: `Bearer ${token}` } }
}

/** A publisher: an in-memory Helia node on loopback holding `bytes` as a UnixFS file. */
export async function startPublisher(bytes: Uint8Array = randomBytes(3 * 1024 * 1024 + 17)) {
  const node = createHostNode({
    blockstore: new MemoryBlockstore(),
    datastore: new MemoryDatastore(),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    dht: 'off',
  })
  await node.start()
  let cid: CID | undefined
  for await (const entry of importer([{ content: bytes }], node.blockstore, {
    cidVersion: 1,
    rawLeaves: true,
  })) {
    cid = entry.cid
  }
  if (!cid) throw new Error('nothing imported')
  return { node, cid, bytes, origins: node.libp2p.getMultiaddrs().map(String) }
}

/** Polls `check` until it returns a value, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  ms = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
