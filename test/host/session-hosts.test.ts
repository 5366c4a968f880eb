/**
 * Session discovery between real hosts (`startHost`, the same code `p2pcdn host` runs) over the LAN
 * DHT on 127.0.0.1: three hosts and a client, each given only the first host's address, find each
 * other as members of the session and stay connected across session boundaries (a 2 s period stands
 * in for the paper's minute).
 */
import '../../src/utils/promise-with-resolvers.js'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createHostNode,
  type RunningHost,
  type SessionDiscovery,
  sessionNumber,
  startSessionDiscovery,
} from '../../src/host/index.js'
import { tempDirs } from '../helpers/fs.js'
import { eventually, startTestHost } from '../helpers/host.js'

const PERIOD = 2_000
const dirs = tempDirs()
const hosts: RunningHost[] = []
const stops: Array<() => Promise<void>> = []

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {})
  await dirs.cleanup()
})

describe('session discovery between hosts', () => {
  it('three hosts and a client given one bootstrap address become connected members, and stay so', async () => {
    const session = { name: 'hosts-test', periodMs: PERIOD }
    const first = (await startTestHost(await dirs.make('s0'), { dht: 'lan', session })).host
    hosts.push(first)
    stops.push(() => first.stop())
    const bootstrap = [first.multiaddrs().find((a) => !a.includes('/ws')) as string]
    for (const label of ['s1', 's2']) {
      const { host } = await startTestHost(await dirs.make(label), { dht: 'lan', session, bootstrap })
      hosts.push(host)
      stops.push(() => host.stop())
    }
    const client = createHostNode({
      blockstore: new MemoryBlockstore(),
      datastore: new MemoryDatastore(),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      dht: 'lan',
    })
    await client.start()
    const clientDiscovery: SessionDiscovery = startSessionDiscovery(client, session)
    stops.push(async () => {
      await clientDiscovery.stop()
      await client.stop()
    })

    const everyone = [...hosts.map((h) => h.peerId), client.libp2p.peerId.toString()]
    const membersOf = (i: number) =>
      i < hosts.length ? (hosts[i]?.status().session.connected ?? []) : clientDiscovery.members().map(String)
    const allConnected = () =>
      everyone.every((self, i) => {
        const members = new Set(membersOf(i))
        return everyone.every((other) => other === self || members.has(other))
      })

    await eventually(
      async () => (allConnected() ? true : undefined),
      20_000,
      'every node to have every other as a connected member',
    )
    // Every pair holds a direct connection.
    for (const host of hosts) {
      for (const other of everyone) {
        if (other !== host.peerId) expect(host.helia.libp2p.getPeers().map(String)).toContain(other)
      }
    }

    // Across two session boundaries: the session number moves on and nobody drops out.
    const start = sessionNumber(Date.now(), PERIOD)
    await eventually(
      async () => (sessionNumber(Date.now(), PERIOD) >= start + 2 ? true : undefined),
      10_000,
      'two boundaries',
    )
    await new Promise((resolve) => setTimeout(resolve, PERIOD / 2))
    expect(allConnected()).toBe(true)
    const status = hosts[1]?.status()
    expect(status?.session).toMatchObject({ enabled: true, name: 'hosts-test' })
    expect(status?.session.connected).toHaveLength(3)
  })
})
