/**
 * The multiaddrs of a host's HTTP gateway (`/ip4/<ip>/tcp/<port>/http`, `/tls/http` for HTTPS), as
 * IPIP-484 peer records and Kubo's HTTP retrieval client read them. A host announces them with its
 * libp2p addresses, so that a peer that finds it through the DHT also finds its gateway.
 *
 * @see https://specs.ipfs.tech/ipips/ipip-0484/
 */

import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { errors } from '../errors.js'

/** True for an address of an HTTP(S) gateway: it ends in `/http` (after `/tls`, `/sni/…`). */
export function isHttpMultiaddr(addr: Multiaddr | string): boolean {
  return /\/(?:http|https)(?:\/p2p\/[^/]+)?$/.test(addr.toString())
}

function ipPart(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '')
  const family = isIP(bare)
  if (family === 4) return `/ip4/${bare}`
  if (family === 6) return `/ip6/${bare}`
  return `/dns/${bare}`
}

/**
 * The multiaddr of a public gateway URL (`--announce-http`): `https://cdn.example.com` →
 * `/dns/cdn.example.com/tcp/443/tls/http`. Only an origin: a path prefix cannot be announced.
 */
export function httpUrlToMultiaddr(url: string): Multiaddr {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {}
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.pathname !== '/' || parsed.search) {
    throw errors.optionInvalid(
      'announceHttp',
      url,
      "must be the http(s) origin of this host's gateway with no path, e.g. https://cdn.example.com or http://203.0.113.7:4080",
    )
  }
  const tls = parsed.protocol === 'https:'
  const port = parsed.port || (tls ? '443' : '80')
  return multiaddr(`${ipPart(parsed.hostname)}/tcp/${port}${tls ? '/tls' : ''}/http`)
}

/**
 * The gateway's own multiaddrs from the address its HTTP port listens on: that address, or, when
 * it listens on every interface (0.0.0.0, ::), each interface's address of that family.
 */
export function listeningHttpMultiaddrs(address: string, port: number, tls: boolean): Multiaddr[] {
  const wildcard = address === '0.0.0.0' || address === '::'
  const hosts = wildcard
    ? Object.values(networkInterfaces())
        .flat()
        .filter((i) => i !== undefined && (address === '::' || i.family === 'IPv4'))
        // A link-local IPv6 address needs its zone to be dialled: leave those out.
        .filter((i) => !(i?.family === 'IPv6' && i.address.startsWith('fe80:')))
        .map((i) => i?.address as string)
    : [address]
  return hosts.map((host) => multiaddr(`${ipPart(host)}/tcp/${port}${tls ? '/tls' : ''}/http`))
}
