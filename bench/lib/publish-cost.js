/**
 * The rewrite's cost as `p2pcdn publish` sees it: the built CLI run on a site
 * with the rewrite (`--gateway`) and without (`--no-rewrite`), each into a
 * fresh output folder, without the cache, best of `runs` each, alternating.
 */

import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runTimed } from './proc.js'

const PARSE5_CHILD = fileURLToPath(new URL('parse5-child.js', import.meta.url))

/** Best wall time (ms) of `p2pcdn publish <siteDir>` with and without the rewrite, and their difference. */
export async function publishCost({ repo, siteDir, runs }) {
  const cli = path.join(repo, 'dist/cli/bin.js')
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-rewrite-bench-'))
  const common = ['--origin', 'https://example.com', '--no-cache', '--no-push']
  const best = { rewrite: Number.POSITIVE_INFINITY, noRewrite: Number.POSITIVE_INFINITY }
  try {
    for (let run = 0; run < runs; run++) {
      for (const variant of ['noRewrite', 'rewrite']) {
        const out = path.join(scratch, `out-${variant}-${run}`)
        const flags = variant === 'rewrite' ? ['--gateway', 'https://gw.example.com'] : ['--no-rewrite']
        // The scratch folder as working folder: no p2pcdn.config.* of the repository is picked up.
        const { ms } = await runTimed(
          process.execPath,
          [cli, 'publish', siteDir, '--out', out, ...common, ...flags],
          {
            cwd: scratch,
          },
        )
        best[variant] = Math.min(best[variant], ms)
        await fs.rm(out, { recursive: true, force: true })
      }
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true })
  }
  return {
    withRewriteMs: best.rewrite,
    withoutRewriteMs: best.noRewrite,
    rewriteMs: best.rewrite - best.noRewrite,
  }
}

/**
 * parse5 as a publish would pay for it: a fresh process reading the site's pages and parsing
 * and serialising each once, minus the same process only reading them; best of `runs`, alternating.
 */
export function parse5ColdCost({ siteDir, pages, runs }) {
  const best = { parse: Number.POSITIVE_INFINITY, read: Number.POSITIVE_INFINITY }
  for (let run = 0; run < runs; run++) {
    for (const mode of ['read', 'parse']) {
      const started = performance.now()
      const child = spawnSync(process.execPath, [PARSE5_CHILD, siteDir, `--${mode}`], {
        input: pages.join('\n'),
      })
      if (child.status !== 0) throw new Error(`parse5-child.js exited with ${child.status}: ${child.stderr}`)
      best[mode] = Math.min(best[mode], performance.now() - started)
    }
  }
  return best.parse - best.read
}
