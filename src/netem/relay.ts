/**
 * The delay line: a userspace relay for VXLAN datagrams that holds each one for a fixed time.
 *
 * The kernel here has no `netem` qdisc, so latency comes from here. Every delayed link is a pair of
 * VXLAN devices (one in the node's namespace, one in the router's) whose UDP sockets send to this
 * relay instead of to each other. The relay rewrites the VNI (the node side's to the router side's
 * and back), keeps each datagram for the link's delay and sends it on, in arrival order. It works
 * on packets, not on TCP streams: connects, TLS handshakes and TCP's own windows see the real
 * round-trip time, and the bandwidth limit stays with the tc qdiscs (a shaper, then a delay line:
 * the way a slow access link in front of a long path behaves). The line itself has no rate limit,
 * so a long delay never lowers throughput below the shaped rate; it holds rate × delay bytes.
 *
 * The function below runs in its own process (`ip netns exec <delay-ns> node -e …`), so it is
 * self-contained: no imports, no helpers from outside its body; `dgram` comes in as a parameter.
 * That also lets tests run it in-process on 127.0.0.1.
 */
import type * as Dgram from 'node:dgram'

/** The VXLAN port (IANA); every VXLAN socket and every relay listens on it. */
export const VXLAN_PORT = 4789

/** One direction of one link: datagrams with VNI `from` leave with VNI `to` after `delayMs`. */
export interface RelayRoute {
  from: number
  to: number
  delayMs: number
}

export interface RelayConfig {
  /** Where the relay receives the VXLAN sockets' datagrams. */
  listen: { address: string; port: number }
  /** Where it sends them on (the router namespace's VXLAN socket). */
  target: { address: string; port: number }
  routes: RelayRoute[]
  /**
   * Bytes one direction may hold; beyond it datagrams are dropped (a loss, as on a real path).
   * @default 64 MiB
   */
  maxQueueBytes?: number
}

export interface RelayStats {
  /** Datagrams received. */
  received: number
  /** Datagrams sent on. */
  forwarded: number
  /** Dropped: unknown VNI, too short, queue full, or a send error. */
  dropped: number
  /** Inner TCP/UDP checksums written (see `fixChecksum`). */
  checksums: number
  /** Bytes waiting in the delay lines now. */
  queuedBytes: number
}

export interface RunningRelay {
  /** Resolves once both sockets are bound, with the port it listens on (useful with port 0). */
  ready: Promise<{ port: number }>
  stats(): RelayStats
  close(): void
}

/**
 * Starts the relay. Self-contained (see the file comment): it may use only its parameters and
 * the language's and Node's globals.
 */
export function runDelayRelay(config: RelayConfig, dgram: typeof Dgram): RunningRelay {
  const maxQueueBytes = config.maxQueueBytes ?? 64 * 1024 * 1024
  const stats = { received: 0, forwarded: 0, dropped: 0, checksums: 0, queuedBytes: 0 }
  /**
   * A packet due within this much is sent now. Node's timers have 1 ms resolution and fire late,
   * never early; with this the mean delay is within ~0.3 ms of the set one (jitter about ±0.7 ms).
   */
  const EARLY_MS = 0.8

  const input = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 })
  const output = dgram.createSocket({ type: 'udp4', sendBufferSize: 8 << 20 })
  // A socket error after the start (none is expected) is a lost datagram, not the end of the link.
  for (const socket of [input, output]) {
    socket.on('error', () => {
      stats.dropped++
    })
  }

  // The VXLAN sockets hand over locally generated packets with the inner TCP/UDP checksum left to
  // the "hardware" (CHECKSUM_PARTIAL: only the pseudo-header sum is in the field), and the kernel
  // passes them to a local UDP socket as they are. Sent on from userspace they would arrive with
  // that partial sum and be dropped by the receiver's TCP (TcpInCsumErrors). So every inner IPv4
  // and IPv6 TCP/UDP checksum is computed here; for a packet whose checksum was already complete
  // this writes the same value again.
  const sum16 = (b: Buffer, start: number, end: number, initial: number): number => {
    let acc = initial
    let i = start
    for (; i + 1 < end; i += 2) acc += (b[i] as number) * 256 + (b[i + 1] as number)
    if (i < end) acc += (b[i] as number) * 256
    return acc
  }
  const fixChecksum = (b: Buffer): void => {
    // VXLAN header (8 bytes), then the inner Ethernet header (14, or 18 with one VLAN tag).
    let o = 8 + 12
    let type = ((b[o] as number) << 8) | (b[o + 1] as number)
    o += 2
    if (type === 0x8100) {
      type = ((b[o + 2] as number) << 8) | (b[o + 3] as number)
      o += 4
    }
    let proto: number
    let l4: number
    let end: number
    let pseudo: number
    if (type === 0x0800 && (b[o] as number) >> 4 === 4) {
      const ihl = ((b[o] as number) & 0x0f) * 4
      // A fragment carries only part of the segment: its checksum cannot be computed here.
      if (((b[o + 6] as number) & 0x3f) !== 0 || (b[o + 7] as number) !== 0) return
      proto = b[o + 9] as number
      l4 = o + ihl
      end = o + (((b[o + 2] as number) << 8) | (b[o + 3] as number))
      pseudo = sum16(b, o + 12, o + 20, 0)
    } else if (type === 0x86dd && (b[o] as number) >> 4 === 6) {
      proto = b[o + 6] as number
      l4 = o + 40
      end = l4 + (((b[o + 4] as number) << 8) | (b[o + 5] as number))
      pseudo = sum16(b, o + 8, o + 40, 0)
    } else {
      return
    }
    if (end > b.length || end < l4 + 8) return
    let at: number
    if (proto === 6) {
      at = l4 + 16
      if (end < l4 + 20) return
    } else if (proto === 17) {
      at = l4 + 6
      // IPv4 UDP may go without a checksum (0); keep it that way.
      if (type === 0x0800 && b[at] === 0 && b[at + 1] === 0) return
    } else {
      return
    }
    b[at] = 0
    b[at + 1] = 0
    let acc = sum16(b, l4, end, pseudo + proto + (end - l4))
    while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000)
    let checksum = ~acc & 0xffff
    if (checksum === 0 && proto === 17) checksum = 0xffff
    b[at] = checksum >> 8
    b[at + 1] = checksum & 0xff
    stats.checksums++
  }

  interface Lane {
    to: number
    delayMs: number
    dues: number[]
    packets: Buffer[]
    head: number
    bytes: number
    timer: ReturnType<typeof setTimeout> | undefined
  }
  const lanes = new Map<number, Lane>()
  for (const route of config.routes) {
    lanes.set(route.from, {
      to: route.to,
      delayMs: route.delayMs,
      dues: [],
      packets: [],
      head: 0,
      bytes: 0,
      timer: undefined,
    })
  }

  let closed = false
  const send = (packet: Buffer): void => {
    output.send(packet, (error) => {
      if (error) stats.dropped++
      else stats.forwarded++
    })
  }
  const flush = (lane: Lane): void => {
    lane.timer = undefined
    const now = performance.now() + EARLY_MS
    while (lane.head < lane.dues.length && (lane.dues[lane.head] as number) <= now) {
      const packet = lane.packets[lane.head] as Buffer
      lane.packets[lane.head] = undefined as unknown as Buffer
      lane.head++
      lane.bytes -= packet.length
      stats.queuedBytes -= packet.length
      send(packet)
    }
    if (lane.head === lane.dues.length) {
      lane.dues.length = 0
      lane.packets.length = 0
      lane.head = 0
    } else if (lane.head > 4096) {
      lane.dues.splice(0, lane.head)
      lane.packets.splice(0, lane.head)
      lane.head = 0
    }
    arm(lane)
  }
  const arm = (lane: Lane): void => {
    if (closed || lane.timer !== undefined || lane.head >= lane.dues.length) return
    const wait = (lane.dues[lane.head] as number) - performance.now()
    lane.timer = setTimeout(() => flush(lane), Math.max(1, wait))
  }

  input.on('message', (packet) => {
    stats.received++
    if (packet.length < 8 + 14) {
      stats.dropped++
      return
    }
    const vni = ((packet[4] as number) << 16) | ((packet[5] as number) << 8) | (packet[6] as number)
    const lane = lanes.get(vni)
    if (lane === undefined) {
      stats.dropped++
      return
    }
    packet[4] = (lane.to >> 16) & 0xff
    packet[5] = (lane.to >> 8) & 0xff
    packet[6] = lane.to & 0xff
    fixChecksum(packet)
    if (lane.delayMs <= 0) {
      send(packet)
      return
    }
    if (lane.bytes + packet.length > maxQueueBytes) {
      stats.dropped++
      return
    }
    lane.dues.push(performance.now() + lane.delayMs)
    lane.packets.push(packet)
    lane.bytes += packet.length
    stats.queuedBytes += packet.length
    arm(lane)
  })

  const ready = new Promise<{ port: number }>((resolve, reject) => {
    let bound = 0
    const onBound = () => {
      bound++
      if (bound === 2) resolve({ port: input.address().port })
    }
    input.once('error', reject)
    output.once('error', reject)
    input.bind(config.listen.port, config.listen.address, onBound)
    output.bind(0, config.listen.address, () => {
      output.connect(config.target.port, config.target.address, onBound)
    })
  })

  return {
    ready,
    stats: () => ({ ...stats }),
    close: () => {
      closed = true
      for (const lane of lanes.values()) {
        if (lane.timer !== undefined) clearTimeout(lane.timer)
        lane.timer = undefined
      }
      input.close()
      output.close()
    },
  }
}

/**
 * The program a relay process runs: `node -e <script>`. It prints `ready` once bound, answers a
 * `stats` line on stdin with one JSON line of {@link RelayStats}, and exits when stdin closes
 * (so it never outlives the process that started it) or on SIGTERM.
 */
export function relayScript(config: RelayConfig): string {
  // `__name`: transpilers that keep function names (esbuild's keepNames, used by tsx) wrap inner
  // functions in calls to a module-level helper, which the child does not have.
  return `'use strict'
const __name = (fn) => fn
const relay = (${runDelayRelay.toString()})(${JSON.stringify(config)}, require('node:dgram'))
relay.ready.then(
  () => process.stdout.write('ready\\n'),
  (error) => {
    process.stderr.write(String((error && error.message) || error) + '\\n')
    process.exit(1)
  },
)
let pending = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  pending += chunk
  let newline
  while ((newline = pending.indexOf('\\n')) >= 0) {
    const line = pending.slice(0, newline).trim()
    pending = pending.slice(newline + 1)
    if (line === 'stats') process.stdout.write(JSON.stringify(relay.stats()) + '\\n')
  }
})
process.stdin.on('end', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
`
}
