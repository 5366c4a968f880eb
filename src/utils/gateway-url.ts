import { errors } from '../errors.js'

/**
 * A gateway URL as p2pcdn keeps it: absolute http(s), no query or fragment (links append their
 * own), no trailing slash; with `credentials: false`, no user or password either. `undefined` when
 * `value` is not one, so that each caller names its own option in the error.
 */
export function gatewayUrl(value: unknown, options: { credentials: boolean }): string | undefined {
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {}
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined
  if (url.search !== '' || url.hash !== '') return undefined
  if (!options.credentials && (url.username !== '' || url.password !== '')) return undefined
  return url.href.replace(/\/+$/, '')
}

/**
 * Hosts' base URLs given to option `option` (`followFrom`, `--follow-from`), each checked with
 * {@link gatewayUrl}; one that is not an http(s) URL is a usage error naming the option.
 */
export function hostUrls(values: readonly string[], option: string): string[] {
  return values.map((value) => {
    const url = gatewayUrl(value, { credentials: false })
    if (url === undefined) {
      throw errors.optionInvalid(
        option,
        value,
        'must list the http(s) URLs of hosts, e.g. https://cdn.example.com',
      )
    }
    return url
  })
}
