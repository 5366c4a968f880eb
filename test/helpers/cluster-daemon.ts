/**
 * A real IPFS Cluster for the interop tests: N `ipfs-cluster-service` peers with CRDT consensus,
 * each with its own Kubo (test/helpers/kubo-daemon.ts), and `ipfs-cluster-follow` peers that
 * follow it. test/helpers/peers.ts finds the binaries; scripts/install-ipfs-peers.sh builds them.
 *
 * Nothing leaves 127.0.0.1: every listen address (cluster libp2p, REST API, Pinning Service API,
 * IPFS proxy) is 127.0.0.1 port 0 (the daemons print the ports they got), each peer's connector
 * points at its own Kubo's RPC API, mDNS is off (`mdns_interval` 0), a peer bootstraps only to
 * the peers started before it, metrics and tracing are off, the peers share a generated
 * private-network secret, and the binaries are the install script's build without go-libp2p's
 * NAT port mapping (whose UPnP/NAT-PMP discovery would contact the LAN gateway; cluster has no
 * setting for it), which {@link startCluster} checks by its build id.
 *
 * Cluster's intervals are minutes long by default; here they are a second or two (metrics,
 * pings, CRDT rebroadcast, pubsub heartbeat), so pins show as `pinned` and a stopped peer shows
 * as down within seconds.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { type KuboDaemon, startKubo, stopProcess } from './kubo-daemon.js'
import { clusterCtl, clusterFollow, clusterService } from './peers.js'

const run = promisify(execFile)

/**
 * Every daemon started here that is still running. A test process that exits without its
 * `afterAll` (an uncaught error, a timeout) kills them on its way out rather than leaving them.
 */
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})
function track(child: ChildProcess): ChildProcess {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}
const startTrackedKubo = async (options?: Parameters<typeof startKubo>[0]) => {
  const daemon = await startKubo(options)
  track(daemon.process)
  return daemon
}

/**
 * The environment of every cluster program: this process's without `CLUSTER_*` variables (each
 * overrides a service.json setting, a listen address included) and without `IPFS_CLUSTER_PATH`.
 */
function clusterEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(IPFS_)?CLUSTER_/.test(key)),
  )
  return { ...env, ...extra }
}

/** The build id scripts/install-ipfs-peers.sh gives its cluster binaries (`--version`: 1.1.6+git<id>). */
export const CLUSTER_TEST_BUILD = 'p2pcdn-no-natpmp'

type Json = Record<string, unknown>

export interface ClusterPeer {
  /** Its `peername`, `cluster-<i>`. */
  name: string
  /** Cluster peer ID. */
  id: string
  /** `IPFS_CLUSTER_PATH`: service.json, identity.json, the datastore. */
  dir: string
  kubo: KuboDaemon
  /** REST API base URL, e.g. `http://127.0.0.1:40123`. */
  restApi: string
  /** Pinning Service API base URL. */
  pinsvcApi: string
  /** Cluster libp2p multiaddrs with `/p2p/<id>`. */
  multiaddrs: string[]
  process: ChildProcess
  /** What the daemon printed so far (stdout and stderr). */
  log(): string
  /**
   * A REST API request with the cluster's credentials, its answer parsed: NDJSON (`GET /peers`)
   * as an array, or as one object when it is one line.
   */
  api<T = unknown>(pathAndQuery: string, init?: RequestInit): Promise<T>
  /** `ipfs-cluster-ctl --host <REST API> --basic-auth … <args>`; resolves to stdout. */
  ctl(args: string[]): Promise<string>
  /** Stops the cluster daemon, leaving its Kubo running. */
  stopDaemon(): Promise<void>
  /**
   * Starts this peer's Kubo again (after `kubo.stop()`) on the same repo and RPC port, so the
   * cluster daemon finds it where its config says; `kubo` is the new daemon afterwards.
   */
  restartKubo(): Promise<void>
}

export interface TestCluster {
  peers: ClusterPeer[]
  /** Followers started with {@link startFollower}; {@link TestCluster.stop} stops them too. */
  followers: ClusterFollower[]
  /** The private-network secret (`cluster.secret`). */
  secret: string
  /** `user:password` of both APIs' `basic_auth_credentials`. */
  credentials: string
  /** Resolves once every running peer's `GET /peers` lists `count` peers (default: all). */
  waitForPeers(count?: number, timeoutMs?: number): Promise<void>
  /** Stops every peer, follower and Kubo, and removes their folders. */
  stop(): Promise<void>
}

export interface ClusterFollower {
  /** The cluster name it was started with (`ipfs-cluster-follow <name> run`). */
  name: string
  /** Its config folder (`--config`): `<dir>/<name>/service.json`, identity.json, datastore. */
  dir: string
  /** Its cluster peer ID (from identity.json). */
  id: string
  kubo: KuboDaemon
  /** The URL the configuration template was served from (the `--init` argument). */
  templateUrl: string
  process: ChildProcess
  log(): string
  /** `ipfs-cluster-follow <name> <args>` against the running follower; resolves to stdout. */
  follow(args: string[]): Promise<string>
  stop(): Promise<void>
}

/** Shortened intervals and 127.0.0.1-only addresses on top of the service.json `init` wrote. */
function testConfig(
  cfg: Json,
  options: { peername: string; secret: string; kubo: KuboDaemon; credentials: string },
): Json {
  const section = (parent: Json, key: string) => parent[key] as Json
  const kuboMaddr = `/ip4/127.0.0.1/tcp/${new URL(options.kubo.api).port}`
  const [user = '', ...rest] = options.credentials.split(':')
  const auth = { [user]: rest.join(':') }

  const cluster = section(cfg, 'cluster')
  Object.assign(cluster, {
    peername: options.peername,
    secret: options.secret,
    listen_multiaddress: ['/ip4/127.0.0.1/tcp/0'],
    enable_relay_hop: false,
    mdns_interval: '0s',
    monitor_ping_interval: '1s',
    peer_watch_interval: '1s',
    state_sync_interval: '10s',
    dial_peer_timeout: '2s',
  })
  Object.assign(section(cluster, 'pubsub'), { heartbeat_interval: '250ms' })
  Object.assign(section(section(cfg, 'consensus'), 'crdt'), {
    trusted_peers: ['*'],
    rebroadcast_interval: '1s',
  })
  const api = section(cfg, 'api')
  Object.assign(section(api, 'restapi'), {
    http_listen_multiaddress: '/ip4/127.0.0.1/tcp/0',
    basic_auth_credentials: auth,
  })
  Object.assign(section(api, 'pinsvcapi'), {
    http_listen_multiaddress: '/ip4/127.0.0.1/tcp/0',
    basic_auth_credentials: auth,
  })
  Object.assign(section(api, 'ipfsproxy'), {
    listen_multiaddress: '/ip4/127.0.0.1/tcp/0',
    node_multiaddress: kuboMaddr,
  })
  Object.assign(section(section(cfg, 'ipfs_connector'), 'ipfshttp'), {
    node_multiaddress: kuboMaddr,
    connect_swarms_delay: '1s',
    pin_timeout: '30s',
  })
  Object.assign(section(section(cfg, 'monitor'), 'pubsubmon'), { check_interval: '1s' })
  for (const informer of Object.values(section(cfg, 'informer')) as Json[]) informer.metric_ttl = '2s'
  const observations = section(cfg, 'observations')
  Object.assign(section(observations, 'metrics'), { enable_stats: false })
  Object.assign(section(observations, 'tracing'), {
    enable_tracing: false,
    jaeger_agent_endpoint: '/ip4/127.0.0.1/udp/6831',
  })
  return cfg
}

/** Collects a child's output; `until` resolves when a pattern appears, rejects when it exits first. */
function watch(child: ChildProcess, what: string) {
  let out = ''
  const listeners = new Set<() => void>()
  const onData = (d: Buffer) => {
    out += d
    for (const l of listeners) l()
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  child.once('exit', () => {
    for (const l of listeners) l()
  })
  const until = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out)
        if (m) return done(() => resolve(m))
        if (child.exitCode !== null || child.signalCode !== null) {
          done(() =>
            reject(
              new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}`),
            ),
          )
        }
      }
      const timer = setTimeout(
        () => done(() => reject(new Error(`${what}: no ${pattern} within ${timeoutMs} ms:\n${out}`))),
        timeoutMs,
      )
      const done = (settle: () => void) => {
        clearTimeout(timer)
        listeners.delete(check)
        settle()
      }
      listeners.add(check)
      check()
    })
  return { log: () => out, until }
}

const maddrToUrl = (maddr: string) => {
  const m = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(maddr)
  if (!m) throw new Error(`not a TCP multiaddr: ${maddr}`)
  return `http://${m[1]}:${m[2]}`
}

/** A streamed endpoint's answer (`GET /peers`) as an array: one line of NDJSON parses to one object. */
const list = (value: unknown) =>
  (Array.isArray(value) ? value : value ? [value] : []) as Array<{
    id: string
    error?: string
  }>

/** `GET /peers` and other streamed endpoints answer NDJSON, the others one JSON value. */
function parseJson(text: string): unknown {
  const trimmed = text.trim()
  if (trimmed === '') return null
  try {
    return JSON.parse(trimmed)
  } catch {
    return trimmed.split('\n').map((line) => JSON.parse(line))
  }
}

let checkedBuild: Promise<void> | undefined
/** Refuses a cluster binary without the install script's build id (one with NAT port mapping). */
function checkBuild(): Promise<void> {
  checkedBuild ??= (async () => {
    for (const program of [clusterService, clusterFollow]) {
      if (!program.ok) continue
      const { stdout } = await run(program.path, ['--version'])
      if (!stdout.includes(CLUSTER_TEST_BUILD)) {
        throw new Error(
          `${program.path} is not the test build (${stdout.trim()}): a stock IPFS Cluster runs UPnP/NAT-PMP discovery against the LAN gateway. Run scripts/install-ipfs-peers.sh and use its binaries.`,
        )
      }
    }
  })()
  return checkedBuild
}

interface PeerSetup {
  name: string
  dir: string
  kubo: KuboDaemon
}

async function initPeer(i: number, secret: string, credentials: string): Promise<PeerSetup> {
  const name = `cluster-${i}`
  const [dir, kubo] = await Promise.all([
    fs.mkdtemp(path.join(os.tmpdir(), `p2pcdn-${name}-`)),
    startTrackedKubo(),
  ])
  try {
    await run(clusterService.path, ['init', '--consensus', 'crdt'], {
      env: clusterEnv({ IPFS_CLUSTER_PATH: dir, CLUSTER_SECRET: secret }),
    })
    const file = path.join(dir, 'service.json')
    const cfg = JSON.parse(await fs.readFile(file, 'utf8')) as Json
    await fs.writeFile(
      file,
      JSON.stringify(testConfig(cfg, { peername: name, secret, kubo, credentials }), null, 2),
    )
  } catch (err) {
    await kubo.stop()
    await kubo.repo.remove()
    await fs.rm(dir, { recursive: true, force: true })
    throw err
  }
  return { name, dir, kubo }
}

async function startPeer(setup: PeerSetup, credentials: string, bootstrap: string[]): Promise<ClusterPeer> {
  const { name, dir, kubo } = setup
  const identity = JSON.parse(await fs.readFile(path.join(dir, 'identity.json'), 'utf8')) as { id: string }
  const child = track(
    spawn(
      clusterService.path,
      ['daemon', ...(bootstrap.length > 0 ? ['--bootstrap', bootstrap.join(',')] : [])],
      { env: clusterEnv({ IPFS_CLUSTER_PATH: dir }), stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  )
  const output = watch(child, `ipfs-cluster-service ${name}`)
  try {
    const rest = await output.until(/RESTAPI \(HTTP[^)]*\): (\/ip4\/\S+)/, 60_000)
    const pinsvc = await output.until(/PINSVCAPI \(HTTP[^)]*\): (\/ip4\/\S+)/, 60_000)
    await output.until(/\*\* IPFS Cluster is READY \*\*/, 60_000)
    const restApi = maddrToUrl(rest[1] ?? '')
    const authorization = `Basic ${Buffer.from(credentials).toString('base64')}`
    const api = async <T>(pathAndQuery: string, init: RequestInit = {}): Promise<T> => {
      const res = await fetch(`${restApi}${pathAndQuery}`, {
        ...init,
        headers: { Authorization: authorization, ...(init.headers as Record<string, string>) },
      })
      const text = await res.text()
      if (!res.ok)
        throw new Error(`${name}: ${init.method ?? 'GET'} ${pathAndQuery}: HTTP ${res.status} ${text}`)
      return parseJson(text) as T
    }
    const id = await api<{ addresses?: string[] }>('/id')
    const peer: ClusterPeer = {
      name,
      id: identity.id,
      dir,
      kubo,
      restApi,
      pinsvcApi: maddrToUrl(pinsvc[1] ?? ''),
      multiaddrs: (id.addresses ?? []).filter((a) => a.startsWith('/ip4/127.0.0.1/')),
      process: child,
      log: output.log,
      api,
      ctl: async (args) =>
        (
          await run(
            clusterCtl.path,
            ['--host', rest[1] ?? '', '--basic-auth', credentials, '--force-http', ...args],
            { env: clusterEnv({}) },
          )
        ).stdout,
      stopDaemon: () => stopProcess(child),
      restartKubo: async () => {
        const port = new URL(setup.kubo.api).port
        await setup.kubo.stop()
        setup.kubo = await startTrackedKubo({
          repo: setup.kubo.repo,
          configure: (repo) => repo.config('Addresses.API', `/ip4/127.0.0.1/tcp/${port}`),
        })
        peer.kubo = setup.kubo
      },
    }
    return peer
  } catch (err) {
    await stopProcess(child)
    throw err
  }
}

/**
 * Starts a cluster of `peers` (default 2) `ipfs-cluster-service` peers, CRDT consensus, each with
 * its own Kubo; the first starts alone, each next one with `--bootstrap` to those before it.
 * Resolves once every peer lists all of them. Both APIs take `credentials` (basic auth, or a JWT
 * from `POST /token`).
 */
export async function startCluster(
  options: { peers?: number; credentials?: string } = {},
): Promise<TestCluster> {
  await checkBuild()
  const count = options.peers ?? 2
  const secret = randomBytes(32).toString('hex')
  const credentials = options.credentials ?? `admin:${randomBytes(12).toString('hex')}`
  const setups: PeerSetup[] = []
  const peers: ClusterPeer[] = []
  const followers: ClusterFollower[] = []
  const stop = async () => {
    await Promise.all(followers.map((f) => f.stop()))
    await Promise.all(peers.map((p) => p.stopDaemon()))
    await Promise.all(
      setups.map(async (s) => {
        await s.kubo.stop()
        await s.kubo.repo.remove()
        await fs.rm(s.dir, { recursive: true, force: true })
      }),
    )
  }
  const waitForPeers = async (want = count, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const running = peers.filter((p) => p.process.exitCode === null && p.process.signalCode === null)
      const seen = await Promise.all(running.map((p) => p.api<unknown>('/peers').then(list, () => [])))
      if (seen.every((peers) => peers.filter((x) => !x.error).length >= want)) return
      if (Date.now() > deadline) {
        throw new Error(
          `the cluster peers did not see ${want} peers within ${timeoutMs} ms: ${JSON.stringify(seen)}`,
        )
      }
      await sleep(200)
    }
  }
  try {
    const inits = await Promise.allSettled(
      Array.from({ length: count }, (_, i) => initPeer(i, secret, credentials)),
    )
    for (const r of inits) if (r.status === 'fulfilled') setups.push(r.value)
    const failed = inits.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
    // One after the other, each bootstrapping to all started before it: with only loopback
    // addresses the peers' DHT cannot find one another, so each must be dialled once directly.
    for (const setup of setups)
      peers.push(
        await startPeer(
          setup,
          credentials,
          peers.flatMap((p) => p.multiaddrs),
        ),
      )
    await waitForPeers()
  } catch (err) {
    await stop()
    throw err
  }
  return { peers, followers, secret, credentials, waitForPeers, stop }
}

/**
 * The configuration template a publisher hosts for volunteers (`ipfs-cluster-follow <name> run
 * --init <url>`): the first peer's service.json with the cluster's peers' addresses, only its own
 * peers trusted (by ID), follower mode, no API credentials; the README's jq command does the same.
 */
export async function followerTemplate(cluster: TestCluster): Promise<Json> {
  const first = cluster.peers[0]
  if (!first) throw new Error('the cluster has no peers')
  const cfg = JSON.parse(await fs.readFile(path.join(first.dir, 'service.json'), 'utf8')) as Json
  const section = (parent: Json, key: string) => parent[key] as Json
  Object.assign(section(cfg, 'cluster'), {
    peername: '',
    peer_addresses: cluster.peers.flatMap((p) => p.multiaddrs),
    follower_mode: true,
  })
  Object.assign(section(section(cfg, 'consensus'), 'crdt'), {
    trusted_peers: cluster.peers.map((p) => p.id),
  })
  const api = section(cfg, 'api')
  for (const key of ['restapi', 'pinsvcapi']) section(api, key).basic_auth_credentials = null
  return cfg
}

/**
 * Starts an `ipfs-cluster-follow` peer with its own Kubo, initialised from a template served on
 * 127.0.0.1 (as a publisher would serve it over HTTPS). The follower's Kubo is given with
 * `CLUSTER_IPFSHTTP_NODEMULTIADDRESS`, as a volunteer would when Kubo is not on port 5001, and its
 * name with `CLUSTER_PEERNAME` (`peername`, default `volunteer-1`; without it a follower takes the
 * machine's host name).
 */
export async function startFollower(
  cluster: TestCluster,
  options: { name?: string; peername?: string; template?: Json } = {},
): Promise<ClusterFollower> {
  await checkBuild()
  const name = options.name ?? 'p2pcdn-site'
  const template = JSON.stringify(options.template ?? (await followerTemplate(cluster)))
  const server = http.createServer((req, res) => {
    if (req.url !== '/service.json') return void res.writeHead(404).end()
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(template)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const templateUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/service.json`
  const [dir, kubo] = await Promise.all([
    fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-follow-')),
    startTrackedKubo(),
  ])
  const env = clusterEnv({
    CLUSTER_IPFSHTTP_NODEMULTIADDRESS: `/ip4/127.0.0.1/tcp/${new URL(kubo.api).port}`,
    CLUSTER_PEERNAME: options.peername ?? 'volunteer-1',
  })
  const child = track(
    spawn(clusterFollow.path, ['--config', dir, name, 'run', '--init', templateUrl], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
  const output = watch(child, `ipfs-cluster-follow ${name}`)
  const stop = async () => {
    await stopProcess(child)
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await kubo.stop()
    await kubo.repo.remove()
    await fs.rm(dir, { recursive: true, force: true })
  }
  try {
    await output.until(/\*\* IPFS Cluster is READY \*\*/, 90_000)
    const identity = JSON.parse(await fs.readFile(path.join(dir, name, 'identity.json'), 'utf8')) as {
      id: string
    }
    const follower: ClusterFollower = {
      name,
      dir,
      id: identity.id,
      kubo,
      templateUrl,
      process: child,
      log: output.log,
      follow: async (args) =>
        (await run(clusterFollow.path, ['--config', dir, name, ...args], { env })).stdout,
      stop,
    }
    cluster.followers.push(follower)
    return follower
  } catch (err) {
    await stop()
    throw err
  }
}
