/**
 * The HTML finder's tokenizer: htmlparser2's `Tokenizer` (offsets only, no
 * entity decoding, no token objects), driven the way a tree builder drives
 * the HTML standard's tokenizer. The sink decides, at each start tag's `>`,
 * whether the element's content is raw text (`script`, `style`, `title`, …),
 * `plaintext` or markup, as the tree builder does after inserting it.
 *
 * Where htmlparser2 reads markup differently from the standard, the exact
 * reading comes from parse5's tokenizer (standard to the letter) on that
 * stretch only: the script data escape states (`<!--<script>` inside a
 * script), end tags whose attributes quote a `>`; and `<![CDATA[` outside
 * foreign content is a bogus comment up to the first `>`.
 */
import { Tokenizer as FastTokenizer } from 'htmlparser2'
import { Tokenizer as StandardTokenizer, type Token, TokenizerMode } from 'parse5'

/** How a start tag's content is read. */
export type ContentMode = 'markup' | 'raw' | 'plaintext'

/** What the tokenizer reports; offsets are UTF-16 indexes into the document. */
export interface TokenSink {
  /** Start tag `[start, end)`, from its `<` to after its `>`; `name` as written. Returns how its content reads. */
  startTag(
    name: string,
    start: number,
    end: number,
    selfClosing: boolean,
    styleAttribute: boolean,
  ): ContentMode
  /** End tag: its name as written, and the offset of its `<`. */
  endTag(name: string, start: number): void
  /** Text `[start, end)`, character references not decoded. */
  text(start: number, end: number): void
  /** A comment, bogus comment or doctype. */
  comment(): void
  /** A CDATA section's content `[start, end)`; only reported where the sink says it is in foreign content. */
  cdata(start: number, end: number): void
  /** Whether CDATA sections are read here (foreign content). */
  inForeignContent(): boolean
}

/** The tokenizer's fields this driver sets, which htmlparser2 declares private. */
interface TokenizerInternals {
  index: number
  sectionStart: number
  isSpecial: boolean
  currentSequence: Uint8Array
}

const SEQUENCES = new Map<string, Uint8Array>()

/** `</name` as the lower-case bytes htmlparser2 matches the end of raw text with. */
function endSequence(name: string): Uint8Array {
  let sequence = SEQUENCES.get(name)
  if (sequence === undefined) {
    sequence = Uint8Array.from(`</${name}`, (char) => char.charCodeAt(0))
    SEQUENCES.set(name, sequence)
  }
  return sequence
}

/**
 * Tokenizes `html` into `sink`, in source order.
 *
 * @example
 * tokenizeHtml('<p>a</p>', sink) // sink.startTag('p', 0, 3, false, false), sink.text(3, 4), sink.endTag('p', 4)
 */
export function tokenizeHtml(html: string, sink: TokenSink): void {
  let from = 0
  while (from >= 0) from = tokenizeFrom(html, from, sink)
}

/** Tokenizes from `from` to the end; returns where to start again (after a bogus `<![CDATA[` at the end), or -1. */
function tokenizeFrom(html: string, from: number, sink: TokenSink): number {
  let restart = -1
  let tagStart = 0
  let tagName = ''
  let styleAttribute = false
  /** Nothing after this point is markup (`<plaintext>`, or the end inside an end tag). */
  let stopped = false
  const stop = (): void => {
    stopped = true
    tokenizer.pause()
  }
  const tagEnd = (endIndex: number, selfClosing: boolean): void => {
    const mode = sink.startTag(tagName, tagStart, endIndex + 1, selfClosing, styleAttribute)
    const state = internals
    if (mode === 'markup') {
      state.isSpecial = false
      state.currentSequence = EMPTY
      return
    }
    if (mode === 'plaintext') {
      stop()
      return
    }
    const name = tagName.toLowerCase()
    state.isSpecial = true
    state.currentSequence = endSequence(name)
    if (name === 'script') {
      const end = scriptDataEnd(html, endIndex + 1)
      // The tokenizer resumes at `end - 1 + 1`: the `<` of the end tag that closes the script.
      if (end !== undefined) state.index = end - 1
    }
  }
  const tokenizer = new FastTokenizer(
    { decodeEntities: false },
    {
      onopentagname(start, end) {
        tagStart = start - 1
        tagName = html.slice(start, end)
        styleAttribute = false
      },
      onattribname(start, end) {
        if (end - start === 5 && html.slice(start, end).toLowerCase() === 'style') styleAttribute = true
      },
      onattribdata() {},
      onattribentity() {},
      onattribend() {},
      onopentagend: (endIndex) => tagEnd(endIndex, false),
      onselfclosingtag: (endIndex) => tagEnd(endIndex, true),
      onclosetag(start, end) {
        sink.endTag(html.slice(start, end), start - 2)
        const code = html.charCodeAt(end)
        if (code !== 0x3e) {
          const gt = endTagEnd(html, start - 2)
          // htmlparser2 skips to the first `>`; the standard reads attributes, quotes and all,
          // and an end tag the document ends inside takes the rest with it.
          if (gt !== undefined) internals.index = gt - 1
          else stop()
        }
      },
      ontext: (start, end) => sink.text(start, end),
      ontextentity() {},
      oncomment(start, end) {
        // An unterminated `<![CDATA[`: in foreign content a CDATA section to the end, outside a bogus
        // comment up to the first `>`.
        if (end === html.length && html.startsWith('[CDATA[', start)) {
          if (sink.inForeignContent()) return sink.cdata(start + 7, end)
          const gt = html.indexOf('>', start)
          if (gt >= 0) restart = gt + 1
        }
        sink.comment()
      },
      oncdata(start, end) {
        if (sink.inForeignContent()) {
          sink.cdata(start, end - 2)
          return
        }
        sink.comment()
        // Outside foreign content `<![CDATA[` opens a bogus comment, which the first `>` closes.
        const gt = html.indexOf('>', start)
        if (gt < end) internals.index = gt
      },
      ondeclaration: () => sink.comment(),
      onprocessinginstruction: () => sink.comment(),
      onend() {},
    },
  )
  const internals = tokenizer as unknown as TokenizerInternals
  if (from > 0) {
    internals.index = from
    internals.sectionStart = from
  }
  tokenizer.write(html)
  if (stopped) return -1
  tokenizer.end()
  return restart
}

const EMPTY = new Uint8Array(0)

const NOOP = (): void => {}

/** A parse5 tokenizer that reports only its first end tag's location. */
function firstEndTag(html: string, from: number, state: number): Token.Location | undefined {
  let location: Token.Location | undefined
  const tokenizer = new StandardTokenizer(
    { sourceCodeLocationInfo: true },
    {
      onEndTag(token) {
        location ??= token.location ?? undefined
        tokenizer.pause()
      },
      onStartTag: NOOP,
      onComment: NOOP,
      onDoctype: NOOP,
      onEof: NOOP,
      onCharacter: NOOP,
      onNullCharacter: NOOP,
      onWhitespaceCharacter: NOOP,
    },
  )
  tokenizer.state = state
  tokenizer.lastStartTagName = 'script'
  tokenizer.write(html.slice(from), true)
  return location
}

/**
 * Where a script's content ends (the `<` of its end tag), when the script data
 * escape states put it elsewhere than htmlparser2's first `</script`; else `undefined`.
 */
function scriptDataEnd(html: string, from: number): number | undefined {
  const naive = /<\/script[\t\n\f\r />]/gi
  naive.lastIndex = from
  const found = naive.exec(html)
  const naiveEnd = found === null ? html.length : found.index
  if (!html.slice(from, naiveEnd).includes('<!--')) return
  const location = firstEndTag(html, from, TokenizerMode.SCRIPT_DATA)
  const end = location === undefined ? html.length : from + location.startOffset
  return end === naiveEnd ? undefined : end
}

/** The offset of the `>` that ends the end tag starting at `start`, as the standard reads it. */
function endTagEnd(html: string, start: number): number | undefined {
  const location = firstEndTag(html, start, TokenizerMode.DATA)
  return location === undefined ? undefined : start + location.endOffset - 1
}
