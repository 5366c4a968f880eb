/**
 * Finds the places in a built JavaScript file that name an asset by URL, the
 * way bundlers write them, by source position (acorn's tokenizer, so strings,
 * templates, regular expressions and comments are told apart exactly):
 *
 * - `new URL("./photo-3f2a.png", import.meta.url)`: Vite (relative `base`),
 *   Rollup's `import.meta.ROLLUP_FILE_URL_*` and native ESM code. The string
 *   resolves against the script's own URL.
 * - `__webpack_require__.p + "photo-3f2a.png"` (minified `r.p+"…"`): webpack's
 *   asset modules. The string resolves against the public path, which for
 *   webpack's default `auto` is the script's folder.
 * - Any other string naming a root-relative (`"/assets/photo-3f2a.png"`,
 *   Vite's default), own-origin absolute, or explicitly relative
 *   (`"./photo-3f2a.png"`, esbuild's `file` loader) URL, or a bare relative
 *   path (`"photo-3f2a.png"`, @rollup/plugin-url). Whether it names a
 *   published file is for the caller to decide; most strings name none.
 *
 * It also tells whether the script can run from an IPFS gateway URL at all:
 * a script that imports other files by relative or root-relative specifiers,
 * reads `import.meta`, or finds its own URL through `document.currentScript`
 * (webpack's `publicPath: 'auto'`) would resolve them against the gateway,
 * where they do not exist.
 */
import { type Token as AcornToken, tokenizer, tokTypes } from 'acorn'

/** acorn's token; its declarations leave out the value it carries (a string's cooked text, a name). */
type Token = AcornToken & { value?: unknown }

/** How a script names an asset. */
export type ScriptSyntax = 'new-url' | 'public-path' | 'string'

/** One string in a script that may name an asset. */
export interface ScriptReference {
  /** The string's value (escapes resolved). */
  url: string
  /**
   * `[start, end)` to replace: the string's characters inside its quotes, or
   * for `public-path` the whole `x.p + "…"` expression including the quotes.
   */
  start: number
  end: number
  /** 1-based line of `start`. */
  line: number
  /** The string's quote; a template literal without substitutions is `` ` ``. */
  quote: '"' | "'" | '`'
  syntax: ScriptSyntax
}

/** What {@link scanScript} found. */
export interface ScriptScan {
  references: ScriptReference[]
  /** How many times `import.meta` appears (each `new URL(…, import.meta.url)` reference is one). */
  importMeta: number
  /** The script imports a module by a specifier that is not an absolute URL, or by a computed one. */
  relativeImports: boolean
  /** The script reads `document.currentScript` (to find its own URL). */
  currentScript: boolean
  /** The URL of its last `//# sourceMappingURL=` comment, if any. */
  sourceMappingUrl?: string
}

/** The script could not be tokenized (not JavaScript, or a syntax this parser does not know). */
export class ScriptSyntaxError extends Error {
  override name = 'ScriptSyntaxError'
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message)
  }
}

const SOURCE_MAPPING_URL = /^[#@]\s*sourceMappingURL=(\S+)\s*$/
/**
 * A URL a string may name a site file by: root-relative (not `//`), absolute
 * http(s), `./`/`../`, or a bare relative path with an extension
 * (`photo-3f2a.png`: @rollup/plugin-url with its default `publicPath`).
 */
const CANDIDATE =
  /^(?:\/(?!\/)|https?:\/\/|\.\.?\/|(?![a-z][a-z\d+.-]*:)[^\s/?#][^\s?#]*\.[a-z\d]+(?:[?#]\S*)?$)/i
/** A specifier that is an absolute URL (loaded from where it says, wherever the script runs). */
const ABSOLUTE_SPECIFIER = /^(?:[a-z][a-z\d+.-]*:|\/\/)/i

const STRING = tokTypes.string
const label = (t: Token | undefined) => t?.type.label
const isString = (t: Token | undefined) => label(t) === 'string'

function tokens(code: string, sourceType: 'module' | 'script', comments: string[]): Token[] {
  return [
    ...tokenizer(code, {
      ecmaVersion: 'latest',
      sourceType,
      allowHashBang: true,
      allowReturnOutsideFunction: true,
      allowImportExportEverywhere: true,
      allowAwaitOutsideFunction: true,
      locations: true,
      onComment: (block, text) => {
        if (!block) comments.push(text)
      },
    }),
  ]
}

/** The quote a string token starts with (a merged template starts with its backquote). */
const quoteOf = (code: string, t: Token): '"' | "'" | '`' => {
  const q = code[t.start]
  return q === "'" || q === '`' ? q : '"'
}

/**
 * The tokens with each template literal without substitutions (`` `…` ``:
 * backquote, template, backquote) made one string token spanning its quotes,
 * so that patterns match either kind of string (minifiers and Vite 8 write
 * templates).
 */
function mergeTemplates(list: Token[]): Token[] {
  const out: Token[] = []
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as Token
    const body = list[i + 1]
    const close = list[i + 2]
    if (label(t) === '`' && label(body) === 'template' && label(close) === '`' && body !== undefined) {
      out.push(
        Object.assign(Object.create(Object.getPrototypeOf(body)) as Token, body, {
          type: STRING,
          start: t.start,
          end: (close as Token).end,
          loc: t.loc,
        }),
      )
      i += 2
    } else out.push(t)
  }
  return out
}

/**
 * Scans a script (a module first; if that fails, a classic script) for asset
 * URLs and for what ties it to its own URL.
 *
 * @throws ScriptSyntaxError when it is neither
 */
export function scanScript(code: string): ScriptScan {
  let raw: Token[]
  let comments: string[] = []
  try {
    raw = tokens(code, 'module', comments)
  } catch {
    comments = []
    try {
      raw = tokens(code, 'script', comments)
    } catch (err) {
      const loc = (err as { loc?: { line: number } }).loc
      throw new ScriptSyntaxError((err as Error).message, loc?.line)
    }
  }

  const list = mergeTemplates(raw)
  const references: ScriptReference[] = []
  const taken = new Set<Token>()
  let importMeta = 0
  let relativeImports = false
  let currentScript = false
  const specifier = (t: Token | undefined) => {
    if (!isString(t) || !ABSOLUTE_SPECIFIER.test(String(t?.value))) relativeImports = true
  }
  /** `import.meta.url` at `j`, optionally behind `"" +` (Vite writes ``new URL(`…`, ``+import.meta.url)``): the index after it, or -1. */
  const importMetaUrl = (j: number): number => {
    if (isString(list[j]) && list[j]?.value === '' && list[j + 1]?.value === '+') j += 2
    const ok =
      list[j]?.type.keyword === 'import' &&
      label(list[j + 1]) === '.' &&
      list[j + 2]?.value === 'meta' &&
      label(list[j + 3]) === '.' &&
      list[j + 4]?.value === 'url'
    return ok ? j + 5 : -1
  }

  for (let i = 0; i < list.length; i++) {
    const t = list[i] as Token
    const next = list[i + 1]
    const kind = label(t)
    if (t.type.keyword === 'import') {
      if (label(next) === '.') {
        importMeta++
        continue
      }
      // import("x") and import "x"; `import … from "x"` is the `from` case.
      const spec = label(next) === '(' ? list[i + 2] : isString(next) ? next : undefined
      if (spec !== undefined) {
        specifier(spec)
        taken.add(spec)
      }
      continue
    }
    if (kind === 'name' && t.value === 'from' && isString(next)) {
      specifier(next)
      taken.add(next as Token)
      continue
    }
    if (kind === 'name' && t.value === 'currentScript' && label(list[i - 1]) === '.') currentScript = true

    // new URL("…", import.meta.url)
    if (
      t.type.keyword === 'new' &&
      next?.value === 'URL' &&
      label(list[i + 2]) === '(' &&
      isString(list[i + 3]) &&
      label(list[i + 4]) === ',' &&
      importMetaUrl(i + 5) !== -1
    ) {
      const s = list[i + 3] as Token
      references.push(stringReference(code, s, 'new-url'))
      taken.add(s)
      continue
    }
    // x.p + "…" (webpack's public path)
    if (
      kind === 'name' &&
      label(next) === '.' &&
      list[i + 2]?.value === 'p' &&
      label(list[i + 2]) === 'name' &&
      list[i + 3]?.value === '+' &&
      isString(list[i + 4]) &&
      label(list[i - 1]) !== '.'
    ) {
      const s = list[i + 4] as Token
      references.push({
        url: String(s.value),
        start: t.start,
        end: s.end,
        line: t.loc?.start.line ?? 1,
        quote: quoteOf(code, s),
        syntax: 'public-path',
      })
      taken.add(s)
      continue
    }
    if (!taken.has(t) && kind === 'string' && CANDIDATE.test(String(t.value))) {
      references.push(stringReference(code, t, 'string'))
    }
  }

  const mapping = comments
    .map((c) => SOURCE_MAPPING_URL.exec(c)?.[1])
    .filter((u): u is string => u !== undefined)
    .at(-1)
  // A string spanning lines (a line continuation) is left alone: a source map could not follow it.
  const single = references.filter((r) => !/[\n\r\u2028\u2029]/.test(code.slice(r.start, r.end)))
  return {
    references: single,
    importMeta,
    relativeImports,
    currentScript,
    ...(mapping === undefined ? {} : { sourceMappingUrl: mapping }),
  }
}

/** A string token's reference: its characters inside the quotes. */
function stringReference(code: string, t: Token, syntax: ScriptSyntax): ScriptReference {
  return {
    url: String(t.value),
    start: t.start + 1,
    end: t.end - 1,
    line: t.loc?.start.line ?? 1,
    quote: quoteOf(code, t),
    syntax,
  }
}

/**
 * `text` as the body of a string literal quoted with `quote`: backslashes,
 * the quote, line terminators and (in a template) `${` escaped.
 */
export function escapeScriptString(text: string, quote: '"' | "'" | '`'): string {
  let out = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
  out = out.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
  out = out.split(quote).join(`\\${quote}`)
  return quote === '`' ? out.replace(/\$\{/g, '\\${') : out
}
