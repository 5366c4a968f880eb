import type { Warning } from '../warnings.js'
import { rewriteCss } from './css-references.js'
import { planReference, type RewriteContext } from './plan-reference.js'

/** A reference that was rewritten, for the manifest and the fallback runtime. */
export interface RewrittenReference {
  /** The IPFS link written. */
  url: string
  /** The site file it names. */
  path: string
  line: number
  /** Written in CSS (no element to carry a fallback: the runtime probes it). */
  css: boolean
}

export interface RewriteStylesheetResult {
  css: string
  rewritten: RewrittenReference[]
  /** Site paths of the stylesheets this one `@import`s (they must be rewritten first). */
  imports: string[]
  /** CIDs of references that already were IPFS links (published before). */
  linked: string[]
  warnings: Warning[]
}

/**
 * Rewrites a `.css` file's asset references (`url()`, `image-set()`,
 * `@import`, `@font-face src`) into IPFS links. Pure: same input, same output;
 * only the URLs' own characters change; a second run changes nothing.
 */
export function rewriteStylesheet(css: string, context: RewriteContext): RewriteStylesheetResult {
  const rewritten: RewrittenReference[] = []
  const imports: string[] = []
  const warnings: Warning[] = []
  const linked: string[] = []
  const result = rewriteCss(
    css,
    (reference) => {
      const plan = planReference(reference, context)
      if (plan.action === 'keep') {
        if (plan.warning) warnings.push(plan.warning)
        if (plan.linked) linked.push(plan.linked)
        return undefined
      }
      if (reference.context.type === 'css' && reference.context.syntax === 'import') imports.push(plan.path)
      rewritten.push({ url: plan.url, path: plan.path, line: reference.line, css: true })
      return plan.url
    },
    { origin: 'stylesheet' },
  )
  return { css: result.css, rewritten, imports, linked, warnings }
}
