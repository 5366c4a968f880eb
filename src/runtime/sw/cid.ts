/**
 * The CID of an IPFS link, in either HTTP form: path (`<any origin>/ipfs/<cid>[/…][?filename=…]`)
 * or subdomain (`<cid>.ipfs.<host>`). Native `ipfs://` links never reach a service worker.
 */
import { CID } from 'multiformats/cid'

/** A CID string (CIDv0, or CIDv1 in base32/base36/base58btc), or undefined if it is none. */
export function parseCid(text: string): CID | undefined {
  try {
    return CID.parse(text)
  } catch {
    return undefined
  }
}

/** The one spelling used as a key: CIDv1 in base32 (a CIDv0 becomes its dag-pb CIDv1). */
export function canonical(cid: CID): string {
  return cid.toV1().toString()
}

/** The CID a link points at, or undefined when it is no IPFS link. */
export function linkCid(url: URL): CID | undefined {
  const subdomain = /^([^.]+)\.ipfs\./.exec(url.hostname)
  if (subdomain) return parseCid(subdomain[1] as string)
  const path = /^\/ipfs\/([^/]+)/.exec(url.pathname)
  return path ? parseCid(path[1] as string) : undefined
}

/**
 * Whether a request asks for the file itself: not for the trustless formats
 * (`?format=raw|car`, `Accept: application/vnd.ipld.*`), which the page may
 * want from a gateway itself.
 */
export function wantsFile(url: URL, request: Request): boolean {
  return (
    !url.searchParams.has('format') && !/application\/vnd\.ipld\./.test(request.headers.get('accept') ?? '')
  )
}
