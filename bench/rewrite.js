#!/usr/bin/env node
/**
 * Rewrite benchmark (`npm run bench` runs it after the publish bench), or
 *
 *   node bench/rewrite.js [--quick]
 *
 * Rewrite throughput of `rewriteHtml` (find references by source position,
 * resolve, splice) on the paper's Apple snapshot (../shared/seed-data, said
 * and skipped when absent) and on 500 generated pages, in MB/s, beside a plain
 * parse5 parse-and-serialise of the same pages in the same run. Target: at
 * least 2× that reference. Writes bench/results/rewrite.json.
 */
import { existsSync, readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { parse, serialize } from 'parse5'
import { REPO } from './lib/runners.js'

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
const { rewriteHtml } = await import(path.join(REPO, 'dist/src/index.js'))

const GATEWAY = 'https://gateway.example.com'
const CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const TARGET = 2

/** A generated page of about 20 KB with images, srcset, styles and scripts. */
function page(i) {
  const items = Array.from(
    { length: 40 },
    (_, j) =>
      `<li class="item"><img src="img/p${i}-${j}.png" srcset="img/p${i}-${j}.png 1x, img/p${i}-${j}@2x.png 2x" alt="Item ${j} &amp; more"><p style="background:url(img/bg${j}.png)">Text ${j} — ${'lorem ipsum '.repeat(12)}</p></li>`,
  ).join('\n')
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Page ${i}</title><link rel="stylesheet" href="css/site.css"><style>.hero{background-image:url(img/hero.png)}</style></head>\n<body><ul>\n${items}\n</ul><script src="js/app.js"></script></body></html>\n`
}

function assetsFor(html, documentPath) {
  const assets = new Map()
  for (const m of html.matchAll(/(?:src|href|url\()=?"?([^")\s]+\.(?:png|css|js))/g)) {
    assets.set(path.posix.normalize(path.posix.join(path.posix.dirname(documentPath), m[1])), {
      cid: CID,
      integrity: `sha256-${'A'.repeat(43)}=`,
    })
  }
  return assets
}

/** Best of `runs` timings of `fn` over all pages, in ms. */
function time(runs, fn) {
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < runs; r++) {
    const t = performance.now()
    fn()
    best = Math.min(best, performance.now() - t)
  }
  return best
}

async function measure(name, pages, origins) {
  const bytes = pages.reduce((n, p) => n + Buffer.byteLength(p.html), 0)
  const contexts = pages.map((p) => ({
    documentPath: p.path,
    origins,
    assets: p.assets,
    link: { format: 'path', gateway: GATEWAY },
  }))
  let rewritten = 0
  const runs = flags.quick ? 2 : 5
  const ours = time(runs, () => {
    rewritten = 0
    for (const [i, p] of pages.entries()) rewritten += rewriteHtml(p.html, contexts[i]).rewritten.length
  })
  const reference = time(runs, () => {
    for (const p of pages) serialize(parse(p.html))
  })
  const mbps = (ms) => bytes / 1e6 / (ms / 1000)
  const ratio = reference / ours
  return {
    name,
    pages: pages.length,
    bytes,
    rewritten,
    oursMs: ours,
    oursMBps: mbps(ours),
    referenceMs: reference,
    referenceMBps: mbps(reference),
    ratio,
    target: TARGET,
    pass: ratio >= TARGET,
  }
}

const results = []
const seed = path.resolve(REPO, '../shared/seed-data/speedtest-site/apple-cdn.html')
if (existsSync(seed)) {
  const html = readFileSync(seed, 'utf8')
  const out = JSON.parse(readFileSync(path.join(path.dirname(seed), 'out.json'), 'utf8'))
  const assets = new Map(
    Object.entries(out).map(([url, cid]) => [
      new URL(url).pathname.slice(1),
      { cid, integrity: `sha256-${'A'.repeat(43)}=` },
    ]),
  )
  const copies = flags.quick ? 5 : 20
  results.push(
    await measure(
      'Apple snapshot',
      Array.from({ length: copies }, () => ({ html, path: 'index.html', assets })),
      ['https://www.apple.com'],
    ),
  )
} else {
  console.log('Apple snapshot: skipped, ../shared/seed-data/speedtest-site is absent')
}
const count = flags.quick ? 50 : 500
results.push(
  await measure(
    `${count} generated pages`,
    Array.from({ length: count }, (_, i) => {
      const html = page(i)
      const p = `section${i % 10}/page${i}.html`
      return { html, path: p, assets: assetsFor(html, p) }
    }),
    [],
  ),
)

console.log(
  'p2pcdn rewrite benchmark: rewriteHtml against parse5 parse + serialise of the same pages (best of runs)',
)
console.log('pages                      MB     ours MB/s   parse5 MB/s   ratio   target  result')
for (const r of results) {
  console.log(
    `${r.name.padEnd(24)} ${(r.bytes / 1e6).toFixed(1).padStart(6)} ${r.oursMBps.toFixed(1).padStart(12)} ${r.referenceMBps.toFixed(1).padStart(13)} ${r.ratio.toFixed(2).padStart(6)}×  >= ${TARGET}×  ${r.pass ? 'PASS' : 'FAIL'}`,
  )
}
const file = path.join(REPO, 'bench/results', flags.quick ? 'rewrite.quick.json' : 'rewrite.json')
await fs.mkdir(path.dirname(file), { recursive: true })
await fs.writeFile(
  file,
  `${JSON.stringify({ benchmark: 'p2pcdn rewrite', date: new Date().toISOString(), machine: { node: process.version, cpus: (await import('node:os')).cpus().length, cpu: (await import('node:os')).cpus()[0]?.model }, results }, null, 2)}\n`,
)
console.log(`results written to ${path.relative(REPO, file)}`)
