import { describe, expect, it } from 'vitest'
import { gatewayAddress, nodeAddress, resolveNodes, tbfParameters } from '../../src/netem/index.js'

const link = { down: '25mbit', up: '6mbit' }

describe('resolveNodes', () => {
  it('fills in defaults and numbers the nodes', () => {
    expect(
      resolveNodes([
        { name: 'origin', role: 'origin', link: { down: '50mbit', up: '50mbit', delayMs: 20 } },
        { name: 'host-1', role: 'host', link: { ...link, queueMs: 100 } },
      ]),
    ).toEqual([
      { name: 'origin', role: 'origin', index: 1, link: { down: 50e6, up: 50e6, delayMs: 20, queueMs: 50 } },
      { name: 'host-1', role: 'host', index: 2, link: { down: 25e6, up: 6e6, delayMs: 0, queueMs: 100 } },
    ])
    expect([nodeAddress(2), gatewayAddress(2)]).toEqual(['10.77.2.2', '10.77.2.1'])
  })

  it.each([
    [[], /The `nodes` option must list from 1 to 250 nodes/],
    [[{ name: 'Host', role: 'host', link }], /The name of node 1 must be lower-case/],
    [[{ name: '-a', role: 'host', link }], /The name of node 1 must be lower-case/],
    [[{ name: 'router', role: 'host', link }], /not 'router', 'delay' or 'probe', got: "router"/],
    [[{ name: 'a'.repeat(33), role: 'host', link }], /The name of node 1/],
    [
      [
        { name: 'a', role: 'host', link },
        { name: 'a', role: 'client', link },
      ],
      /The name of node 2 must be unique, got: "a"/,
    ],
    [
      [{ name: 'a', role: 'server', link }],
      /The role of node "a" must be one of origin, host, client, got: "server"/,
    ],
    [[{ name: 'a', role: 'host' }], /The link of node "a" must be an object/],
    [[{ name: 'a', role: 'host', link: { ...link, down: '25mbps' } }], /The `link.down` rate of node "a"/],
    [
      [{ name: 'a', role: 'host', link: { ...link, delayMs: -1 } }],
      /The `link.delayMs` of node "a" must be a number of milliseconds from 0 to 10000, got: -1/,
    ],
    [[{ name: 'a', role: 'host', link: { ...link, queueMs: 0 } }], /The `link.queueMs` of node "a"/],
    [
      Array.from({ length: 251 }, (_, i) => ({ name: `n${i}`, role: 'host', link })),
      /from 1 to 250 nodes, got: 251/,
    ],
  ])('refuses %#', (nodes, message) => {
    // biome-ignore lint/suspicious/noExplicitAny: invalid input on purpose
    expect(() => resolveNodes(nodes as any)).toThrow(message)
  })
})

describe('tbfParameters', () => {
  it.each([
    // rate, queueMs → burst: 1 ms at the rate, ≥ 2 frames; limit: queueMs at the rate, ≥ 2 bursts, ≥ 16 frames
    [25e6, 50, { burst: 3125, limit: 156_250 }],
    [6e6, 50, { burst: 3028, limit: 37_500 }],
    [1e9, 50, { burst: 125_000, limit: 6_250_000 }],
    [1e6, 50, { burst: 3028, limit: 24_224 }],
  ])('%d bit/s with %d ms of queue', (rate, queueMs, expected) => {
    expect(tbfParameters(rate, queueMs)).toEqual({ rate, ...expected })
  })
})
