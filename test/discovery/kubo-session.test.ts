/**
 * The paper's session discovery on Kubo, through its RPC API (issue 14, item 6). Against a stand-in
 * RPC server: the exact calls of a round, the CID check, errors that name the API's URL. Against
 * real Kubo daemons (`test` profile: loopback only, no bootstrap, no mDNS; telemetry off) and real
 * `p2pcdn host`s on 127.0.0.1, each node given one other as its bootstrap peer or one swarm connect:
 * Kubo's LAN DHT takes loopback peers (`Routing.LoopbackAddressesOnLanDHT`, set by the profile) and
 * speaks the hosts' `/ipfs/lan/kad/1.0.0`, so they form one DHT and meet as members of one session;
 * a host of another session stays out. One Kubo node is driven by the library, the other by the
 * built CLI (`p2pcdn host kubo-session`, `npm run build` first) as a process.
 */
import '../../src/utils/promise-with-resolvers.js'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type KuboSession, startKuboSession } from '../../src/discovery/kubo-session.js'
import { sessionBlock, sessionContent, sessionNumber } from '../../src/discovery/session.js'
import type { RunningHost } from '../../src/host/index.js'
import { type CliRun, finished, startCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'
import { eventually, startTestHost } from '../helpers/host.js'
import { type KuboDaemon, startKubo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'

const dirs = tempDirs()
const cleanups: Array<() => Promise<unknown>> = []

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  await dirs.cleanup()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A fake peer ID for the stand-in (any string is a peer ID to the sidecar). */
const SELF = '12D3KooWStandInSelf'
const OTHER = '12D3KooWStandInOther'

interface Call {
  command: string
  args: string[]
  params: URLSearchParams
  body: string
}

/** A stand-in Kubo RPC API: records calls, answers with `answer(command, args)` (JSON lines). */
async function standIn(answer: (command: string, args: string[]) => unknown[] | number) {
  const calls: Call[] = []
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const command = url.pathname.replace(/^\/api\/v0\//, '')
    let body = ''
    for await (const chunk of req) body += chunk
    const args = url.searchParams.getAll('arg')
    calls.push({ command, args, params: url.searchParams, body })
    const out = answer(command, args)
    if (typeof out === 'number') {
      res.writeHead(out, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ Message: `stand-in says ${out}`, Code: 0, Type: 'error' }))
      return
    }
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(out.map((line) => `${JSON.stringify(line)}\n`).join(''))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return { api, calls, close }
}

describe('Kubo session through a stand-in RPC API', () => {
  const sessions: KuboSession[] = []
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((session) => session.stop()))
  })

  it('adds the session file with the flags that make the host’s CID, provides it, connects to the others, skips itself', async () => {
    // A fixed clock: the round is for session n, whenever the test runs.
    const n = sessionNumber(Date.now(), 60_000)
    const now = () => n * 60_000 + 1_000
    const blocks = new Map<string, string>()
    for (const i of [n, n + 1]) {
      blocks.set(sessionContent(i, 'stand-in'), (await sessionBlock(i, 'stand-in')).cid.toString())
    }
    // `add` answers with the CID that Kubo makes of the content posted: the host's.
    const real = await standIn((command, args) => {
      if (command === 'id') return [{ ID: SELF }]
      if (command === 'add') return [{ Name: 'session', Hash: lastAddedCid(real.calls, blocks), Size: '49' }]
      if (command === 'routing/findprovs') {
        return [
          {
            Type: 4,
            Responses: [
              { ID: SELF, Addrs: ['/ip4/127.0.0.1/tcp/1'] },
              { ID: OTHER, Addrs: ['/ip4/127.0.0.1/tcp/2', '/ip4/127.0.0.1/tcp/3/ws'] },
            ],
          },
        ]
      }
      if (command === 'routing/provide') return [{ Type: 2, ID: args[0] }]
      return [{}]
    })
    cleanups.push(real.close)

    const session = await startKuboSession({
      api: `${real.api}/api/v0/`,
      name: 'stand-in',
      periodMs: 60_000,
      now,
    })
    sessions.push(session)
    const rounds: number[] = []
    const connected: string[] = []
    const errors: Error[] = []
    session.events.addEventListener('round', (event) => rounds.push(event.detail.n))
    session.events.addEventListener('connect', (event) => connected.push(event.detail.peerId))
    session.events.addEventListener('error', (event) => errors.push(event.detail))
    await eventually(async () => (rounds.length > 0 ? true : undefined), 5_000, 'a round')
    await eventually(
      async () => (real.calls.filter((c) => c.command === 'routing/provide').length >= 2 ? true : undefined),
      5_000,
      'both provides',
    )

    expect(session.peerId).toBe(SELF)
    expect(session.api).toBe(real.api)
    expect(errors).toEqual([])
    expect(session.members()).toEqual([OTHER])
    expect(connected).toEqual([OTHER])
    const adds = real.calls.filter((c) => c.command === 'add')
    expect(adds).toHaveLength(2)
    for (const add of adds) {
      expect(add.body).toMatch(/Member of P2P CDN Session: stand-in: \d+/)
      expect(Object.fromEntries(add.params)).toMatchObject({
        'cid-version': '0',
        'raw-leaves': 'false',
        pin: 'false',
      })
    }
    const provided = real.calls.filter((c) => c.command === 'routing/provide').flatMap((c) => c.args)
    expect(provided.sort()).toEqual(
      [blocks.get(sessionContent(n, 'stand-in')), blocks.get(sessionContent(n + 1, 'stand-in'))].sort(),
    )
    const connects = real.calls.filter((c) => c.command === 'swarm/connect')
    expect(connects).toHaveLength(1) // once for both lookups, never itself
    expect(connects[0]?.args).toEqual([
      `/ip4/127.0.0.1/tcp/2/p2p/${OTHER}`,
      `/ip4/127.0.0.1/tcp/3/ws/p2p/${OTHER}`,
    ])
    expect(real.calls.filter((c) => c.command === 'swarm/peering/add')[0]?.args).toEqual(connects[0]?.args)

    await session.stop()
    expect(session.members()).toEqual([])
    expect(real.calls.filter((c) => c.command === 'swarm/peering/rm').map((c) => c.args)).toEqual([[OTHER]])
  })
})

/** The host's CID of the content of the last `add` call's body. */
function lastAddedCid(calls: Call[], blocks: Map<string, string>): string {
  const body = calls.filter((c) => c.command === 'add').at(-1)?.body ?? ''
  for (const [content, cid] of blocks) if (body.includes(`${content}\r\n`)) return cid
  return 'QmUnknownContent'
}

describe('Kubo session errors', () => {
  it('rejects an API that is not a URL, naming the option', async () => {
    await expect(startKuboSession({ api: 'localhost:5001' })).rejects.toThrow(
      /`api` option .*e\.g\. http:\/\/127\.0\.0\.1:5001/,
    )
    await expect(startKuboSession({ api: 'ftp://127.0.0.1:5001' })).rejects.toThrow(
      /`api` option must be an http\(s\) URL/,
    )
  })

  it('names the API URL when Kubo is unreachable', async () => {
    const { api, close } = await standIn(() => [])
    await close() // nothing listens there now
    await expect(
      startKuboSession({ api: api.replace('http://', '/ip4/').replace(':', '/tcp/') }),
    ).rejects.toMatchObject({
      code: 'ERR_HOST_UNREACHABLE',
      message: expect.stringContaining(`Kubo's RPC API at ${api} is unreachable (ECONNREFUSED)`),
    })
  })

  it('names the API URL when the token is refused, and says what to do', async () => {
    const { api, close } = await standIn(() => 403)
    cleanups.push(close)
    await expect(startKuboSession({ api })).rejects.toMatchObject({
      code: 'ERR_HOST_AUTH',
      message: expect.stringMatching(
        /at http:\/\/127\.0\.0\.1:\d+ refused POST \/api\/v0\/id \(HTTP 403: stand-in says 403\)\. The node has API\.Authorizations set/,
      ),
    })
    await expect(startKuboSession({ api, token: 'bearer:s3cret' })).rejects.toThrow(/Check the token/)
  })

  it('says so when the address is not a Kubo RPC API', async () => {
    const { api, close } = await standIn(() => 404)
    cleanups.push(close)
    await expect(startKuboSession({ api })).rejects.toThrow(
      /answered HTTP 404 to POST \/api\/v0\/id: is it a Kubo RPC API/,
    )
  })

  it('reports a CID other than the host’s and does not provide it', async () => {
    const { api, calls, close } = await standIn((command) => {
      if (command === 'id') return [{ ID: SELF }]
      if (command === 'add') return [{ Name: 'session', Hash: 'bafkqaaa' }] // e.g. a node whose flags were ignored
      return []
    })
    cleanups.push(close)
    const session = await startKuboSession({ api, periodMs: 60_000 })
    const errors: string[] = []
    session.events.addEventListener('error', (event) => errors.push(event.detail.message))
    await eventually(async () => (errors.length >= 2 ? true : undefined), 5_000, 'two add errors')
    await session.stop()
    expect(errors[0]).toMatch(
      /^Could not add the block of session \d+ \(Qm\w+\): Kubo made bafkqaaa of the session file, not Qm\w+/,
    )
    expect(calls.map((c) => c.command)).not.toContain('routing/provide')
  })
})

describe.skipIf(kubo.skip)(kubo.title('session discovery between Kubo nodes and p2pcdn hosts'), () => {
  const PERIOD = 3_000
  const NAME = 'kubo-session-test'
  const TOKEN = 'bearer:kubo-session-test-secret'

  /** Peer IDs Kubo is connected to (`swarm/peers`). */
  async function swarmPeers(node: KuboDaemon): Promise<string[]> {
    const { Peers } = (await (await node.rpc('swarm/peers')).json()) as {
      Peers: Array<{ Peer: string }> | null
    }
    return (Peers ?? []).map((peer) => peer.Peer)
  }

  /** Peer IDs in Kubo's peering (`swarm/peering/ls`). */
  async function peering(node: KuboDaemon): Promise<string[]> {
    const { Peers } = (await (await node.rpc('swarm/peering/ls')).json()) as {
      Peers: Array<{ ID: string }> | null
    }
    return (Peers ?? []).map((peer) => peer.ID)
  }

  async function daemon(options: Parameters<typeof startKubo>[0] = {}): Promise<KuboDaemon> {
    const node = await startKubo(options)
    cleanups.push(async () => {
      await node.stop()
      await node.repo.remove()
    })
    return node
  }

  async function host(label: string, bootstrap: string[], name = NAME): Promise<RunningHost> {
    const { host } = await startTestHost(await dirs.make(label), {
      dht: 'lan',
      session: { name, periodMs: PERIOD },
      bootstrap,
    })
    cleanups.push(() => host.stop())
    return host
  }

  const tcp = (addrs: string[]) => addrs.filter((a) => !a.includes('/ws')).slice(0, 1)

  it('Kubo nodes and hosts, each given one other node, become connected members of one session; another session stays apart', async () => {
    // k1 (API.Authorizations: a token) ← h1 ← k2 (one swarm connect) ← h2; the stranger ← k1.
    const k1 = await daemon({ authorizations: { sidecar: { AuthSecret: TOKEN, AllowedPaths: ['/api/v0'] } } })
    await expect(startKuboSession({ api: k1.api, name: NAME })).rejects.toMatchObject({
      code: 'ERR_HOST_AUTH',
      message: expect.stringContaining(k1.api),
    })
    const h1 = await host('h1', k1.multiaddrs)
    const k2 = await daemon()
    const h1Tcp = tcp(h1.multiaddrs())
    expect((await k2.rpc('swarm/connect', [['arg', h1Tcp[0] as string]])).status).toBe(200)
    const h2 = await host('h2', k2.multiaddrs)
    const stranger = await host('stranger', k1.multiaddrs, 'another-cdn')

    const session = await startKuboSession({ api: k1.api, token: TOKEN, name: NAME, periodMs: PERIOD })
    cleanups.push(() => session.stop())
    const errors: string[] = []
    session.events.addEventListener('error', (event) => errors.push(event.detail.message))
    const cli = startCli([
      'host',
      'kubo-session',
      '--api',
      k2.api,
      '--session',
      NAME,
      '--session-period',
      String(PERIOD),
      '--json',
    ])
    const cliDone: Promise<CliRun> = finished(cli)
    cleanups.push(async () => {
      if (cli.exitCode === null) cli.kill('SIGKILL')
      await cliDone
    })
    let cliOut = ''
    cli.stdout?.on('data', (d) => {
      cliOut += d
    })
    const cliEvents = () =>
      cliOut
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { event: string; peerId: string })

    const group = { k1: k1.peerId, k2: k2.peerId, h1: h1.peerId, h2: h2.peerId }
    const others = (self: string) => Object.values(group).filter((peer) => peer !== self)
    const missing = async (): Promise<string[]> => {
      const lacks: string[] = []
      const check = (who: string, have: string[], self: string) => {
        for (const peer of others(self)) if (!have.includes(peer)) lacks.push(`${who} lacks ${peer}`)
      }
      check('k1 members', session.members(), k1.peerId)
      check('k1 swarm', await swarmPeers(k1), k1.peerId)
      check('k1 peering', await peering(k1), k1.peerId)
      check(
        'k2 (CLI) members',
        cliEvents()
          .filter((e) => e.event === 'member')
          .map((e) => e.peerId),
        k2.peerId,
      )
      check('k2 swarm', await swarmPeers(k2), k2.peerId)
      check('h1 connected members', h1.status().session.connected, h1.peerId)
      check('h2 connected members', h2.status().session.connected, h2.peerId)
      return lacks
    }
    let lacking: string[] = []
    await eventually(
      async () => {
        lacking = await missing()
        return lacking.length === 0 ? true : undefined
      },
      45_000,
      'every Kubo node and host to be a connected member of every other',
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${lacking.join('; ')}; k1 errors: ${errors.slice(-5).join(' | ')}`)
    })
    expect(cliEvents()[0]).toMatchObject({
      event: 'start',
      peerId: k2.peerId,
      session: NAME,
      periodMs: PERIOD,
    })

    // Two more session boundaries: the members stay; the stranger, a member of another session,
    // though connected to k1 (its bootstrap peer) and in the same DHT, is nobody's member.
    const start = sessionNumber(Date.now(), PERIOD)
    await eventually(
      async () => (sessionNumber(Date.now(), PERIOD) >= start + 2 ? true : undefined),
      3 * PERIOD,
      'two boundaries',
    )
    await sleep(PERIOD / 2)
    expect(await missing()).toEqual([])
    expect(session.members()).not.toContain(stranger.peerId)
    expect(await peering(k1)).not.toContain(stranger.peerId)
    expect(await peering(k2)).not.toContain(stranger.peerId)
    expect(cliEvents().map((e) => e.peerId)).not.toContain(stranger.peerId)
    for (const h of [h1, h2]) expect(h.status().session.members).not.toContain(stranger.peerId)
    expect(stranger.status().session.members).toEqual([])

    // Ctrl-C: the CLI stops, exit 0, and takes its members out of k2's peering.
    cli.kill('SIGINT')
    const run = await cliDone
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(`p2pcdn host kubo-session: Kubo node ${k2.peerId} at ${k2.api}`)
    expect(run.stderr).toContain('SIGINT, stopping')
    expect(await peering(k2)).toEqual([])
    await session.stop()
    expect(await peering(k1)).toEqual([])
  }, 90_000)

  it('the CLI: a refused token and an unreachable API are one line naming the URL (exit 4)', async () => {
    const k = await daemon({ authorizations: { sidecar: { AuthSecret: TOKEN, AllowedPaths: ['/api/v0'] } } })
    const refused = await finished(
      startCli(['host', 'kubo-session', '--api', k.api, '--token-env', 'P2PCDN_TEST_KUBO_TOKEN'], {
        env: { P2PCDN_TEST_KUBO_TOKEN: 'bearer:wrong' },
      }),
    )
    expect(refused.code).toBe(4)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toContain(`p2pcdn: Kubo's RPC API at ${k.api} refused POST /api/v0/id (HTTP 403`)
    const { api, close } = await standIn(() => [])
    await close()
    const unreachable = await finished(startCli(['host', 'kubo-session', '--api', api]))
    expect(unreachable.code).toBe(4)
    expect(unreachable.stderr.trim().split('\n')).toEqual([
      `p2pcdn: Kubo's RPC API at ${api} is unreachable (ECONNREFUSED). Check the address (e.g. http://127.0.0.1:5001) and that \`ipfs daemon\` is running.`,
    ])
    const bad = await finished(startCli(['host', 'kubo-session', '--api', k.api, '--session-period', 'soon']))
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim()).toBe(
      'p2pcdn: The `--session-period` option must be a positive number of milliseconds, got: "soon".',
    )
  })
})
