/**
 * How a follower gets a new root without a push: it asks routers (the hosts it follows from, the
 * peers that announce a gateway) for the root's providers (Delegated Routing V1,
 * `GET /routing/v1/providers/{cid}`), then takes the whole DAG as a CAR from a trustless gateway
 * (`GET /ipfs/{root}?format=car&dag-scope=all`), each block verified on its way into the store
 * (`ingestCar`). The providers' libp2p addresses are the origins of the bitswap fallback.
 */
import type { CID } from 'multiformats/cid'
import type { IngestCarResult } from './car-upload.js'
import { gatewayUrlOf, isMultiaddr } from './follow-resolve.js'

/** Longest wait for a routing answer. */
const ROUTING_TIMEOUT_MS = 10_000

/** Providers of a root, as gateways (HTTP) and origins (libp2p multiaddrs with `/p2p/<id>`). */
export interface RootSources {
  gateways: string[]
  origins: string[]
}

interface ProviderRecord {
  Schema?: string
  ID?: string
  Addrs?: string[] | null
}

/**
 * Asks each router for the providers of `root`; a router that fails is skipped (its error is in
 * `errors`). Gateways come first as the routers list them.
 */
export async function findProviders(
  routers: string[],
  root: CID,
  signal?: AbortSignal,
): Promise<RootSources & { errors: string[] }> {
  const gateways = new Set<string>()
  const origins = new Set<string>()
  const errors: string[] = []
  await Promise.all(
    routers.map(async (router) => {
      const target = `${router.replace(/\/+$/, '')}/routing/v1/providers/${root}`
      const timeout = AbortSignal.timeout(ROUTING_TIMEOUT_MS)
      try {
        const res = await fetch(target, {
          headers: { Accept: 'application/json' },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        })
        if (res.status === 404) return void (await res.body?.cancel())
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
        const { Providers } = (await res.json()) as { Providers?: ProviderRecord[] | null }
        for (const provider of Providers ?? []) {
          for (const address of provider.Addrs ?? []) {
            const gateway = gatewayUrlOf(address)
            if (gateway) gateways.add(gateway)
            else if (provider.ID && isMultiaddr(address))
              origins.add(address.includes('/p2p/') ? address : `${address}/p2p/${provider.ID}`)
          }
        }
      } catch (err) {
        errors.push(`${target}: ${(err as Error).message}`)
      }
    }),
  )
  return { gateways: [...gateways], origins: [...origins], errors }
}

/**
 * Fetches `root` whole as a CAR from the first of `gateways` that has it, into `ingest` (which
 * verifies each block and checks the DAG is complete). Resolves with the ingested result and the
 * gateway, or with every gateway's error.
 */
export async function fetchRootCar(
  gateways: string[],
  root: CID,
  ingest: (body: AsyncIterable<Uint8Array>, signal: AbortSignal) => Promise<IngestCarResult>,
  options: { signal?: AbortSignal; timeoutMs: number },
): Promise<{ ingested: IngestCarResult; gateway: string } | { errors: string[] }> {
  const errors: string[] = []
  for (const gateway of gateways) {
    const target = `${gateway.replace(/\/+$/, '')}/ipfs/${root}?format=car&dag-scope=all`
    const timeout = AbortSignal.timeout(options.timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    try {
      const res = await fetch(target, { headers: { Accept: 'application/vnd.ipld.car' }, signal })
      if (!res.ok || !res.body) {
        await res.body?.cancel()
        throw new Error(`HTTP ${res.status}`)
      }
      const ingested = await ingest(res.body as unknown as AsyncIterable<Uint8Array>, signal)
      if (!ingested.roots.some((r) => r.equals(root)))
        throw new Error(`the CAR's roots do not include ${root}`)
      return { ingested, gateway }
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason
      errors.push(
        `${target}: ${timeout.aborted ? `not whole within ${options.timeoutMs / 1000} s` : (err as Error).message}`,
      )
    }
  }
  return { errors }
}
