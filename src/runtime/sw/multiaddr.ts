/**
 * A provider's HTTP gateway address, as delegated routing gives it (IPIP-337
 * records, gateway addresses as in IPIP-484): a multiaddr in its string form,
 * turned into a base URL the worker can fetch. Only what a browser can reach:
 * `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/http`, `…/tls/http` (optionally
 * `/tls/sni/<name>/http`) and `…/https`, an `/http-path/<path>` after it and a
 * `/p2p/<id>` at the end; anything else (QUIC, WebTransport, bare TCP) is no
 * gateway for a page. A tiny parser rather than `@multiformats/multiaddr`,
 * which would weigh more than the rest of the worker.
 *
 * @see https://github.com/multiformats/multiaddr/blob/master/protocols.csv
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i

/** The URL host of a multiaddr's first component, or undefined. */
function hostOf(protocol: string, value: string): string | undefined {
  if (protocol === 'ip4') return IPV4.test(value) ? value : undefined
  if (protocol === 'ip6')
    return /^[0-9a-f:.]+$/i.test(value) && value.includes(':') ? `[${value}]` : undefined
  if (protocol === 'dns' || protocol === 'dns4' || protocol === 'dns6')
    return DNS_NAME.test(value) ? value.replace(/\.$/, '') : undefined
  return undefined
}

/**
 * The gateway base URL (no trailing slash) of an HTTP(S) multiaddr, or
 * undefined when it is none a browser can use.
 *
 * @example
 * gatewayUrl('/ip4/127.0.0.1/tcp/4080/http') // 'http://127.0.0.1:4080'
 * gatewayUrl('/dns4/cdn.example.com/tcp/443/tls/http/p2p/12D3Koo…') // 'https://cdn.example.com'
 */
export function gatewayUrl(addr: string): string | undefined {
  if (typeof addr !== 'string' || addr.length > 1024) return undefined
  const parts = addr.split('/')
  if (parts[0] !== '') return undefined
  let host = hostOf(parts[1] ?? '', parts[2] ?? '')
  const port = Number(parts[4])
  if (!host || parts[3] !== 'tcp' || !/^\d{1,5}$/.test(parts[4] ?? '') || port < 1 || port > 65535)
    return undefined
  let at = 5
  let scheme = 'http'
  if (parts[at] === 'tls') {
    scheme = 'https'
    at++
    if (parts[at] === 'sni') {
      const name = parts[at + 1] ?? ''
      if (!DNS_NAME.test(name)) return undefined
      host = name.replace(/\.$/, '')
      at += 2
    }
    if (parts[at] !== 'http') return undefined
  } else if (parts[at] === 'https') scheme = 'https'
  else if (parts[at] !== 'http') return undefined
  at++
  let path = ''
  if (parts[at] === 'http-path') {
    try {
      path = `/${decodeURIComponent(parts[at + 1] ?? '').replace(/^\/+|\/+$/g, '')}`.replace(/\/$/, '')
    } catch {
      return undefined
    }
    at += 2
  }
  if (parts[at] === 'p2p' && parts[at + 1]) at += 2
  if (at !== parts.length) return undefined
  try {
    const url = new URL(`${scheme}://${host}:${port}`)
    return `${url.origin}${path}`
  } catch {
    return undefined
  }
}

/** How far a host is from the open internet: loopback, private (RFC 1918, link-local, ULA, CGNAT), or public. */
export type AddressScope = 'loopback' | 'private' | 'public'

/** The scope of a URL hostname (a DNS name counts as public, `localhost` names as loopback). */
export function addressScope(hostname: string): AddressScope {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host))
    return 'loopback'
  if (/^(10|192\.168|169\.254)\./.test(host) || /^172\.(1[6-9]|2\d|3[01])\./.test(host)) return 'private'
  if (/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./.test(host)) return 'private'
  if (host.includes(':') && /^(f[cd]|fe[89ab])/.test(host)) return 'private'
  return 'public'
}

const RANK: Record<AddressScope, number> = { public: 0, private: 1, loopback: 2 }

/**
 * Whether a page at `site` may be sent to a gateway a routing answer named:
 * never to an address nearer than the site's own (a public site's visitors do
 * not probe their local network or their own machine), and from an https site
 * only over https (a browser would block the rest as mixed content).
 */
export function reachableFrom(site: URL, gateway: string): boolean {
  let url: URL
  try {
    url = new URL(gateway)
  } catch {
    return false
  }
  const scope = addressScope(url.hostname)
  if (RANK[scope] > RANK[addressScope(site.hostname)]) return false
  return site.protocol !== 'https:' || url.protocol === 'https:' || scope === 'loopback'
}
