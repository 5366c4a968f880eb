/**
 * The rewrite bench's corpora: the paper's Apple snapshot, generated pages,
 * and real documentation sites from Debian's HTML packages. Each is a list of
 * pages ({ html, path, assets, origins }) for `rewriteHtml`, and a site folder
 * for `p2pcdn publish`; an absent corpus is returned as `{ name, absent }`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'

const CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const INTEGRITY = `sha256-${'A'.repeat(43)}=`
const published = () => ({ cid: CID, integrity: INTEGRITY })

/** Debian packages that ship a documentation site as HTML, and where. */
export const DEBIAN_DOCS = [
  { name: 'Python 3.11 docs', packageName: 'python3.11-doc', dir: '/usr/share/doc/python3.11/html' },
  { name: 'Git docs', packageName: 'git-doc', dir: '/usr/share/doc/git-doc' },
  {
    name: 'Debian Reference',
    packageName: 'debian-reference-en',
    dir: '/usr/share/doc/debian-reference-en/docs',
  },
]

/** A generated page of about 13 KB with images, srcset, styles and scripts. */
function generatedPage(i) {
  const items = Array.from(
    { length: 40 },
    (_, j) =>
      `<li class="item"><img src="img/p${i}-${j}.png" srcset="img/p${i}-${j}.png 1x, img/p${i}-${j}@2x.png 2x" alt="Item ${j} &amp; more"><p style="background:url(img/bg${j}.png)">Text ${j} — ${'lorem ipsum '.repeat(12)}</p></li>`,
  ).join('\n')
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Page ${i}</title><link rel="stylesheet" href="css/site.css"><style>.hero{background-image:url(img/hero.png)}</style></head>\n<body><ul>\n${items}\n</ul><script src="js/app.js"></script></body></html>\n`
}

/** Site paths of the assets a generated page names (srcset candidates included). */
function generatedAssets(html, documentPath) {
  const paths = new Set()
  for (const m of html.matchAll(/[\w@/.-]+\.(?:png|css|js)\b/g)) {
    paths.add(path.posix.normalize(path.posix.join(path.posix.dirname(documentPath), m[0])))
  }
  return paths
}

/** The paper's Apple snapshot (../shared/seed-data), `copies` times, as in the paper's speed test. */
export function appleCorpus(repo, copies) {
  const dir = path.resolve(repo, '../shared/seed-data/speedtest-site')
  const name = 'Apple snapshot'
  if (!existsSync(path.join(dir, 'apple-cdn.html'))) return { name, absent: `${dir} is absent` }
  const html = readFileSync(path.join(dir, 'apple-cdn.html'), 'utf8')
  const out = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8'))
  const assets = new Map(Object.keys(out).map((url) => [new URL(url).pathname.slice(1), published()]))
  const page = { html, path: 'index.html', assets, origins: ['https://www.apple.com'] }
  return { name, pages: Array.from({ length: copies }, () => page), siteDir: dir }
}

/** `count` generated pages in ten folders; `writeSite` puts them and every asset they name in a folder. */
export function generatedCorpus(count) {
  const pages = Array.from({ length: count }, (_, i) => {
    const html = generatedPage(i)
    const documentPath = `section${i % 10}/page${i}.html`
    const assets = new Map([...generatedAssets(html, documentPath)].map((p) => [p, published()]))
    return { html, path: documentPath, assets, origins: [] }
  })
  const writeSite = async (dir) => {
    for (const page of pages) {
      for (const file of [page.path, ...page.assets.keys()]) {
        await fs.mkdir(path.join(dir, path.dirname(file)), { recursive: true })
        await fs.writeFile(path.join(dir, file), file === page.path ? page.html : `asset ${file}\n`)
      }
    }
  }
  return { name: `${count} generated pages`, pages, writeSite }
}

/** Every file under `dir` (symlinks followed), as `/`-separated paths relative to it. */
function filesUnder(dir) {
  const files = []
  const walk = (sub) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? entry.name : `${sub}/${entry.name}`
      const full = path.join(dir, rel)
      if (entry.isDirectory() || (entry.isSymbolicLink() && existsSync(full) && isDirectory(full))) walk(rel)
      else files.push(rel)
    }
  }
  walk('')
  return files.sort()
}

function isDirectory(file) {
  try {
    return readdirSync(file) !== undefined
  } catch {
    return false
  }
}

/** A Debian documentation site: its HTML pages (at most `limit`), every file of it published. */
export function debianCorpus({ name, packageName, dir }, limit = Number.POSITIVE_INFINITY) {
  if (!existsSync(dir)) return { name, absent: `${dir} is absent (apt-get install ${packageName})` }
  const files = filesUnder(dir)
  const assets = new Map(files.map((f) => [f, published()]))
  const pages = files
    .filter((f) => /\.html?$/i.test(f))
    .slice(0, limit)
    .map((f) => ({ html: readFileSync(path.join(dir, f), 'utf8'), path: f, assets, origins: [] }))
  return { name, pages, siteDir: dir }
}
