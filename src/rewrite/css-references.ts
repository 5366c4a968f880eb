/**
 * The CSS side of the rewriter: finds every URL a stylesheet, a `<style>`
 * element or a `style=""` value makes the browser fetch, by exact source
 * position, and splices replacements into exactly those characters.
 *
 * Tokens come from css-tree's tokenizer, which follows CSS Syntax Level 3 to
 * the letter (comments, strings, `url(` tokens, bad-url and bad-string
 * recovery), so this file only tracks nesting and maps tokens to URL ranges.
 */
import { tokenize, tokenTypes } from 'css-tree'
import { applyEdits } from './apply-edits.js'
import { decodeCssEscapes, escapeCssUrl } from './css-escapes.js'
import { nameOf, stringRange, unquotedRange } from './css-token-ranges.js'
import type { Edit, Reference, ReferenceContext } from './types.js'

type CssContext = Extract<ReferenceContext, { type: 'css' }>

/** Options of {@link findCssReferences} and {@link rewriteCss}. */
export interface CssReferenceOptions {
  /** Where the CSS sits: a `.css` file, a `<style>` element, or a `style=""` value (a declaration list). */
  origin: CssContext['origin']
  /**
   * Offset of the CSS's first character in the enclosing document; added to every `start`/`end`.
   * @default 0
   */
  offset?: number
  /**
   * 1-based line of the CSS's first character in the enclosing document.
   * @default 1
   */
  firstLine?: number
}

/** What {@link rewriteCss} returns. */
export interface RewriteCssResult {
  /** The CSS with the replaced URLs; every other character as it was. */
  css: string
  /** The replacements made, in document coordinates (shifted by `options.offset`), ordered by position. */
  edits: Edit[]
}

const T = tokenTypes
const QUOTE = 0x22
const APOSTROPHE = 0x27

/**
 * An open block or function. `declarations`: whether a `url()` directly inside
 * is in a declaration value; true inside a rule's `{}` (and at the top of a
 * `style=""` value), inherited by brackets and functions; false at the top of a
 * stylesheet (selectors) and in a `{}` that is only a value inside brackets.
 */
type Frame = { closer: number; declarations: boolean } & (
  | { kind: 'rule-block' | 'simple-block' | 'paren' | 'bracket' | 'function' | 'image-set' }
  | {
      kind: 'url'
      /** Report the string when the function closes (false in selectors, at-rule preludes, nested url()). */
      report: boolean
      syntax: CssContext['syntax']
      /** `expect-string` until the first token, `modifiers` after a string, `invalid` otherwise. */
      state: 'expect-string' | 'modifiers' | 'invalid'
      string?: { start: number; end: number; quote: '"' | "'" }
    }
)

interface Found {
  start: number
  end: number
  quote: Reference['quote']
  syntax: CssContext['syntax']
}

/**
 * Finds every place in CSS text that names a fetchable asset, by the exact
 * range of the URL's characters as written:
 *
 * - `url(…)`, quoted or not, in declaration values (`background`, `mask`,
 *   `cursor`, `content`, custom properties, `@font-face` `src`, …), including
 *   inside `image-set()`, `cross-fade()` and other functions: syntax `url`;
 * - the bare strings of `image-set()` / `-webkit-image-set()`: syntax `image-set`;
 * - the URL of a top-level `@import "x.css"` / `@import url(x.css)`, whatever
 *   layer, supports or media list follows: syntax `import`.
 *
 * `url` is the value as the browser reads it (escapes resolved, quotes and
 * surrounding whitespace removed); `data:`, fragment-only and empty URLs are
 * reported too, the caller decides. Nothing is reported from comments, bad
 * strings or bad `url(` tokens, selectors, other at-rule preludes (`@namespace`,
 * `@supports`, `@media` conditions), or strings that are not URLs. Never throws:
 * unbalanced brackets and unterminated strings are read with the browser's own
 * recovery rules, so a URL is reported only where the browser's tokenizer sees
 * one in a declaration value or an `@import` (whether the declaration is
 * otherwise valid for its property is not checked). Results are ordered by
 * position.
 *
 * @example
 * findCssReferences('a { background: url( "b.png" ) }', { origin: 'stylesheet' })
 * // [{ url: 'b.png', start: 22, end: 27, line: 1, quote: '"',
 * //    context: { type: 'css', syntax: 'url', origin: 'stylesheet' } }]
 */
export function findCssReferences(css: string, options: CssReferenceOptions): Reference[] {
  const { origin } = options
  const offset = options.offset ?? 0
  const firstLine = options.firstLine ?? 1
  const found: Found[] = []

  const stack: Frame[] = []
  let urlFrames = 0 // quoted url( ) functions open
  let statementStart = true // the next significant token starts a rule, an at-rule or a declaration
  /** The at-rule whose prelude is being read, and the stack depth it started at. */
  let prelude: { depth: number; importUrl: boolean } | null = null

  const atTop = origin === 'style-attribute' // a declaration list, not a list of rules
  const declarations = (): boolean => stack[stack.length - 1]?.declarations ?? atTop
  const inDeclarations = (): boolean => prelude === null && urlFrames === 0 && declarations()
  const push = (kind: Exclude<Frame['kind'], 'url'>, closer: number): void => {
    stack.push({ kind, closer, declarations: declarations() })
  }

  const closeUrlFrame = (frame: Extract<Frame, { kind: 'url' }>): void => {
    urlFrames--
    if (frame.report && frame.state === 'modifiers' && frame.string) {
      found.push({ ...frame.string, syntax: frame.syntax })
    }
  }

  const openUrlFrame = (syntax: CssContext['syntax'], report: boolean): void => {
    stack.push({
      kind: 'url',
      closer: T.RightParenthesis,
      declarations: declarations(),
      report,
      syntax,
      state: 'expect-string',
    })
    urlFrames++
  }

  tokenize(css, (type, start, end) => {
    if (type === T.WhiteSpace || type === T.Comment) return
    if ((type === T.CDO || type === T.CDC) && stack.length === 0) return
    const top = stack[stack.length - 1]

    // Directly inside a quoted url( ): one string, then only modifiers (idents, functions) and `)`.
    if (top?.kind === 'url' && type !== T.RightParenthesis) {
      if (top.state === 'expect-string' && type === T.String) {
        const [s, e] = stringRange(css, start, end)
        top.string = { start: s, end: e, quote: css.charCodeAt(start) === QUOTE ? '"' : "'" }
        top.state = 'modifiers'
      } else if (!(top.state === 'modifiers' && (type === T.Ident || type === T.Function))) {
        top.state = 'invalid'
      }
    }

    if (statementStart) {
      statementStart = false
      if (type === T.AtKeyword) {
        const name = nameOf(css, start + 1, end)
        prelude = {
          depth: stack.length,
          importUrl: name === 'import' && stack.length === 0 && !atTop,
        }
        return
      }
    }

    // The first token of an @import prelude is its URL, or there is none.
    if (prelude?.importUrl && stack.length === prelude.depth) {
      prelude.importUrl = false
      if (type === T.String) {
        const [s, e] = stringRange(css, start, end)
        found.push({
          start: s,
          end: e,
          quote: css.charCodeAt(start) === APOSTROPHE ? "'" : '"',
          syntax: 'import',
        })
        return
      }
      if (type === T.Url) {
        const [s, e] = unquotedRange(css, start, end)
        found.push({ start: s, end: e, quote: '', syntax: 'import' })
        return
      }
      if (type === T.Function && nameOf(css, start, end - 1) === 'url') {
        openUrlFrame('import', true)
        return
      }
    }

    switch (type) {
      case T.Url:
        if (inDeclarations()) {
          const [s, e] = unquotedRange(css, start, end)
          found.push({ start: s, end: e, quote: '', syntax: 'url' })
        }
        return
      case T.String:
        if (top?.kind === 'image-set' && inDeclarations()) {
          const [s, e] = stringRange(css, start, end)
          found.push({
            start: s,
            end: e,
            quote: css.charCodeAt(start) === QUOTE ? '"' : "'",
            syntax: 'image-set',
          })
        }
        return
      case T.Function: {
        const name = nameOf(css, start, end - 1)
        if (name === 'url') openUrlFrame('url', inDeclarations())
        else if (name === 'image-set' || name === '-webkit-image-set') push('image-set', T.RightParenthesis)
        else push('function', T.RightParenthesis)
        return
      }
      case T.LeftParenthesis:
        push('paren', T.RightParenthesis)
        return
      case T.LeftSquareBracket:
        push('bracket', T.RightSquareBracket)
        return
      case T.LeftCurlyBracket:
        if (prelude && prelude.depth === stack.length) prelude = null
        if (top === undefined || top.kind === 'rule-block') {
          // A rule's (or at-rule's) block: declarations and nested rules.
          stack.push({ kind: 'rule-block', closer: T.RightCurlyBracket, declarations: true })
          statementStart = true
        } else {
          // A {} inside brackets or a function is a value, not a rule.
          push('simple-block', T.RightCurlyBracket)
        }
        return
      case T.RightParenthesis:
      case T.RightSquareBracket:
      case T.RightCurlyBracket:
        // A closer that does not match the innermost open block is an ordinary token (CSS Syntax §5.4.8).
        if (top?.closer !== type) return
        stack.pop()
        if (top.kind === 'url') closeUrlFrame(top)
        if (top.kind === 'rule-block') statementStart = true
        if (prelude && stack.length < prelude.depth) prelude = null
        return
      case T.Semicolon:
        if (prelude) {
          if (prelude.depth === stack.length) {
            prelude = null
            statementStart = true
          }
        } else if (top?.kind === 'rule-block' || (top === undefined && atTop)) {
          statementStart = true
        }
        return
      default:
        return
    }
  })

  // The end of the input closes whatever is still open (CSS Syntax §5.4.8: a parse error, not a loss).
  for (let i = stack.length - 1; i >= 0; i--) {
    const frame = stack[i]
    if (frame?.kind === 'url') closeUrlFrame(frame)
  }

  found.sort((a, b) => a.start - b.start)
  const references: Reference[] = []
  let line = firstLine
  let counted = 0
  for (const ref of found) {
    for (; counted < ref.start; counted++) {
      const c = css.charCodeAt(counted)
      if (c === 0x0a || (c === 0x0d && css.charCodeAt(counted + 1) !== 0x0a)) line++
    }
    references.push({
      url: decodeCssEscapes(css.slice(ref.start, ref.end)),
      start: ref.start + offset,
      end: ref.end + offset,
      line,
      quote: ref.quote,
      context: { type: 'css', syntax: ref.syntax, origin },
    })
  }
  return references
}

/**
 * Rewrites the URLs {@link findCssReferences} finds: `replace` sees each
 * reference and returns the new URL, or `undefined` (or the same URL) to leave
 * it. The new URL is escaped for where it stands (inside `"…"`, `'…'`, or an
 * unquoted `url( )`), and replaces exactly the old URL's characters; every other
 * character stays as it was. Running it again with a `replace` that leaves
 * rewritten URLs alone changes nothing.
 *
 * `edits` are in document coordinates (the references' `start`/`end`, shifted
 * by `options.offset`), ready to merge with an HTML document's own edits;
 * `css` is the rewritten `css` argument itself.
 *
 * @example
 * rewriteCss('a{background:url(b.png)}', (ref) => `/ipfs/cid?filename=${ref.url}`, { origin: 'stylesheet' }).css
 * // 'a{background:url(/ipfs/cid?filename=b.png)}'
 */
export function rewriteCss(
  css: string,
  replace: (reference: Reference) => string | undefined,
  options: CssReferenceOptions,
): RewriteCssResult {
  const offset = options.offset ?? 0
  const edits: Edit[] = []
  for (const reference of findCssReferences(css, options)) {
    const next = replace(reference)
    if (next === undefined || next === reference.url) continue
    edits.push({ start: reference.start, end: reference.end, text: escapeCssUrl(next, reference.quote) })
  }
  if (edits.length === 0) return { css, edits }
  const local =
    offset === 0 ? edits : edits.map((e) => ({ ...e, start: e.start - offset, end: e.end - offset }))
  return { css: applyEdits(css, local), edits }
}
