/**
 * Bandwidth shaping of one direction of a link: a tbf qdisc on the sending end's egress.
 *
 * Rates count whole Ethernet frames (IP packet + 14 bytes), as tc does on these devices: a
 * TCP transfer's payload rate is about 1448/1514 ≈ 95.6 % of the link rate.
 */

/** Ethernet frame of a 1500-byte packet. */
const FRAME_BYTES = 1514

/** The parameters of the tbf qdisc for a rate and a queue. */
export interface TbfParameters {
  /** Bits per second. */
  rate: number
  /** Bucket size, bytes: 1 ms at the rate, at least two full frames. */
  burst: number
  /** Queue, bytes: `queueMs` at the rate, at least two bursts and 16 frames. */
  limit: number
}

/** tbf parameters for a rate (bits per second) and a queue given as time at that rate. */
export function tbfParameters(rate: number, queueMs: number): TbfParameters {
  const bytesPerMs = rate / 8 / 1000
  const burst = Math.max(Math.ceil(bytesPerMs), 2 * FRAME_BYTES)
  const limit = Math.max(Math.ceil(bytesPerMs * queueMs), 2 * burst, 16 * FRAME_BYTES)
  return { rate, burst, limit }
}

/** `tc` arguments that shape a device's egress (`tc -n <ns> qdisc replace dev <dev> root tbf …`). */
export function tbfArgs(namespace: string, device: string, rate: number, queueMs: number): string[] {
  const { burst, limit } = tbfParameters(rate, queueMs)
  return [
    '-n',
    namespace,
    'qdisc',
    'replace',
    'dev',
    device,
    'root',
    'tbf',
    'rate',
    `${rate}bit`,
    'burst',
    String(burst),
    'limit',
    String(limit),
  ]
}
