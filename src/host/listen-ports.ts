/**
 * The host's ports, tried before libp2p and the HTTP server take them. A port that is taken is
 * named together with the flag that moves it (`--listen`, `--http`), instead of libp2p's
 * `EADDRINUSE` stack traces and its advice about `transportManager.faultTolerance`. A default
 * libp2p port that is taken (a second host on one machine) is swapped for a free one, with a
 * warning saying so.
 */
import { createServer } from 'node:net'
import { errors } from '../errors.js'
import type { Warning } from '../warnings.js'

/** A listen multiaddr over TCP (plain, WebSockets, secure WebSockets): family, host, port and the rest. */
const TCP_ADDRESS = /^\/(ip4|ip6)\/([^/]+)\/tcp\/(\d+)(\/.*)?$/

/**
 * Binds `host:port` the way the libp2p transports do and lets it go again. Resolves to the port
 * it got (the one asked for, or a free one for port 0), or rejects with the bind error.
 */
function tryBind(host: string, port: number, ipv6Only: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen({ host, port, ipv6Only }, () => {
      const { port: bound } = server.address() as { port: number }
      server.close(() => resolve(bound))
    })
  })
}

export interface ListenPlan {
  /** The addresses to give libp2p. */
  listen: string[]
  /** One per default port that was taken and replaced. */
  warnings: Warning[]
}

/**
 * Tries every TCP listen address with a fixed port. With `fallback` (the addresses are the
 * defaults, not the user's), a taken port is replaced by a free one and reported in `warnings`;
 * otherwise, and for any other bind error, it throws an error naming the address, the port and
 * `--listen`.
 */
export async function planListen(
  addresses: readonly string[],
  options: { fallback: boolean },
): Promise<ListenPlan> {
  const listen: string[] = []
  const warnings: Warning[] = []
  for (const address of addresses) {
    const match = TCP_ADDRESS.exec(address)
    const port = Number(match?.[3])
    if (!match || port === 0) {
      listen.push(address)
      continue
    }
    const [, family, host = '', , rest = ''] = match
    try {
      await tryBind(host, port, family === 'ip6')
      listen.push(address)
    } catch (cause) {
      if (!options.fallback || (cause as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        throw errors.listenUnavailable(describeAddress(address), '--listen', cause)
      }
      const free = await tryBind(host, 0, family === 'ip6')
      const instead = `/${family}/${host}/tcp/${free}${rest}`
      listen.push(instead)
      warnings.push({
        code: 'W_LISTEN_PORT_TAKEN',
        message: `The default libp2p port ${port} (${address}) is taken, perhaps by another p2pcdn host: listening on ${instead} instead. Choose the ports with --listen.`,
      })
    }
  }
  return { listen, warnings }
}

/** Throws an error naming the HTTP address and `--http` when `host:port` cannot be listened on. */
export async function checkHttpPort(host: string, port: number, flagValue: string): Promise<void> {
  if (port === 0) return
  try {
    // As the HTTP server will listen: dual-stack on `::`.
    await tryBind(host, port, false)
  } catch (cause) {
    throw errors.listenUnavailable(`the HTTP port ${flagValue}`, '--http', cause)
  }
}

/** What to call a listen address in a message: its port and the address. */
const describeAddress = (address: string) => {
  const port = TCP_ADDRESS.exec(address)?.[3]
  return port === undefined
    ? `the --listen address ${address}`
    : `port ${port} of the --listen address ${address}`
}

/**
 * libp2p's error when it could not listen (`UnsupportedListenAddressesError`: every failed
 * address with its stack trace) as one sentence naming the address, the port and `--listen`. For a
 * port taken after {@link planListen} tried it, or one port given twice.
 */
export function listenFailure(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err)
  const failed = [...message.matchAll(/^\s+(\/\S+): (?:\w*Error: )?(.*)$/gm)].map(([, address, reason]) => ({
    address: address as string,
    reason: reason as string,
  }))
  const first = failed.find((f) => f.reason.includes('EADDRINUSE')) ?? failed[0]
  if (first === undefined) return errors.listenUnavailable('the --listen addresses', '--listen', err)
  const code = /\b(E[A-Z]{3,})\b/.exec(first.reason)?.[1]
  return errors.listenUnavailable(describeAddress(first.address), '--listen', {
    ...(code ? { code } : {}),
    message: first.reason,
  })
}
