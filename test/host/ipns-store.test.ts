/**
 * A host's IPNS records going into the DHT again (`IpnsStore.republish`, every
 * `IPNS_REPUBLISH_MS` on a running host): the DHT's put is recorded here (the put itself, to real
 * DHT peers, is in test/host/routing.test.ts).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core/memory'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { IpnsStore } from '../../src/host/ipns-store.js'
import { createSiteRecord, ipnsNameOf, parseIpnsName } from '../../src/ipns/site-record.js'

const ROOT = CID.parse('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi')

describe('IpnsStore.republish', () => {
  it('puts every record still valid into the DHT again, and skips an expired one', async () => {
    const puts: Array<{ key: string; value: Uint8Array }> = []
    let now = Date.now()
    const store = new IpnsStore({
      datastore: new MemoryDatastore(),
      routing: {
        put: async (key, value) => {
          puts.push({ key: Buffer.from(key).toString('hex'), value })
        },
        get: async () => {
          throw new Error('not asked')
        },
      },
      now: () => now,
    })
    const long = await generateKeyPair('Ed25519')
    const short = await generateKeyPair('Ed25519')
    const kept = await createSiteRecord(long, ROOT, { sequence: 1n, lifetimeMs: 3_600_000, ttlMs: 60_000 })
    const expiring = await createSiteRecord(short, ROOT, { sequence: 1n, lifetimeMs: 60_000, ttlMs: 60_000 })
    await store.put(kept.name, kept.bytes)
    await store.put(expiring.name, expiring.bytes)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(puts).toHaveLength(2)

    now += 120_000
    expect(await store.republish()).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(puts).toHaveLength(3)
    expect(puts[2]?.key).toBe(
      Buffer.from(parseIpnsName(ipnsNameOf(long.publicKey)).routingKey).toString('hex'),
    )
    expect(Buffer.compare(Buffer.from(puts[2]?.value ?? []), Buffer.from(kept.bytes))).toBe(0)
  })
})
