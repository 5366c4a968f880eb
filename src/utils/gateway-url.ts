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
