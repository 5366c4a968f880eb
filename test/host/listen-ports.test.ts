/**
 * The host's ports tried before libp2p takes them (`planListen`), and libp2p's own error when a
 * port is taken anyway (`listenFailure`), all on 127.0.0.1.
 */
import { createServer, type Server } from 'node:net'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { afterEach, describe, expect, it } from 'vitest'
import { P2pcdnError } from '../../src/errors.js'
import { listenFailure, planListen } from '../../src/host/listen-ports.js'
import { createHostNode } from '../../src/host/node.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

/** Holds a free port on 127.0.0.1, as another program would. */
async function occupied(): Promise<number> {
  const server = createServer()
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return (server.address() as { port: number }).port
}

describe('planListen', () => {
  it('keeps free ports, port 0 and addresses that are not TCP as they are', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()))
    const free = (probe.address() as { port: number }).port
    await new Promise((resolve) => probe.close(resolve))
    const addresses = [
      `/ip4/127.0.0.1/tcp/${free}`,
      '/ip4/127.0.0.1/tcp/0/ws',
      '/dns4/example.invalid/tcp/4011',
    ]
    expect(await planListen(addresses, { fallback: false })).toEqual({ listen: addresses, warnings: [] })
  })

  it('with fallback (the defaults), swaps a taken port for a free one on the same address, and warns', async () => {
    const port = await occupied()
    const plan = await planListen([`/ip4/127.0.0.1/tcp/${port}`, `/ip4/127.0.0.1/tcp/${port}/ws`], {
      fallback: true,
    })
    expect(plan.listen).toHaveLength(2)
    const [tcp, ws] = plan.listen
    expect(tcp).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/)
    expect(ws).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws$/)
    expect(tcp).not.toBe(`/ip4/127.0.0.1/tcp/${port}`)
    expect(plan.warnings.map((w) => w.code)).toEqual(['W_LISTEN_PORT_TAKEN', 'W_LISTEN_PORT_TAKEN'])
    expect(plan.warnings[0]?.message).toContain(`port ${port} (/ip4/127.0.0.1/tcp/${port}) is taken`)
    expect(plan.warnings[0]?.message).toContain(`listening on ${tcp} instead`)
    expect(plan.warnings[0]?.message).toContain('--listen')
  })

  it('without fallback (the user’s --listen), a taken port is an error naming it and --listen', async () => {
    const port = await occupied()
    const err = await planListen([`/ip4/127.0.0.1/tcp/${port}`], { fallback: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(P2pcdnError)
    expect((err as P2pcdnError).code).toBe('ERR_HOST_START')
    expect((err as Error).message).toBe(
      `Could not start the host: port ${port} of the --listen address /ip4/127.0.0.1/tcp/${port} is already in use (EADDRINUSE), perhaps by another p2pcdn host. Pass another with --listen, e.g. --listen /ip4/0.0.0.0/tcp/4021 /ip4/0.0.0.0/tcp/4022/ws (port 0 picks a free one).`,
    )
  })
})

describe('listenFailure', () => {
  it('turns libp2p’s EADDRINUSE error (stack traces, faultTolerance advice) into one sentence', async () => {
    const port = await occupied()
    const node = createHostNode({
      blockstore: new MemoryBlockstore(),
      datastore: new MemoryDatastore(),
      listen: [`/ip4/127.0.0.1/tcp/${port}`],
      dht: 'off',
    })
    const raw = await node.start().catch((e: unknown) => e)
    await node.stop().catch(() => {})
    expect((raw as Error).message).toContain('faultTolerance')
    const err = listenFailure(raw)
    expect(err).toBeInstanceOf(P2pcdnError)
    expect(err.message).toContain(
      `port ${port} of the --listen address /ip4/127.0.0.1/tcp/${port} is already in use (EADDRINUSE)`,
    )
    expect(err.message).toContain('Pass another with --listen')
    expect(err.message).not.toContain('faultTolerance')
    expect(err.message).not.toContain('\n')
  })
})
