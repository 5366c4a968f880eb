/**
 * Deterministic, fast test data: the bytes come from an AES-128-CTR keystream
 * keyed by a seed string, so the same seed always gives the same files
 * (several GB/s, no JS-side PRNG in the hot path) and the content does not
 * compress or deduplicate.
 */
import { createCipheriv, createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'

const CHUNK = 8 << 20

/** A keystream of pseudo-random bytes for `seed`; call `next(n)` repeatedly. */
export function byteStream(seed) {
  const key = createHash('sha256').update(String(seed)).digest()
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32))
  let zeros = Buffer.alloc(0)
  return {
    next(n) {
      if (zeros.length < n) zeros = Buffer.alloc(n)
      return cipher.update(zeros.subarray(0, n))
    },
  }
}

/** `size` pseudo-random bytes for `seed`. */
export const bytesFor = (seed, size) => byteStream(seed).next(size)

/** Writes one large file of `size` bytes, flushed to disk. */
export async function writeLargeFile(file, size, seed) {
  await fs.mkdir(path.dirname(file), { recursive: true })
  const stream = byteStream(seed)
  const handle = await fs.open(file, 'w')
  try {
    for (let left = size; left > 0; left -= CHUNK) await handle.write(stream.next(Math.min(CHUNK, left)))
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function eachLimit(items, limit, task) {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      await task(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

const ASSET_KINDS = [
  { folder: 'assets/js', ext: 'js' },
  { folder: 'assets/css', ext: 'css' },
  { folder: 'assets/img', ext: 'png' },
  { folder: 'assets/fonts', ext: 'woff2' },
  { folder: 'assets/media', ext: 'webp' },
]
const PAGE_SECTIONS = ['blog', 'docs', 'guides', 'news', 'shop']
const WORDS =
  'peer content address block gateway origin asset cache page site node pin link hash root chunk file folder stream'.split(
    ' ',
  )

/** A small xorshift PRNG for the page text (the pages are few and small). */
function prng(seed) {
  let x = createHash('sha256').update(String(seed)).digest().readUInt32LE(0) || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

function pageHtml(index, assetPaths, rand) {
  const pick = () => assetPaths[Math.floor(rand() * assetPaths.length)]
  const paragraphs = []
  const count = 20 + Math.floor(rand() * 60)
  for (let p = 0; p < count; p++) {
    const words = Array.from(
      { length: 30 + Math.floor(rand() * 40) },
      () => WORDS[Math.floor(rand() * WORDS.length)],
    )
    paragraphs.push(`    <p>${words.join(' ')}.</p>`)
  }
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Page ${index}</title>
    <link rel="stylesheet" href="/${pick()}">
    <script type="module" src="/${pick()}"></script>
  </head>
  <body>
    <h1>Page ${index}</h1>
    <img src="/${pick()}" alt="">
${paragraphs.join('\n')}
  </body>
</html>
`
}

/**
 * Writes a site: `assets` files of `assetSize` bytes spread over five
 * `assets/*` folders, and `pages` HTML pages (a few KB each) spread over five
 * `pages/*` folders. Returns the relative paths and total bytes.
 */
export async function generateSite(dir, { assets, pages, assetSize, seed }) {
  const assetPaths = Array.from({ length: assets }, (_, i) => {
    const kind = ASSET_KINDS[i % ASSET_KINDS.length]
    return `${kind.folder}/asset-${String(i).padStart(5, '0')}.${kind.ext}`
  })
  const pagePaths = Array.from(
    { length: pages },
    (_, i) => `pages/${PAGE_SECTIONS[i % PAGE_SECTIONS.length]}/page-${String(i).padStart(4, '0')}.html`,
  )
  for (const folder of [...ASSET_KINDS.map((k) => k.folder), ...PAGE_SECTIONS.map((s) => `pages/${s}`)]) {
    await fs.mkdir(path.join(dir, folder), { recursive: true })
  }
  const stream = byteStream(`${seed}:assets`)
  const contents = assetPaths.map(() => stream.next(assetSize))
  let bytes = 0
  await eachLimit(assetPaths, 32, async (p, i) => {
    await fs.writeFile(path.join(dir, p), contents[i])
    bytes += assetSize
  })
  const rand = prng(`${seed}:pages`)
  const html = pagePaths.map((_, i) => pageHtml(i, assetPaths, rand))
  await eachLimit(pagePaths, 32, async (p, i) => {
    await fs.writeFile(path.join(dir, p), html[i])
    bytes += Buffer.byteLength(html[i])
  })
  return { assetPaths, pagePaths, files: assetPaths.length + pagePaths.length, bytes }
}

/** Overwrites one file with new bytes of the same size (so only its content and mtime change). */
export async function changeFile(file, seed) {
  const { size } = await fs.stat(file)
  await fs.writeFile(file, bytesFor(seed, size))
}
