/**
 * The providers a host lists (`/routing/v1/providers/<cid>`): itself when it pins the CID, then the
 * DHT's. The DHT is given as a function here (the lookup's results over time are the point: real
 * hosts are in test/host/routing.test.ts and test/runtime/sw-discovery.browser.test.ts).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { ProviderFinder } from '../../src/host/providers.js'

const ROOT = CID.parse('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi')

async function peer(port: number) {
  const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  return {
    id,
    multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${port}/http`), multiaddr(`/ip4/127.0.0.1/tcp/${port + 1}`)],
  }
}

describe('ProviderFinder', () => {
  it('lists itself first, then the DHT’s providers with their gateway addresses first', async () => {
    const self = await peer(4000)
    const other = await peer(5000)
    const finder = new ProviderFinder({
      self: () => ({ id: self.id.toString(), addrs: self.multiaddrs }),
      isServable: async () => true,
      routing: {
        async *findProviders() {
          yield { id: self.id.toCID(), multiaddrs: self.multiaddrs }
          yield { id: other.id.toCID(), multiaddrs: other.multiaddrs }
        },
      } as never,
    })
    const records = await finder.find(ROOT)
    expect(records.map((r) => r.ID)).toEqual([self.id.toString(), other.id.toString()])
    expect(records[1]).toEqual({
      Schema: 'peer',
      ID: other.id.toString(),
      Addrs: ['/ip4/127.0.0.1/tcp/5000/http', '/ip4/127.0.0.1/tcp/5001'],
      Protocols: ['transport-ipfs-gateway-http', 'transport-bitswap'],
    })
  })

  it('keeps an answer the DHT added nobody to only briefly: a follower that pins later is listed', async () => {
    // What a host answers while a follower fetches a new version from it must not hide that
    // follower from visitors for the whole cache time.
    const self = await peer(4000)
    const follower = await peer(6000)
    let pinnedByFollower = false
    const finder = new ProviderFinder({
      self: () => ({ id: self.id.toString(), addrs: self.multiaddrs }),
      isServable: async () => true,
      routing: {
        async *findProviders() {
          if (pinnedByFollower) yield { id: follower.id.toCID(), multiaddrs: follower.multiaddrs }
        },
      } as never,
      cacheMs: 60_000,
      emptyCacheMs: 100,
    })
    expect((await finder.find(ROOT)).map((r) => r.ID)).toEqual([self.id.toString()])
    pinnedByFollower = true
    await new Promise((resolve) => setTimeout(resolve, 150))
    const ids = (await finder.find(ROOT)).map((r) => r.ID)
    expect(ids).toEqual([self.id.toString(), follower.id.toString()])
    // A non-empty answer is reused for the whole cache time.
    pinnedByFollower = false
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect((await finder.find(ROOT)).map((r) => r.ID)).toEqual(ids)
  })
})
