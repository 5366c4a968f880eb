#!/usr/bin/env node
/**
 * Rewrite benchmark (`npm run bench` runs it after the publish bench), or
 *
 *   node bench/rewrite.js [--quick] [--no-publish]
 *
 * The HTML rewrite's speed against a plain parse5 parse + serialise of the
 * same pages, measured in the same run, on the paper's Apple snapshot
 * (../shared/seed-data), 500 generated pages, and real documentation sites
 * from Debian's HTML packages (python3.11-doc, git-doc, debian-reference-en);
 * an absent corpus is named and skipped. Two figures per corpus:
 *
 * - `rewriteHtml` (find references by source position, resolve, splice) over
 *   the pages in memory, best of runs;
 * - the rewrite as `p2pcdn publish` sees it: the built CLI with `--gateway`
 *   minus the same with `--no-rewrite` (fresh output, no cache, best of runs).
 *
 * Target (issue 15): at least 2× faster than parse5. Writes
 * bench/results/rewrite.json (rewrite.quick.json with --quick).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { parse, serialize } from 'parse5'
import { parse5ColdCost, publishCost } from './lib/publish-cost.js'
import { appleCorpus, DEBIAN_DOCS, debianCorpus, generatedCorpus } from './lib/rewrite-corpora.js'
import { REPO } from './lib/runners.js'

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, 'no-publish': { type: 'boolean', default: false } },
})
const { rewriteHtml } = await import(path.join(REPO, 'dist/src/index.js'))

const GATEWAY = 'https://gateway.example.com'
const TARGET = 2
const RUNS = flags.quick ? 2 : 5

/** Best of `runs` timings of `fn`, in ms. */
function time(runs, fn) {
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < runs; r++) {
    const t = performance.now()
    fn()
    best = Math.min(best, performance.now() - t)
  }
  return best
}

/** `rewriteHtml` over the corpus's pages beside parse5 parse + serialise of them. */
function measureInMemory(corpus) {
  const { pages } = corpus
  const contexts = pages.map((p) => ({
    documentPath: p.path,
    origins: p.origins,
    assets: p.assets,
    link: { format: 'path', gateway: GATEWAY },
  }))
  let rewritten = 0
  const oursMs = time(RUNS, () => {
    rewritten = 0
    for (const [i, p] of pages.entries()) rewritten += rewriteHtml(p.html, contexts[i]).rewritten.length
  })
  const referenceMs = time(RUNS, () => {
    for (const p of pages) serialize(parse(p.html))
  })
  const bytes = pages.reduce((n, p) => n + Buffer.byteLength(p.html), 0)
  const mbps = (ms) => bytes / 1e6 / (ms / 1000)
  const ratio = referenceMs / oursMs
  return {
    pages: pages.length,
    bytes,
    rewritten,
    oursMs,
    oursMBps: mbps(oursMs),
    referenceMs,
    referenceMBps: mbps(referenceMs),
    ratio,
    target: TARGET,
    pass: ratio >= TARGET,
  }
}

/**
 * The publish-level cost, on a copy of the corpus's site folder (symlinks followed: Debian's
 * docs link to /usr/share/javascript, outside the site), or the generated site written there.
 */
async function measurePublish(corpus, referenceMs) {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-rewrite-site-'))
  const siteDir = path.join(scratch, 'site')
  try {
    if (corpus.siteDir === undefined) await corpus.writeSite(siteDir)
    else await fs.cp(corpus.siteDir, siteDir, { recursive: true, dereference: true })
    const runs = flags.quick ? 1 : 3
    const cost = await publishCost({ repo: REPO, siteDir, runs })
    // Every page publish rewrites (the Apple folder holds two).
    const pages = (await fs.readdir(siteDir, { recursive: true })).filter((f) => /\.html?$/i.test(f))
    const coldReferenceMs = parse5ColdCost({ siteDir, pages, runs })
    return {
      ...cost,
      referenceMs,
      ratio: referenceMs / Math.max(cost.rewriteMs, 1),
      coldReferenceMs,
      coldRatio: coldReferenceMs / Math.max(cost.rewriteMs, 1),
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true })
  }
}

const corpora = [
  appleCorpus(REPO, flags.quick ? 5 : 20),
  generatedCorpus(flags.quick ? 50 : 500),
  ...DEBIAN_DOCS.map((doc) => debianCorpus(doc, flags.quick ? 60 : Number.POSITIVE_INFINITY)),
]
const results = []
for (const corpus of corpora) {
  if (corpus.absent) {
    console.log(`${corpus.name}: skipped, ${corpus.absent}`)
    continue
  }
  const result = { name: corpus.name, ...measureInMemory(corpus) }
  // Publish reads each page of the folder once: parse5's time for one copy of each page.
  const onePass = corpus.name === 'Apple snapshot' ? result.referenceMs / result.pages : result.referenceMs
  if (!flags['no-publish']) {
    try {
      result.publish = await measurePublish(corpus, onePass)
    } catch (error) {
      console.log(`${corpus.name}: publish not measured: ${String(error.message).split('\n')[0]}`)
    }
  }
  results.push(result)
}

console.log('p2pcdn rewrite benchmark: the HTML rewrite against parse5 parse + serialise of the same pages')
console.log('rewriteHtml (best of runs):')
console.log(
  'pages                        MB   ours ms  parse5 ms   ours MB/s  parse5 MB/s   ratio  target  result',
)
for (const r of results) {
  console.log(
    `${r.name.padEnd(24)} ${(r.bytes / 1e6).toFixed(1).padStart(6)} ${r.oursMs.toFixed(0).padStart(9)} ${r.referenceMs.toFixed(0).padStart(10)} ${r.oursMBps.toFixed(1).padStart(11)} ${r.referenceMBps.toFixed(1).padStart(12)} ${r.ratio.toFixed(2).padStart(6)}×  >= ${TARGET}×  ${r.pass ? 'PASS' : 'FAIL'}`,
  )
}
console.log(
  'publish (CLI, best of runs): with --gateway minus with --no-rewrite, beside parse5 over the same pages:',
)
console.log(
  '(parse5 warm: in this process, best of runs; cold: a fresh process reading and parsing each page once)',
)
console.log(
  'pages                    rewrite ms  no-rewrite ms  rewrite cost ms  parse5 warm ms   ratio  parse5 cold ms   ratio',
)
for (const r of results.filter((x) => x.publish)) {
  const p = r.publish
  console.log(
    `${r.name.padEnd(24)} ${p.withRewriteMs.toFixed(0).padStart(10)} ${p.withoutRewriteMs.toFixed(0).padStart(14)} ${p.rewriteMs.toFixed(0).padStart(16)} ${p.referenceMs.toFixed(0).padStart(15)} ${p.ratio.toFixed(2).padStart(6)}× ${p.coldReferenceMs.toFixed(0).padStart(15)} ${p.coldRatio.toFixed(2).padStart(6)}×`,
  )
}
const file = path.join(REPO, 'bench/results', flags.quick ? 'rewrite.quick.json' : 'rewrite.json')
await fs.mkdir(path.dirname(file), { recursive: true })
const machine = {
  node: process.version,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  loadavg: os.loadavg(),
}
await fs.writeFile(
  file,
  `${JSON.stringify({ benchmark: 'p2pcdn rewrite', date: new Date().toISOString(), machine, results }, null, 2)}\n`,
)
console.log(`results written to ${path.relative(REPO, file)}`)
