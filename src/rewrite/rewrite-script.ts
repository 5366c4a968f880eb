import { contentTypeOf } from '../manifest/write-manifest.js'
import type { Warning } from '../warnings.js'
import { applyEdits } from './apply-edits.js'
import { planReference, type RewriteContext } from './plan-reference.js'
import type { RewrittenReference } from './rewrite-stylesheet.js'
import {
  escapeScriptString,
  type ScriptReference,
  ScriptSyntaxError,
  scanScript,
} from './script-references.js'
import type { Edit } from './types.js'

export interface RewriteScriptResult {
  code: string
  /** The edits that turned the input into `code` (none spans a line break). */
  edits: Edit[]
  rewritten: RewrittenReference[]
  /** CIDs of strings that already were IPFS links (published before): the fallback runtime needs their paths. */
  linked: string[]
  /**
   * Whether the script still works when loaded from an IPFS link: it imports
   * no file by a relative or root-relative specifier, reads no `import.meta`
   * (after the rewrite) and does not look for its own URL through
   * `document.currentScript`. Pages keep a script that is not on the origin.
   */
  portable: boolean
  /** The `sourceMappingURL` of the script, if it has one. */
  sourceMappingUrl?: string
  warnings: Warning[]
}

/**
 * Files a script's IPFS links may point at: those an element displays or plays
 * (`<img>`, `<audio>`, `<video>`, CSS backgrounds), whose failure the fallback
 * runtime sees as an `error` event and answers with the origin URL. A `fetch()`
 * of JSON or WebAssembly has no such event, and scripts and stylesheets change
 * CID when rewritten, so they stay on the origin (the service worker, when
 * shipped, still serves them from the hosts).
 */
export function isMediaPath(path: string): boolean {
  return /^(image|audio|video)\//.test(contentTypeOf(path))
}

/** The documents a string may resolve against, in order. */
function documentsFor(reference: ScriptReference, documentPath: string): string[] {
  if (reference.syntax === 'new-url') return [documentPath]
  // Root-relative and absolute URLs resolve the same from anywhere.
  if (/^(?:\/|[a-z][a-z\d+.-]*:)/i.test(reference.url)) return [documentPath]
  // Relative to the page that runs the script, which is not known: the script's folder (webpack's
  // `publicPath: 'auto'`, pages beside their bundle), then the site root (pages at the root).
  return [documentPath, 'index.html']
}

/**
 * Rewrites a built script's references to the site's images, audio and video
 * (see `scanScript` for the forms) into IPFS links. Pure: same input, same
 * output; only the strings' characters change (and webpack's `x.p + "…"`
 * becomes one string); a second run changes nothing. Strings that name no
 * published media file are left alone without a warning: most strings in a
 * script are not URLs of the site.
 */
export function rewriteScript(code: string, context: RewriteContext): RewriteScriptResult {
  let scan: ReturnType<typeof scanScript>
  try {
    scan = scanScript(code)
  } catch (err) {
    if (!(err instanceof ScriptSyntaxError)) throw err
    return {
      code,
      edits: [],
      rewritten: [],
      linked: [],
      portable: false,
      warnings: [
        {
          code: 'W_SCRIPT_SYNTAX',
          message: `could not be parsed as JavaScript (${err.message}), so its asset URLs stay on the origin and the script is not moved to IPFS.`,
          path: context.documentPath,
          ...(err.line === undefined ? {} : { line: err.line }),
        },
      ],
    }
  }
  const edits: Edit[] = []
  const rewritten: RewrittenReference[] = []
  const linked: string[] = []
  let importMetaLeft = scan.importMeta
  for (const reference of scan.references) {
    for (const documentPath of documentsFor(reference, context.documentPath)) {
      const plan = planReference(reference, { ...context, documentPath })
      if (plan.action === 'keep' && plan.linked !== undefined) {
        // Already an IPFS link (published before).
        linked.push(plan.linked)
        if (reference.syntax === 'new-url') importMetaLeft--
        break
      }
      if (plan.action !== 'rewrite' || !isMediaPath(plan.path)) continue
      const literal = escapeScriptString(plan.url, reference.quote)
      edits.push({
        start: reference.start,
        end: reference.end,
        text: reference.syntax === 'public-path' ? `${reference.quote}${literal}${reference.quote}` : literal,
      })
      rewritten.push({ url: plan.url, path: plan.path, line: reference.line, css: false })
      if (reference.syntax === 'new-url') importMetaLeft--
      break
    }
  }
  return {
    code: applyEdits(code, edits),
    edits,
    rewritten,
    linked,
    portable: !scan.relativeImports && !scan.currentScript && importMetaLeft === 0,
    ...(scan.sourceMappingUrl === undefined ? {} : { sourceMappingUrl: scan.sourceMappingUrl }),
    warnings: [],
  }
}
