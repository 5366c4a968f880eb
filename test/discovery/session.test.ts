import '../../src/utils/promise-with-resolvers.js'
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { UnixFS } from 'ipfs-unixfs'
import { afterEach, describe, expect, it } from 'vitest'
import {
  SESSION_TAG,
  type SessionDiscovery,
  type SessionDiscoveryComponents,
  type SessionDiscoveryOptions,
  sessionBlock,
  sessionContent,
  sessionNumber,
  startSessionDiscovery,
} from '../../src/discovery/session.js'
import { cidOfPath } from '../../src/import/cid-of-path.js'
import { tempDirs } from '../helpers/fs.js'
import { type StartedTestNode, type TestNode, testNodes } from '../helpers/p2p-nodes.js'

const temp = tempDirs()
const nodes = testNodes()
const running: SessionDiscovery[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((discovery) => discovery.stop()))
  await nodes.cleanup()
  await temp.cleanup()
})

function start(
  components: SessionDiscoveryComponents,
  options: SessionDiscoveryOptions = {},
): SessionDiscovery {
  const discovery = startSessionDiscovery(components, options)
  running.push(discovery)
  return discovery
}

/** Polls `check` until it returns true, failing with `what` at the deadline. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const ids = (peers: PeerId[]) => peers.map((peer) => peer.toString()).sort()

async function randomPeerId(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

describe('session file', () => {
  it('is the paper’s content without a name, salted with one', () => {
    expect(sessionContent(26000000)).toBe('Member of P2P CDN Session: 26000000')
    expect(sessionContent(0)).toBe('Member of P2P CDN Session: 0')
    expect(sessionContent(26000000, 'example.com')).toBe('Member of P2P CDN Session: example.com: 26000000')
    expect(() => sessionContent(-1)).toThrow(/non-negative integer/)
    expect(() => sessionContent(1.5)).toThrow(/non-negative integer/)
    expect(() => sessionContent(1, '')).toThrow(/`name` option/)
  })

  it('numbers sessions by whole periods since the epoch', () => {
    expect(sessionNumber(1_560_000_000_000)).toBe(26_000_000)
    expect(sessionNumber(1_560_000_059_999)).toBe(26_000_000)
    expect(sessionNumber(1_560_000_060_000)).toBe(26_000_001)
    expect(sessionNumber(5_999, 2_000)).toBe(2)
    expect(sessionNumber(0)).toBe(0)
  })

  it.each([
    [26000000, undefined],
    [26000001, undefined],
    [0, undefined],
    [26000000, 'example.com'],
  ])('session %i (name %s) is the block `ipfs add` makes of the file', async (n, name) => {
    const { cid, bytes } = await sessionBlock(n, name)
    // Golden from cidOfPath (src/import/cid-of-path.ts) on a file with that content, profile
    // 'unixfs-v0-2015': that function is checked against Kubo's own `ipfs add` goldens in
    // test/import/kubo-golden.test.ts.
    const file = path.join(await temp.make('session'), 'session.txt')
    await fs.writeFile(file, sessionContent(n, name))
    expect(cid.toString()).toBe((await cidOfPath(file, { profile: 'unixfs-v0-2015' })).toString())
    // And the block is what that CID says: CIDv0 (sha2-256 of the bytes), a dag-pb UnixFS file node
    // holding the content inline, no links.
    expect(cid.version).toBe(0)
    expect(cid.toString()).toMatch(/^Qm/)
    expect(Buffer.from(cid.multihash.digest)).toEqual(createHash('sha256').update(bytes).digest())
    const node = dagPb.decode(bytes)
    expect(node.Links).toEqual([])
    const unixfs = UnixFS.unmarshal(node.Data ?? new Uint8Array())
    expect(unixfs.type).toBe('file')
    expect(new TextDecoder().decode(unixfs.data)).toBe(sessionContent(n, name))
  })

  it('differs between sessions and between names', async () => {
    const cids = await Promise.all([
      sessionBlock(26000000),
      sessionBlock(26000001),
      sessionBlock(26000000, 'a'),
      sessionBlock(26000000, 'b'),
    ])
    expect(new Set(cids.map(({ cid }) => cid.toString())).size).toBe(4)
  })
})

describe('session discovery between real nodes', () => {
  const periodMs = 2_000
  const options = { periodMs, lookupTimeoutMs: 1_500 }

  async function connected(a: TestNode, b: TestNode): Promise<boolean> {
    return a.libp2p.getConnections(b.libp2p.peerId).length > 0
  }

  it('meets every node of the session through one bootstrap address, and keeps them across sessions', async () => {
    const first = await nodes.start()
    const others: StartedTestNode[] = []
    for (let i = 0; i < 3; i++) others.push(await nodes.start({ bootstrap: first.addrs }))
    const all = [first, ...others].map(({ node }) => node)
    const rounds = all.map(() => [] as Array<{ n: number; members: number }>)
    const discoveries = all.map((node, i) => {
      const discovery = start(node, options)
      discovery.events.addEventListener('round', (event) => rounds[i]?.push(event.detail))
      return discovery
    })
    const complete = () =>
      all.every((node, i) => {
        const expected = ids(all.filter((other) => other !== node).map((other) => other.libp2p.peerId))
        return JSON.stringify(ids(discoveries[i]?.members() ?? [])) === JSON.stringify(expected)
      })
    const meshed = async () => {
      for (const a of all) for (const b of all) if (a !== b && !(await connected(a, b))) return false
      return true
    }

    await until('every node to be a member of every other and connected', async () => complete() && meshed())
    for (const [i, node] of all.entries()) {
      for (const member of discoveries[i]?.members() ?? []) {
        expect((await node.libp2p.peerStore.get(member)).tags.has(SESSION_TAG)).toBe(true)
      }
    }

    // Two more boundaries: the session number changes, the members stay.
    const later = sessionNumber(Date.now(), periodMs) + 2
    await until(
      'a round of a later session on every node',
      () => rounds.every((seen) => seen.some(({ n }) => n >= later)),
      4 * periodMs + 5_000,
    )
    for (const seen of rounds) {
      for (const round of seen.filter(({ n }) => n >= later)) expect(round.members).toBe(3)
    }
    expect(complete()).toBe(true)
    expect(await meshed()).toBe(true)
    // The client (last node) finds the three hosts as providers of the block of the current session.
    const client = all[3] as TestNode
    const { cid } = await sessionBlock(sessionNumber(Date.now(), periodMs))
    const providers = new Set<string>()
    for await (const provider of client.routing.findProviders(cid, { signal: AbortSignal.timeout(3_000) })) {
      providers.add(provider.id.toString())
    }
    for (const host of all.slice(0, 3)) expect(providers).toContain(host.libp2p.peerId.toCID().toString())

    // Stopping removes the keep-alive tags.
    const clientDiscovery = discoveries[3] as SessionDiscovery
    const members = clientDiscovery.members()
    await clientDiscovery.stop()
    expect(clientDiscovery.members()).toEqual([])
    for (const member of members) {
      expect((await client.libp2p.peerStore.get(member)).tags.has(SESSION_TAG)).toBe(false)
    }
  }, 40_000)

  it('keeps a CDN of another name apart, though it shares the bootstrap node', async () => {
    const first = await nodes.start()
    const second = await nodes.start({ bootstrap: first.addrs })
    const stranger = await nodes.start({ bootstrap: first.addrs })
    const a = start(first.node, options)
    const b = start(second.node, options)
    const strangerRounds: number[] = []
    const c = start(stranger.node, { ...options, name: 'another-cdn' })
    c.events.addEventListener('round', (event) => strangerRounds.push(event.detail.n))

    await until('the two unnamed nodes to meet', () => a.members().length === 1 && b.members().length === 1)
    await until('two rounds of the named node', () => strangerRounds.length >= 2, 3 * periodMs + 5_000)
    expect(await connected(stranger.node, first.node)).toBe(true)
    expect(ids(a.members())).toEqual([second.node.libp2p.peerId.toString()])
    expect(ids(b.members())).toEqual([first.node.libp2p.peerId.toString()])
    expect(c.members()).toEqual([])
  }, 30_000)
})

describe('session discovery rounds', () => {
  async function fakeComponents(routing: Partial<SessionDiscoveryComponents['routing']> = {}) {
    const merges: Array<{ peer: string; tagged: boolean }> = []
    const components: SessionDiscoveryComponents = {
      libp2p: {
        peerId: await randomPeerId(),
        peerStore: {
          merge: async (peer: PeerId, data: { tags?: Record<string, unknown> }) => {
            merges.push({ peer: peer.toString(), tagged: data.tags?.[SESSION_TAG] !== undefined })
            return {} as never
          },
        } as never,
        dial: async () => ({}) as never,
      },
      routing: {
        provide: async () => {},
        findProviders: async function* () {},
        ...routing,
      },
      blockstore: { has: async () => false, put: async (cid) => cid },
    }
    return { components, merges }
  }

  it('reports errors of a round as events and goes on; stop() ends the rounds', async () => {
    const { components } = await fakeComponents({
      provide: async () => {
        throw new Error('boom')
      },
    })
    const discovery = start(components, { periodMs: 200 })
    const errors: Error[] = []
    let rounds = 0
    discovery.events.addEventListener('error', (event) => errors.push(event.detail))
    discovery.events.addEventListener('round', () => rounds++)
    await until('three rounds', () => rounds >= 3, 5_000)
    expect(errors.length).toBeGreaterThanOrEqual(2)
    expect(errors[0]?.message).toMatch(/Could not provide the block of session \d+ \(Qm\w+\): boom/)

    await discovery.stop()
    const after = rounds
    await sleep(700)
    expect(rounds).toBe(after)
  })

  it('starts rounds on the period boundary, not a period after start', async () => {
    const { components } = await fakeComponents()
    const periodMs = 60_000
    // A clock 400 ms before a boundary.
    const offset = (Math.floor(Date.now() / periodMs) + 1) * periodMs - 400 - Date.now()
    const discovery = start(components, { periodMs, now: () => Date.now() + offset })
    const rounds: number[] = []
    discovery.events.addEventListener('round', (event) => rounds.push(event.detail.n))
    await until('the round of the next session', () => rounds.length >= 2, 2_000)
    expect(rounds[1]).toBe((rounds[0] ?? 0) + 1)
  })

  it('stop() aborts a round in flight', async () => {
    let aborted = false
    const { components } = await fakeComponents({
      findProviders: async function* (_cid, options) {
        await new Promise<void>((resolve) => {
          options?.signal?.addEventListener('abort', () => {
            aborted = true
            resolve()
          })
        })
        yield* []
      },
    })
    const discovery = start(components, { periodMs: 60_000, lookupTimeoutMs: 60_000 })
    await sleep(100)
    const started = Date.now()
    await discovery.stop()
    expect(aborted).toBe(true)
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('drops and untags a member that two rounds in a row miss', async () => {
    const peer = await randomPeerId()
    let round = 0
    const { components, merges } = await fakeComponents({
      findProviders: async function* () {
        if (round === 0) yield { id: peer.toCID(), multiaddrs: [], router: 'test', fallback: false }
      },
    })
    const discovery = start(components, { periodMs: 200 })
    const members: number[] = []
    discovery.events.addEventListener('round', (event) => {
      members.push(event.detail.members)
      round++
    })
    await until('four rounds', () => members.length >= 4, 5_000)
    expect(members.slice(0, 4)).toEqual([1, 1, 0, 0])
    const tags = merges.filter((merge) => merge.peer === peer.toString()).map((merge) => merge.tagged)
    expect(tags).toEqual([true, false])
  })

  it('skips itself', async () => {
    const { components, merges } = await fakeComponents()
    components.routing.findProviders = async function* () {
      yield { id: components.libp2p.peerId.toCID(), multiaddrs: [], router: 'test', fallback: false }
    }
    const discovery = start(components, { periodMs: 60_000 })
    const rounds: number[] = []
    discovery.events.addEventListener('round', (event) => rounds.push(event.detail.members))
    await until('a round', () => rounds.length >= 1, 2_000)
    expect(rounds[0]).toBe(0)
    expect(discovery.members()).toEqual([])
    expect(merges).toEqual([])
  })
})
