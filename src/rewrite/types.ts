/**
 * Shared shapes of the rewrite step (issue 3): finders locate the places in
 * a document that name a fetchable asset, by source position, so a rewrite
 * splices only those characters and leaves every other byte as it was.
 */

/** Where a reference was found, and so what its fallback and escaping need. */
export type ReferenceContext =
  | {
      type: 'attribute'
      /** Lower-case element name (`img`, `source`, `link`, `image`, …). */
      element: string
      /** Lower-case attribute name as written (`src`, `srcset`, `href`, `xlink:href`, `content`, …). */
      attribute: string
      /** For a `srcset` candidate: its descriptor (`2x`, `480w`), if any. */
      descriptor?: string
    }
  | {
      type: 'css'
      /** `url()` (also inside `@font-face src`), a string inside `image-set()`, or an `@import` string. */
      syntax: 'url' | 'image-set' | 'import'
      /** Where the CSS sits: a `.css` file, a `<style>` element, or a `style=""` attribute. */
      origin: 'stylesheet' | 'style-element' | 'style-attribute'
    }

/** One place in a document that names a fetchable asset. */
export interface Reference {
  /** The URL as the browser reads it: character references decoded, CSS escapes resolved, quotes and surrounding whitespace removed. */
  url: string
  /**
   * `[start, end)`: offsets (UTF-16 code units) in the document string of the
   * URL's own characters as written, inside any quotes and without the
   * whitespace around them. Replacing exactly this range rewrites the URL.
   */
  start: number
  end: number
  /** 1-based line of `start`. */
  line: number
  /** The quote around the URL as written: `"`, `'`, or `''` when unquoted. The replacement must be escaped for it. */
  quote: '"' | "'" | ''
  context: ReferenceContext
}

/** The start tag holding an attribute reference, for edits that add attributes (fallback, SRI). */
export interface ElementInfo {
  /** Lower-case element name. */
  name: string
  /** Its attributes as the browser reads them (lower-case names, decoded values). */
  attributes: Record<string, string>
  /** Offset where a new attribute can be inserted: right after the last attribute, before any `/` and the closing `>`. */
  insertAt: number
}

/** A replacement of `[start, end)` with `text`; an insertion when `start === end`. */
export interface Edit {
  start: number
  end: number
  text: string
}
