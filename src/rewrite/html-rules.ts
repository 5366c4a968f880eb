/**
 * Which attributes of which elements name a fetchable asset: the coverage list
 * of issue 3, in one table-like place.
 */
import { asciiLowerCase } from './html-decode.js'

/** How an attribute's value names assets: one URL, or a `srcset` list of candidates. */
export type UrlAttributeKind = 'url' | 'srcset'

/** The namespaces the rules tell apart. */
export type Namespace = 'html' | 'svg' | 'other'

/** `link rel` keywords whose `href` is fetched as an asset. */
export const LINK_ASSET_RELS: ReadonlySet<string> = new Set([
  'icon',
  'apple-touch-icon',
  'apple-touch-icon-precomposed',
  'mask-icon',
  'preload',
  'modulepreload',
  'prefetch',
  'stylesheet',
  'manifest',
])

/** `meta property`/`name` values whose `content` is an asset URL (Open Graph, Twitter cards). */
export const META_ASSET_PROPERTIES: ReadonlySet<string> = new Set([
  'og:image',
  'og:image:url',
  'og:image:secure_url',
  'og:video',
  'og:audio',
  'twitter:image',
  'twitter:image:src',
])

const HTML_RULES: Readonly<Record<string, Readonly<Record<string, UrlAttributeKind>>>> = {
  img: { src: 'url', srcset: 'srcset' },
  video: { src: 'url', poster: 'url' },
  audio: { src: 'url' },
  track: { src: 'url' },
  embed: { src: 'url' },
  object: { data: 'url' },
  script: { src: 'url' },
}

const SVG_ELEMENTS: ReadonlySet<string> = new Set(['image', 'use', 'feimage'])

/**
 * The URL-bearing attributes of one element, by lower-case attribute name.
 * `attributes` are the element's attributes as the browser reads them
 * (lower-case names, decoded values); `parentName` is the lower-case name
 * of its parent element, which decides what a `source` means.
 *
 * @example
 * urlAttributesOf('html', 'link', { rel: 'Shortcut Icon', href: '/f.ico' }, 'head') // { href: 'url' }
 */
export function urlAttributesOf(
  namespace: Namespace,
  name: string,
  attributes: Readonly<Record<string, string>>,
  parentName: string | undefined,
): Readonly<Record<string, UrlAttributeKind>> | undefined {
  if (namespace === 'svg') {
    return SVG_ELEMENTS.has(name) ? { href: 'url', 'xlink:href': 'url' } : undefined
  }
  if (namespace !== 'html') return
  const fixed = Object.hasOwn(HTML_RULES, name) ? HTML_RULES[name] : undefined
  if (fixed) return fixed
  switch (name) {
    case 'source':
      if (parentName === 'picture') return { srcset: 'srcset' }
      if (parentName === 'video' || parentName === 'audio') return { src: 'url' }
      return
    case 'input':
      return asciiLowerCase(attributes.type ?? '') === 'image' ? { src: 'url' } : undefined
    case 'link': {
      const rels = asciiLowerCase(attributes.rel ?? '').split(/[\t\n\f\r ]+/)
      if (!rels.some((rel) => LINK_ASSET_RELS.has(rel))) return
      return rels.includes('preload') ? { href: 'url', imagesrcset: 'srcset' } : { href: 'url' }
    }
    case 'meta': {
      const names = [attributes.property, attributes.name]
      return names.some(
        (value) => value !== undefined && META_ASSET_PROPERTIES.has(asciiLowerCase(value.trim())),
      )
        ? { content: 'url' }
        : undefined
    }
    default:
      return
  }
}
