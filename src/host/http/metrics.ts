import { Counter, Gauge, Registry } from 'prom-client'

export interface MetricsSources {
  pins(): Record<string, number>
  storageBytes(): number
  storageQuotaBytes(): number
  peers(): number
  sessionMembers(): number
}

/**
 * Prometheus metrics for one host (a registry of its own, so several hosts in one process, as in
 * the tests, keep separate counts).
 */
export class HostMetrics {
  readonly registry = new Registry()
  readonly requests: Counter<'route' | 'status'>
  readonly bytesServed: Counter<'format'>

  constructor(sources: MetricsSources) {
    const registers = [this.registry]
    this.requests = new Counter({
      name: 'p2pcdn_http_requests_total',
      help: 'HTTP requests answered, by route and status code',
      labelNames: ['route', 'status'],
      registers,
    })
    this.bytesServed = new Counter({
      name: 'p2pcdn_gateway_bytes_served_total',
      help: 'Bytes the gateway sent in response bodies, by response format',
      labelNames: ['format'],
      registers,
    })
    new Gauge({
      name: 'p2pcdn_pins',
      help: 'Pin requests, by status',
      labelNames: ['status'],
      registers,
      collect() {
        for (const [status, count] of Object.entries(sources.pins())) this.set({ status }, count)
      },
    })
    new Gauge({
      name: 'p2pcdn_storage_bytes',
      help: 'Bytes held by blocks in the repo',
      registers,
      collect() {
        this.set(sources.storageBytes())
      },
    })
    new Gauge({
      name: 'p2pcdn_storage_quota_bytes',
      help: 'The storage quota (0 = none)',
      registers,
      collect() {
        this.set(sources.storageQuotaBytes())
      },
    })
    new Gauge({
      name: 'p2pcdn_peers',
      help: 'Connected libp2p peers',
      registers,
      collect() {
        this.set(sources.peers())
      },
    })
    new Gauge({
      name: 'p2pcdn_session_members',
      help: 'Members of the CDN session found through session discovery',
      registers,
      collect() {
        this.set(sources.sessionMembers())
      },
    })
  }
}
