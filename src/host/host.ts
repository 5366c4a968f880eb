import '../utils/promise-with-resolvers.js'
import { readFile } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { CODE_P2P, type Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'
import { type SessionDiscovery, startSessionDiscovery } from '../discovery/session.js'
import { errors } from '../errors.js'
import { followedNames } from '../ipns/site-record.js'
import { hostUrls } from '../utils/gateway-url.js'
import { packageVersion } from '../version.js'
import { ingestCar } from './car-upload.js'
import { type Following, type FollowOptions, forgetUnfollowed, startFollowing } from './follow.js'
import { HostPins } from './host-pins.js'
import type { HostOptions, HostStatus, RunningHost } from './host-types.js'
import { createGateway } from './http/gateway.js'
import { HostMetrics } from './http/metrics.js'
import { createRouter } from './http/router.js'
import { httpUrlToMultiaddr, isHttpMultiaddr, listeningHttpMultiaddrs } from './http-multiaddrs.js'
import { IpnsStore } from './ipns-store.js'
import { checkHttpPort, listenFailure, planListen } from './listen-ports.js'
import { createHostNode, DEFAULT_LISTEN, type HostHelia, type ServiceFactories } from './node.js'
import { PinRequests } from './pin-requests.js'
import { type PinProviding, providePins } from './provide-pins.js'
import { ProviderFinder } from './providers.js'
import { defaultRepoPath, openRepo, writeApiFile } from './repo.js'
import { TokenVerifier } from './tokens.js'

/** Default address of the host's HTTP port (gateway, Pinning Service API, CAR upload). */
export const DEFAULT_HTTP = '127.0.0.1:4080'
/** How often a host puts the IPNS records it holds into the DHT again (DHT peers drop values after 1-2 days). */
export const IPNS_REPUBLISH_MS = 4 * 3_600_000

export type { HostOptions, HostStatus, RunningHost } from './host-types.js'

function parseHttp(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value)
  const port = match ? Number(match[3]) : Number.NaN
  if (!match || !(port >= 0 && port <= 65535)) {
    throw errors.optionInvalid('http', value, 'must be host:port, e.g. 127.0.0.1:4080 or 0.0.0.0:0')
  }
  return { host: (match[1] ?? match[2]) as string, port }
}

async function autoTlsServices(): Promise<ServiceFactories> {
  const [{ autoTLS }, { keychain }, { http }, { autoNAT }] = await Promise.all([
    import('@ipshipyard/libp2p-auto-tls'),
    import('@libp2p/keychain'),
    import('@libp2p/http'),
    import('@libp2p/autonat'),
  ])
  return { keychain: keychain(), http: http(), autoNAT: autoNAT(), autoTLS: autoTLS() } as ServiceFactories
}

/** What `startFollowing` takes from the host's options. */
function followOptions(options: HostOptions, names: string[], from: string[]): FollowOptions {
  return {
    names,
    from,
    ...(options.followIntervalMs ? { intervalMs: options.followIntervalMs } : {}),
    ...(options.followGraceMs !== undefined ? { graceMs: options.followGraceMs } : {}),
    fetchTimeoutMs: options.pinTimeoutMs ?? 600_000,
  }
}

/** The `--tls-cert`/`--tls-key` PEM files, read; undefined without them. Errors name the flags. */
async function readTls(options: HostOptions): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw errors.optionInvalid(
      options.tlsCert === undefined ? 'tls-cert' : 'tls-key',
      null,
      'must be given together with the other (--tls-cert and --tls-key, PEM files)',
    )
  }
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
    try {
      return { cert: await readFile(options.tlsCert), key: await readFile(options.tlsKey) }
    } catch (err) {
      throw errors.optionInvalid(
        'tls-cert/--tls-key',
        (err as NodeJS.ErrnoException).path ?? options.tlsCert,
        `must name readable PEM files (${(err as NodeJS.ErrnoException).code})`,
      )
    }
  }
  return undefined
}

/**
 * Starts a host node: opens (or creates) the repo, starts Helia and libp2p, resumes interrupted
 * pins, starts session discovery and the HTTP port. Resolves once everything listens.
 */
export async function startHost(options: HostOptions = {}): Promise<RunningHost> {
  const http = parseHttp(options.http ?? DEFAULT_HTTP)
  const tls = await readTls(options)
  const follow = followedNames(options.follow ?? [])
  const followFrom = hostUrls(options.followFrom ?? [], 'followFrom')
  const announceHttp = options.announceHttp?.map(httpUrlToMultiaddr)
  const repo = await openRepo(options.repo ?? defaultRepoPath(), { storageMax: options.storageMax ?? 0 })
  // The HTTP gateway's multiaddrs, known once its port listens; libp2p announces them from then on.
  let httpAddrs: Multiaddr[] = []
  let providing: PinProviding | undefined
  let republishing: NodeJS.Timeout | undefined
  let helia: HostHelia | undefined
  let server: Server | undefined
  let pins: PinRequests | undefined
  let discovery: SessionDiscovery | undefined
  let following: Following | undefined
  try {
    // Ports first: a taken one is named with its flag; a taken default libp2p port is swapped.
    await checkHttpPort(http.host, http.port, options.http ?? DEFAULT_HTTP)
    const ports = await planListen(options.listen ?? DEFAULT_LISTEN, {
      fallback: options.listen === undefined,
    })
    helia = createHostNode({
      blockstore: repo.blockstore,
      datastore: repo.datastore,
      listen: ports.listen,
      ...(options.announce ? { announce: options.announce } : {}),
      ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
      dht: options.dht ?? 'lan',
      ...(tls ? { tls } : {}),
      ...(options.autoTls ? { services: await autoTlsServices() } : {}),
      extraAddresses: () => httpAddrs,
    })
    try {
      await helia.start()
    } catch (err) {
      throw listenFailure(err)
    }
    const node = helia
    const delegates = () =>
      node.libp2p
        .getMultiaddrs()
        .filter((addr) => !isHttpMultiaddr(addr))
        .map(String)
    const dhtOn = (options.dht ?? 'lan') !== 'off'
    // What the gateway may serve, remembered per CID: a pinned CID stays servable until an unpin,
    // which clears the memo (blocks of the unpinned DAG may no longer be covered).
    const servable = new Map<string, true>()
    const hostPins = new HostPins(repo.datastore.db, repo.blockstore)
    pins = new PinRequests({
      helia: node,
      datastore: repo.datastore,
      pins: hostPins,
      delegates,
      onUnpin: (cid) => {
        servable.clear()
        providing?.unpinned(cid)
      },
      onChange: (status) => {
        if (status.status === 'pinned') providing?.pinned(status.pin.cid)
      },
      concurrency: options.pinConcurrency ?? 4,
      pinTimeoutMs: options.pinTimeoutMs ?? 600_000,
    })
    await pins.start()
    const requests = pins
    if (options.session !== false && (options.dht ?? 'lan') !== 'off') {
      const session = options.session ?? {}
      discovery = startSessionDiscovery(
        { libp2p: node.libp2p, routing: node.routing, blockstore: node.blockstore },
        {
          ...(session.name !== undefined ? { name: session.name } : {}),
          ...(session.periodMs ? { periodMs: session.periodMs } : {}),
        },
      )
    }
    const sessionDiscovery = discovery
    const isServable = async (cid: CID) => {
      const key = cid.toString()
      if (servable.has(key)) return true
      const yes = await hostPins.isPinnedBlock(cid)
      if (yes) {
        if (servable.size >= 100_000) servable.clear()
        servable.set(key, true)
      }
      return yes
    }
    const metrics: HostMetrics = new HostMetrics({
      pins: () => requests.counts(),
      storageBytes: () => repo.blockstore.used,
      storageQuotaBytes: () => repo.blockstore.quota,
      peers: () => node.libp2p.getPeers().length,
      sessionMembers: () => sessionDiscovery?.members().length ?? 0,
    })
    const ipns = new IpnsStore({ datastore: repo.datastore, ...(dhtOn ? { routing: node.routing } : {}) })
    let url = ''
    const status = (): HostStatus => {
      const members = sessionDiscovery?.members().map(String) ?? []
      const connected = new Set(node.libp2p.getPeers().map(String))
      return {
        version: packageVersion(),
        peerId: node.libp2p.peerId.toString(),
        multiaddrs: delegates(),
        http: url,
        repo: repo.path,
        pins: requests.counts(),
        storage: { used: repo.blockstore.used, quota: repo.blockstore.quota },
        peers: connected.size,
        session: {
          enabled: sessionDiscovery !== undefined,
          name: options.session ? (options.session.name ?? null) : null,
          members,
          connected: members.filter((peer) => connected.has(peer)),
        },
        follow: following?.status() ?? [],
      }
    }
    const tokens = new TokenVerifier(repo.path)
    const providers = new ProviderFinder({
      self: () => ({ id: node.libp2p.peerId.toString(), addrs: node.libp2p.getMultiaddrs() }),
      isServable,
      ...(dhtOn ? { routing: node.routing } : {}),
    })
    const router = createRouter({
      tokens,
      routing: { ipns, tokens, providers },
      pins: requests,
      metrics,
      gateway: createGateway({
        blockstore: repo.blockstore,
        isServable,
        // Every block was hashed on its way in (CAR upload, bitswap); trustless clients verify too.
        verifyBlocks: false,
        onResponse: ({ bytes, format }) => metrics.bytesServed.inc({ format }, bytes),
      }),
      ingestCar: async (body, previous) => {
        const dag = previous ? await hostPins.dagOf(previous) : undefined
        return ingestCar(body, { blockstore: repo.blockstore, ...(dag ? { previous: dag } : {}) })
      },
      missingBlocks: async (cids) => {
        // A pinned block is here (pins are written once a DAG is whole; gc keeps them): one LevelDB
        // read answers for those, and only the rest are looked up in the store.
        const pinned = await hostPins.arePinnedBlocks(cids)
        const missing: CID[] = []
        for (const [i, cid] of cids.entries()) {
          if (!pinned[i] && !(await repo.blockstore.has(cid))) missing.push(cid)
        }
        return missing
      },
      status: async () => status(),
      quotaFull: () =>
        repo.blockstore.quota > 0 && repo.blockstore.used >= repo.blockstore.quota
          ? `This host's storage quota is full (${repo.blockstore.used} of ${repo.blockstore.quota} bytes). Ask its operator to raise --storage-max.`
          : undefined,
    })
    server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, router) : createHttpServer(router)
    server.requestTimeout = 0
    const listening = server
    await new Promise<void>((resolve, reject) => {
      listening.once('error', (err) =>
        reject(errors.listenUnavailable(`the HTTP port ${options.http ?? DEFAULT_HTTP}`, '--http', err)),
      )
      listening.listen(http.port, http.host, () => resolve())
    })
    const address = listening.address() as AddressInfo
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address
    url = `${tls ? 'https' : 'http'}://${hostPart}:${address.port}`
    httpAddrs = announceHttp ?? listeningHttpMultiaddrs(address.address, address.port, tls !== undefined)
    // Into the peer record at once (identify tells connected peers), not at libp2p's next update.
    const self = node.libp2p.peerId
    await node.libp2p.peerStore.patch(self, {
      multiaddrs: node.libp2p.getMultiaddrs().map((a) => a.decapsulateCode(CODE_P2P)),
    })
    if (dhtOn) {
      republishing = setInterval(() => void ipns.republish().catch(() => {}), IPNS_REPUBLISH_MS).unref()
      providing = providePins(node.routing)
      providing.start(() =>
        requests.list(undefined, { status: ['pinned'], limit: 1e9 }).results.map((r) => r.pin.cid),
      )
    }
    // A site taken out of the follow list is unpinned (every version) and forgotten.
    await forgetUnfollowed({ datastore: repo.datastore, pins: requests }, follow)
    if (follow.length > 0) {
      following = await startFollowing(
        {
          datastore: repo.datastore,
          ipns,
          pins: requests,
          hostPins,
          ingestCar: async (body, previous, signal) => {
            const dag = previous ? await hostPins.dagOf(previous) : undefined
            return ingestCar(body, { blockstore: repo.blockstore, signal, ...(dag ? { previous: dag } : {}) })
          },
          libp2p: node.libp2p,
          peers: () => [...(sessionDiscovery?.members() ?? []), ...node.libp2p.getPeers()],
          selfUrl: () => url,
        },
        followOptions(options, follow, followFrom),
      )
      for (const name of following.names()) ipns.follow(name)
    }
    await writeApiFile(repo.path, { pid: process.pid, url })
    let stopped: Promise<void> | undefined
    return {
      helia: node,
      repo,
      pins: requests,
      discovery: sessionDiscovery,
      ipns,
      following,
      peerId: node.libp2p.peerId.toString(),
      url,
      warnings: ports.warnings,
      multiaddrs: delegates,
      httpMultiaddrs: () => httpAddrs.map(String),
      status,
      stop() {
        stopped ??= (async () => {
          await new Promise<void>((resolve) => {
            listening.close(() => resolve())
            listening.closeAllConnections()
          })
          await following?.stop()
          clearInterval(republishing)
          providing?.stop()
          await sessionDiscovery?.stop()
          await requests.stop()
          await node.stop()
          await repo.close()
        })()
        return stopped
      },
    }
  } catch (err) {
    server?.close()
    await following?.stop().catch(() => {})
    clearInterval(republishing)
    providing?.stop()
    await discovery?.stop().catch(() => {})
    await pins?.stop().catch(() => {})
    await helia?.stop().catch(() => {})
    await repo.close().catch(() => {})
    throw err
  }
}
