import type { Warning } from '../warnings.js'
import { findCssReferences, rewriteCss } from './css-references.js'
import { planReference, type RewriteContext } from './plan-reference.js'
import { matchAsset, resolveReference } from './resolve-reference.js'

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
      rewritten.push({ url: plan.url, path: plan.path, line: reference.line, css: true })
      return plan.url
    },
    { origin: 'stylesheet' },
  )
  return { css: result.css, rewritten, linked, warnings }
}

/**
 * The site files a stylesheet `@import`s, as `context.assets` knows them: the
 * stylesheets that must be rewritten before this one.
 */
export function stylesheetImports(
  css: string,
  context: Pick<RewriteContext, 'documentPath' | 'origins' | 'assets'>,
): string[] {
  return findCssReferences(css, { origin: 'stylesheet' })
    .filter((r) => r.context.type === 'css' && r.context.syntax === 'import')
    .map((r) => resolveReference(r.url, { documentPath: context.documentPath, origins: context.origins }))
    .map((r) => matchAsset(r, (candidate) => context.assets.has(candidate)))
    .filter((d): d is string => d !== undefined)
}
