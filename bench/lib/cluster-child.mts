/**
 * A real IPFS Cluster for bench/push.js, in its own process (run through tsx, since it starts the
 * cluster with the tests' helper, test/helpers/cluster-daemon.ts: CRDT peers each with its own
 * Kubo, everything on 127.0.0.1, mDNS, metrics and tracing off, the install script's build
 * without NAT port mapping). Prints one JSON line, `{ url, credentials, peers }`, once every peer
 * sees the others, and stops everything when its stdin closes or on SIGTERM.
 *
 *   node --import tsx bench/lib/cluster-child.mts [peers]
 */
import { startCluster } from '../../test/helpers/cluster-daemon.js'

const cluster = await startCluster({ peers: Number(process.argv[2] ?? 3) })
let stopping: Promise<void> | undefined
const stop = () => {
  stopping ??= cluster.stop().then(() => process.exit(0))
  return stopping
}
process.once('SIGTERM', stop)
process.stdin.once('end', stop)
process.stdin.resume()
process.stdout.write(
  `${JSON.stringify({
    url: cluster.peers[0]?.restApi,
    credentials: cluster.credentials,
    peers: cluster.peers.map((p) => p.name),
  })}\n`,
)
