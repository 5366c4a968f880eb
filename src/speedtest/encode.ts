/** The URL path of a site path, each segment percent-encoded: `img/café été.png` → `img/caf%C3%A9%20%C3%A9t%C3%A9.png`. */
export function encodeSitePath(sitePath: string): string {
  return sitePath.split('/').map(encodeURIComponent).join('/')
}
