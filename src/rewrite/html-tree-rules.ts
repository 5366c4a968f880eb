/**
 * The element lists the HTML outline (html-outline.ts) follows tree construction by: which
 * elements are void or hold raw text, which break out of foreign content, bound a scope, or
 * are taken inside a `select`, a table or the head. From the HTML standard's tree construction
 * (https://html.spec.whatwg.org/multipage/parsing.html#tree-construction), as parse5 implements it.
 */
import { html as parse5Html } from 'parse5'

/** Void elements: never open. */
export const VOID = new Set(
  'area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr'.split(
    ' ',
  ),
)
/** Elements whose content is raw text or RCDATA (`noscript` as with scripting on). */
export const RAW_TEXT = new Set('script style title textarea xmp iframe noembed noframes noscript'.split(' '))
/** End tags a `select` does not ignore. */
export const SELECT_END_TAGS = new Set(['option', 'optgroup', 'select', 'template'])
/** Start tags that close a `select` in a table, and end tags read in table scope. */
export const TABLE_TAGS = new Set('caption table tbody tfoot thead tr td th'.split(' '))
/** Start tags ignored outside a table (or template). */
export const TABLE_PARTS = new Set('caption col colgroup tbody td tfoot th thead tr'.split(' '))
/** Start tags a `select` does not ignore. */
export const IN_SELECT = new Set('option optgroup hr script template input keygen textarea'.split(' '))
/** Start tags that end foreign content (`font` with color, face or size too). */
export const BREAKOUT = new Set(
  'b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var'.split(
    ' ',
  ),
)
/** MathML text integration points. */
export const MATHML_TEXT = new Set(['mi', 'mo', 'mn', 'ms', 'mtext'])
/** Elements that bound the table scope. */
export const TABLE_SCOPE = new Set(['html', 'table', 'template'])
/** HTML elements that bound the default scope. */
export const SCOPE = new Set('applet caption html table td th marquee object template'.split(' '))
/** Tag IDs of the special HTML elements, where "any other end tag" stops. */
export const SPECIAL = parse5Html.SPECIAL_ELEMENTS[parse5Html.NS.HTML]

/** Elements the head takes even after `</head>`; anything else implies the body. */
export const HEAD_CONTENT = new Set(
  'base basefont bgsound link meta noframes script style template title noscript'.split(' '),
)

/** ASCII lower case, U+0000 as U+FFFD, as the tokenizer reads names. */
export function lowerCase(name: string): string {
  const lower = /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : name
  return lower.includes('\0') ? lower.replace(/\0/g, '\uFFFD') : lower
}
