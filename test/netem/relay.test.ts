/**
 * The delay relay on 127.0.0.1 (no root needed): VNI rewriting, the delay and its accuracy, order,
 * drops, and the inner checksums it computes, checked by an independent one's-complement sum.
 */
import { spawn } from 'node:child_process'
import dgram from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { type RelayConfig, type RunningRelay, runDelayRelay } from '../../src/netem/index.js'
import { relayScript } from '../../src/netem/relay.js'

const VXLAN = 8
const ETHER = 14

const vxlanFrame = (vni: number, etherType: number, inner: Buffer) => {
  const header = Buffer.alloc(VXLAN + ETHER)
  header[0] = 0x08 // VNI present
  header.writeUIntBE(vni, 4, 3)
  header.writeUInt16BE(etherType, VXLAN + 12)
  return Buffer.concat([header, inner])
}

const ipv4 = (proto: number, l4: Buffer, flags = 0x4000) => {
  const header = Buffer.alloc(20)
  header[0] = 0x45
  header.writeUInt16BE(20 + l4.length, 2)
  header.writeUInt16BE(flags, 6)
  header[8] = 64
  header[9] = proto
  Buffer.from([10, 77, 1, 2, 10, 77, 2, 2]).copy(header, 12)
  return Buffer.concat([header, l4])
}

const ipv6 = (next: number, l4: Buffer) => {
  const header = Buffer.alloc(40)
  header[0] = 0x60
  header.writeUInt16BE(l4.length, 4)
  header[6] = next
  header[7] = 64
  Buffer.from('fd000000000000000000000000000001', 'hex').copy(header, 8)
  Buffer.from('fd000000000000000000000000000002', 'hex').copy(header, 24)
  return Buffer.concat([header, l4])
}

const tcp = (payload: string, checksum = 0x1234) => {
  const header = Buffer.alloc(20)
  header.writeUInt16BE(43210, 0)
  header.writeUInt16BE(8080, 2)
  header.writeUInt32BE(1, 4)
  header[12] = 0x50
  header[13] = 0x18 // PSH, ACK
  header.writeUInt16BE(65535, 14)
  header.writeUInt16BE(checksum, 16)
  return Buffer.concat([header, Buffer.from(payload)])
}

const udp = (payload: string, checksum = 0x1234) => {
  const header = Buffer.alloc(8)
  header.writeUInt16BE(5353, 0)
  header.writeUInt16BE(5353, 2)
  header.writeUInt16BE(8 + payload.length, 4)
  header.writeUInt16BE(checksum, 6)
  return Buffer.concat([header, Buffer.from(payload)])
}

/** RFC 1071: the one's-complement sum over pseudo-header and segment, checksum included, is 0xffff. */
function checksumValid(frame: Buffer): boolean {
  const ip = frame.subarray(VXLAN + ETHER)
  const v6 = (ip[0] as number) >> 4 === 6
  const l4 = v6 ? ip.subarray(40, 40 + ip.readUInt16BE(4)) : ip.subarray(20, ip.readUInt16BE(2))
  const proto = v6 ? (ip[6] as number) : (ip[9] as number)
  const addresses = v6 ? ip.subarray(8, 40) : ip.subarray(12, 20)
  const words = Buffer.concat([addresses, l4, Buffer.alloc(l4.length % 2)])
  let sum = proto + l4.length
  for (let i = 0; i < words.length; i += 2) sum += words.readUInt16BE(i)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return sum === 0xffff
}

interface Harness {
  relay: RunningRelay
  port: number
  send(packet: Buffer): void
  received: { packet: Buffer; at: number }[]
  close(): void
}

async function harness(routes: RelayConfig['routes'], maxQueueBytes?: number): Promise<Harness> {
  const sink = dgram.createSocket('udp4')
  const received: Harness['received'] = []
  sink.on('message', (packet) => received.push({ packet, at: performance.now() }))
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve))
  const relay = runDelayRelay(
    {
      listen: { address: '127.0.0.1', port: 0 },
      target: { address: '127.0.0.1', port: sink.address().port },
      routes,
      maxQueueBytes,
    },
    dgram,
  )
  const { port } = await relay.ready
  const source = dgram.createSocket('udp4')
  return {
    relay,
    port,
    send: (packet) => source.send(packet, port, '127.0.0.1'),
    received,
    close: () => {
      relay.close()
      sink.close()
      source.close()
    },
  }
}

const until = async (condition: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
}

const open: Harness[] = []
afterEach(() => {
  for (const h of open.splice(0)) h.close()
})
const start = async (...args: Parameters<typeof harness>) => {
  const h = await harness(...args)
  open.push(h)
  return h
}

describe('runDelayRelay', () => {
  it('holds each datagram for the delay, rewrites its VNI, and keeps the order', async () => {
    const h = await start([
      { from: 10, to: 11, delayMs: 15 },
      { from: 11, to: 10, delayMs: 15 },
    ])
    const sent = new Map<number, number>()
    for (let i = 0; i < 150; i++) {
      const packet = vxlanFrame(
        i % 2 === 0 ? 10 : 11,
        0x0800,
        ipv4(17, udp(`seq ${String(i).padStart(4, '0')}`)),
      )
      sent.set(i, performance.now())
      h.send(packet)
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 4))
    }
    await until(() => h.received.length === 150)
    const seq = (packet: Buffer) => Number(packet.subarray(-4).toString())
    // Each direction keeps its order (the two directions are independent lines).
    for (const [vniOut, parity] of [
      [11, 0],
      [10, 1],
    ] as const) {
      const lane = h.received
        .filter(({ packet }) => packet.readUIntBE(4, 3) === vniOut)
        .map(({ packet }) => seq(packet))
      expect(lane).toEqual([...Array(75).keys()].map((i) => 2 * i + parity))
    }
    const delays = h.received.map(({ packet, at }) => at - (sent.get(seq(packet)) as number))
    // Never early by more than EARLY_MS (0.8 ms); late by Node's timer resolution (the relay shares
    // this test's event loop here, and the suite's other files share the CPU, so the upper bound only
    // catches a relay that holds datagrams for several delays: the bench measures the rest).
    const sorted = [...delays].sort((a, b) => a - b)
    expect(sorted[0]).toBeGreaterThan(15 - 1)
    expect(sorted[75]).toBeGreaterThan(15 - 0.5)
    expect(sorted[75]).toBeLessThan(15 * 3)
    expect(h.relay.stats()).toMatchObject({ received: 150, forwarded: 150, dropped: 0, queuedBytes: 0 })
  })

  it('drops unknown VNIs, runts, and what exceeds the queue', async () => {
    const h = await start([{ from: 1, to: 2, delayMs: 50 }], 3000)
    h.send(vxlanFrame(7, 0x0800, ipv4(17, udp('x'))))
    h.send(Buffer.alloc(10))
    for (let i = 0; i < 5; i++) h.send(vxlanFrame(1, 0x0800, ipv4(17, udp('y'.repeat(1000)))))
    await until(() => h.relay.stats().received === 7)
    // 1050-byte frames: two fit in 3000 bytes, three are dropped, plus the unknown VNI and the runt.
    expect(h.relay.stats()).toMatchObject({ received: 7, dropped: 5, queuedBytes: 2 * 1050 })
    await until(() => h.received.length === 2)
    expect(h.received).toHaveLength(2)
  })

  it('sends at once with no delay', async () => {
    const h = await start([{ from: 1, to: 2, delayMs: 0 }])
    const t0 = performance.now()
    h.send(vxlanFrame(1, 0x0800, ipv4(17, udp('now'))))
    await until(() => h.received.length === 1)
    expect((h.received[0]?.at as number) - t0).toBeLessThan(10)
  })

  const V4 = VXLAN + ETHER + 20
  const V6 = VXLAN + ETHER + 40
  it.each([
    ['TCP over IPv4', () => vxlanFrame(1, 0x0800, ipv4(6, tcp('GET / HTTP/1.1\r\n\r\n'))), V4 + 16],
    ['TCP over IPv4, odd length', () => vxlanFrame(1, 0x0800, ipv4(6, tcp('odd'))), V4 + 16],
    ['UDP over IPv4', () => vxlanFrame(1, 0x0800, ipv4(17, udp('dns?'))), V4 + 6],
    ['TCP over IPv6', () => vxlanFrame(1, 0x86dd, ipv6(6, tcp('hello over v6'))), V6 + 16],
    ['UDP over IPv6', () => vxlanFrame(1, 0x86dd, ipv6(17, udp('quic-ish'))), V6 + 6],
  ])('computes the inner checksum of %s (left partial by the sender)', async (_, make, checksumAt) => {
    const h = await start([{ from: 1, to: 2, delayMs: 1 }])
    const packet = make()
    expect(checksumValid(packet)).toBe(false)
    h.send(packet)
    await until(() => h.received.length === 1)
    const out = h.received[0]?.packet as Buffer
    expect(checksumValid(out)).toBe(true)
    // Only the VNI and the checksum changed.
    expect(out.length).toBe(packet.length)
    const changed = [...out.keys()].filter((i) => out[i] !== packet[i])
    expect(changed.every((i) => [6, checksumAt, checksumAt + 1].includes(i))).toBe(true)

    // A packet whose checksum is right goes through byte for byte (but for the VNI).
    const again = Buffer.from(out)
    again.writeUIntBE(1, 4, 3)
    h.send(again)
    await until(() => h.received.length === 2)
    expect(h.received[1]?.packet.subarray(8)).toEqual(out.subarray(8))
  })

  it('leaves alone what it cannot or need not checksum: IPv4 UDP without checksum, fragments, ARP', async () => {
    const h = await start([{ from: 1, to: 2, delayMs: 1 }])
    const packets = [
      vxlanFrame(1, 0x0800, ipv4(17, udp('no checksum', 0))),
      vxlanFrame(1, 0x0800, ipv4(6, tcp('first fragment'), 0x2000)), // more fragments
      vxlanFrame(1, 0x0806, Buffer.alloc(28, 1)),
    ]
    for (const packet of packets) h.send(packet)
    await until(() => h.received.length === 3)
    expect(h.received.map(({ packet }) => packet.subarray(8))).toEqual(
      packets.map((packet) => packet.subarray(8)),
    )
    expect(h.relay.stats().checksums).toBe(0)
  })
})

describe('relayScript', () => {
  it('runs the relay as a process: ready, stats on request, exit when stdin closes', async () => {
    const sink = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve))
    const probe = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve))
    const port = probe.address().port
    probe.close()
    const child = spawn(
      process.execPath,
      [
        '-e',
        relayScript({
          listen: { address: '127.0.0.1', port },
          target: { address: '127.0.0.1', port: sink.address().port },
          routes: [{ from: 1, to: 2, delayMs: 5 }],
        }),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    )
    const lines: string[] = []
    child.stdout
      .setEncoding('utf8')
      .on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)))
    await until(() => lines.length === 1)
    expect(lines).toEqual(['ready'])
    const arrived = new Promise<Buffer>((resolve) => sink.once('message', resolve))
    const source = dgram.createSocket('udp4')
    source.send(vxlanFrame(1, 0x0800, ipv4(6, tcp('through a process'))), port, '127.0.0.1')
    expect(checksumValid(await arrived)).toBe(true)
    child.stdin.write('stats\n')
    await until(() => lines.length === 2)
    expect(JSON.parse(lines[1] as string)).toEqual({
      received: 1,
      forwarded: 1,
      dropped: 0,
      checksums: 1,
      queuedBytes: 0,
    })
    const exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
    child.stdin.end()
    expect(await exit).toBe(0)
    source.close()
    sink.close()
  })
})
