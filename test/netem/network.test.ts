/**
 * Emulated networks for real: namespaces, shaped and delayed links, HTTP between nodes. Needs root
 * (and iproute2, netns, veth, VXLAN, tbf); skipped with the reason otherwise. Every figure is
 * measured by processes inside the namespaces.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { checkNetem, createNetwork, listNamespaces, type Network } from '../../src/netem/index.js'
import { fetchFrom, median, roundTrips, secondHalfRate, startServer, tcpCounters } from './net-tools.js'

const netem = await checkNetem()
const title = (name: string) => (netem.ok ? name : `${name} (skipped: ${netem.reason})`)

/** Payload share of a link's rate: 1448 bytes of TCP payload per 1514-byte frame. */
const PAYLOAD = 1448 / 1514

describe.skipIf(!netem.ok)(title('emulated network'), () => {
  const networks: Network[] = []
  const build = async (...args: Parameters<typeof createNetwork>) => {
    const network = await createNetwork(...args)
    networks.push(network)
    return network
  }
  afterEach(async () => {
    await Promise.all(networks.splice(0).map((network) => network.destroy()))
  })
  afterAll(async () => {
    await Promise.all(networks.splice(0).map((network) => network.destroy()))
  })

  it('gives each node an address, loopback, and HTTP between namespaces', async () => {
    const network = await build({
      nodes: [
        { name: 'origin', role: 'origin', link: { down: '50mbit', up: '50mbit', delayMs: 5 } },
        { name: 'host-1', role: 'host', link: { down: '25mbit', up: '25mbit' } },
        { name: 'client', role: 'client', link: { down: '100mbit', up: '100mbit', delayMs: 2 } },
      ],
    })
    expect(network.nodes.map((node) => [node.name, node.address, node.namespace])).toEqual([
      ['origin', '10.77.1.2', `${network.id}-origin`],
      ['host-1', '10.77.2.2', `${network.id}-host-1`],
      ['client', '10.77.3.2', `${network.id}-client`],
    ])
    expect(network.byRole('host').map((node) => node.name)).toEqual(['host-1'])
    expect(network.id).toMatch(new RegExp(`^p2pcdn-${process.pid}-\\d+$`))
    expect(await listNamespaces()).toEqual(expect.arrayContaining([...network.namespaces]))

    await startServer(network.node('origin'), 8080) // 0.0.0.0
    await startServer(network.node('host-1'), 8081, network.node('host-1').address)
    await startServer(network.node('client'), 8082, '127.0.0.1')
    const [fromOrigin, fromHost] = await fetchFrom(network.node('client'), [
      `http://${network.node('origin').address}:8080/hello`,
      `http://${network.node('host-1').address}:8081/hello`,
    ])
    expect(fromOrigin).toMatchObject({ status: 200, body: 'hello from origin' })
    expect(fromHost).toMatchObject({ status: 200, body: 'hello from host-1' })
    // Loopback inside a namespace is up, and is the namespace's own.
    const [local] = await fetchFrom(network.node('client'), ['http://127.0.0.1:8082/hello'])
    expect(local).toMatchObject({ status: 200, body: 'hello from client' })
    await expect(fetchFrom(network.node('origin'), ['http://127.0.0.1:8082/hello'])).rejects.toThrow(
      /ECONNREFUSED/,
    )
    // Host to host, through the router, both ways.
    const [hostToOrigin] = await fetchFrom(network.node('host-1'), [
      `http://${network.node('origin').address}:8080/hello`,
    ])
    expect(hostToOrigin).toMatchObject({ status: 200, body: 'hello from origin' })
  })

  it("a shaped link's throughput is its rate, upload and download", async () => {
    const network = await build({
      nodes: [
        { name: 'slow-up', role: 'host', link: { down: '100mbit', up: '20mbit', delayMs: 2 } },
        { name: 'fast', role: 'host', link: { down: '100mbit', up: '100mbit', delayMs: 2 } },
        // No delay: a veth link (the other two are VXLAN links through the delay relay).
        { name: 'slow-down', role: 'client', link: { down: '20mbit', up: '100mbit' } },
      ],
    })
    await startServer(network.node('slow-up'), 8080)
    await startServer(network.node('fast'), 8080)
    const bytes = 4_000_000
    const ideal = (bytes * 8) / (20e6 * PAYLOAD) // seconds at 20 Mbit/s of frames
    // The uploader's link is the bottleneck (fast → its 100 Mbit/s download).
    const [upload] = await fetchFrom(network.node('fast'), [
      `http://${network.node('slow-up').address}:8080/bytes/${bytes}`,
    ])
    // The downloader's link is the bottleneck.
    const [download] = await fetchFrom(network.node('slow-down'), [
      `http://${network.node('fast').address}:8080/bytes/${bytes}`,
    ])
    for (const fetched of [upload, download]) {
      expect(fetched?.bytes).toBe(bytes)
      const ratio = (fetched?.done as number) / 1000 / ideal
      expect(ratio, `${fetched?.done} ms for ${bytes} bytes, ideal ${ideal * 1000} ms`).toBeGreaterThan(0.95)
      expect(ratio).toBeLessThan(1.4)
    }
    // Without shaping in the way (fast → fast's own 100 Mbit/s), the same transfer is much faster.
    const [unshaped] = await fetchFrom(network.node('slow-up'), [
      `http://${network.node('fast').address}:8080/bytes/${bytes}`,
    ])
    expect(unshaped?.done).toBeLessThan((upload?.done as number) / 3)
    // The relay recomputed every checksum the receivers needed: no TCP checksum errors.
    for (const node of network.nodes) expect((await tcpCounters(node)).InCsumErrors).toBe(0)
  })

  it("a link's round-trip time is twice the delays of both ends", async () => {
    const network = await build({
      nodes: [
        { name: 'far', role: 'origin', link: { down: '50mbit', up: '50mbit', delayMs: 20 } },
        { name: 'near', role: 'host', link: { down: '1gbit', up: '1gbit' } },
        { name: 'client', role: 'client', link: { down: '100mbit', up: '100mbit', delayMs: 5 } },
      ],
    })
    await startServer(network.node('far'), 8080)
    await startServer(network.node('near'), 8080)
    const expected = network.rttMs('far', 'client')
    expect(expected).toBe(50)
    const far = await roundTrips(
      network.node('client'),
      `http://${network.node('far').address}:8080/hello`,
      8,
    )
    // TCP connect: one round trip (SYN, SYN-ACK); each kept-alive request: one round trip.
    expect(far.first.connected).toBeGreaterThan(expected * 0.95)
    // The upper bounds leave room for a machine busy with the rest of the suite: they catch a delay
    // applied twice, not a few milliseconds of scheduling.
    expect(far.first.connected).toBeLessThan(expected * 1.3 + 5)
    expect(median(far.rounds)).toBeGreaterThan(expected * 0.95)
    expect(median(far.rounds)).toBeLessThan(expected * 1.3 + 5)
    // The undelayed node is 2 × 5 ms away from the client.
    const near = await roundTrips(
      network.node('client'),
      `http://${network.node('near').address}:8080/hello`,
      8,
    )
    expect(network.rttMs('near', 'client')).toBe(10)
    expect(median(near.rounds)).toBeGreaterThan(10 * 0.95)
    expect(median(near.rounds)).toBeLessThan(10 * 1.2 + 3)
  })

  it('a long delay does not lower throughput below the shaped rate', async () => {
    const network = await build({
      nodes: [
        { name: 'far', role: 'host', link: { down: '100mbit', up: '20mbit', delayMs: 80 } },
        { name: 'client', role: 'client', link: { down: '100mbit', up: '100mbit', delayMs: 5 } },
      ],
    })
    await startServer(network.node('far'), 8080)
    const bytes = 5_000_000
    const [fetched] = await fetchFrom(network.node('client'), [
      `http://${network.node('far').address}:8080/bytes/${bytes}`,
    ])
    expect(fetched?.bytes).toBe(bytes)
    // RTT 170 ms, bandwidth-delay product 425 KB: once TCP's window is open, the rate is the link's.
    const rate = secondHalfRate(fetched as NonNullable<typeof fetched>)
    expect(rate / (20e6 * PAYLOAD), `second half at ${(rate / 1e6).toFixed(2)} Mbit/s`).toBeGreaterThan(0.85)
    expect(rate / (20e6 * PAYLOAD)).toBeLessThan(1.1)
    const ideal = (bytes * 8) / (20e6 * PAYLOAD) + (2 * network.rttMs('far', 'client')) / 1000
    expect((fetched?.done as number) / 1000 / ideal).toBeLessThan(1.4)
    const relays = await network.relayStats()
    expect(relays.far?.dropped).toBe(0)
    expect(relays.far?.forwarded).toBeGreaterThan(bytes / 1500)
  })

  it('two shaped links in parallel each get their rate', async () => {
    const network = await build({
      nodes: [
        { name: 'host-1', role: 'host', link: { down: '100mbit', up: '10mbit', delayMs: 10 } },
        { name: 'host-2', role: 'host', link: { down: '100mbit', up: '15mbit', delayMs: 10 } },
        { name: 'client', role: 'client', link: { down: '100mbit', up: '100mbit', delayMs: 2 } },
      ],
    })
    await startServer(network.node('host-1'), 8080)
    await startServer(network.node('host-2'), 8080)
    const [one, two] = await fetchFrom(network.node('client'), [
      `http://${network.node('host-1').address}:8080/bytes/2000000`,
      `http://${network.node('host-2').address}:8080/bytes/3000000`,
    ])
    for (const [fetched, rate] of [
      [one, 10e6],
      [two, 15e6],
    ] as const) {
      const measured = secondHalfRate(fetched as NonNullable<typeof fetched>)
      expect(measured / (rate * PAYLOAD), `${(measured / 1e6).toFixed(2)} Mbit/s`).toBeGreaterThan(0.8)
      expect(measured / (rate * PAYLOAD)).toBeLessThan(1.15)
    }
    // Together more than either link alone: the two did not share one bottleneck.
    expect(Math.abs((one?.done as number) - (two?.done as number))).toBeLessThan(0.3 * (one?.done as number))
  })
})
