/**
 * Images referenced only from JavaScript (`import photo from './photo.png'`,
 * `new URL('./badge.png', import.meta.url)`), through each bundler's real
 * production build of `fixtures/apps/gallery` with its usual page setup
 * (see gallery-builds.ts): the built scripts name the images by IPFS links
 * whose CIDs are the emitted files', the fallback runtime knows their origin
 * paths, the page loads the runtime, and the entry script, which imports a
 * lazy chunk by a relative URL, stays on the origin.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cidOfPath, RUNTIME_DATA_FILE } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'
import { type Bundler, buildGallery, EMITS_BADGE } from './gallery-builds.js'
import { expectPublished, listFiles, PLUGIN_OPTIONS } from './helpers.js'

const temps = tempDirs()
afterEach(() => temps.cleanup())

const BUNDLERS: Bundler[] = ['vite', 'webpack', 'rollup', 'esbuild']

describe.each(BUNDLERS)('%s: assets referenced from JavaScript', (bundler) => {
  it('get IPFS links with the emitted files’ CIDs, and an origin fallback', async () => {
    const outDir = await buildGallery(bundler, await temps.make(`gallery-${bundler}`), PLUGIN_OPTIONS)
    const manifest = await expectPublished(outDir)
    const files = await listFiles(outDir)
    const images = files.filter((f) => /(photo|badge)-[^/]+\.png$/.test(f))
    expect(images.filter((f) => /photo-/.test(f))).toHaveLength(1)
    expect(images.some((f) => /badge-/.test(f))).toBe(EMITS_BADGE[bundler])

    const scripts = await Promise.all(
      files
        .filter((f) => f.endsWith('.js') && !f.startsWith('p2pcdn-'))
        .map((f) => fs.readFile(path.join(outDir, f), 'utf8')),
    )
    const code = scripts.join('\n')
    const fallback = JSON.parse(await fs.readFile(path.join(outDir, RUNTIME_DATA_FILE), 'utf8')) as {
      assets: Record<string, string>
    }
    for (const image of images) {
      // The CID of the file as it is on disk, computed independently of publish.
      const cid = (await cidOfPath(path.join(outDir, image))).toString()
      expect(manifest.assets.find((a) => a.path === image)?.cid).toBe(cid)
      expect(code).toContain(`https://gateway.example.com/ipfs/${cid}?filename=${path.posix.basename(image)}`)
      expect(fallback.assets[cid], image).toBe(image)
      // No script names the image by its origin path any more.
      expect(code).not.toMatch(
        new RegExp(`["'\`](\\.?/)?(assets/)?${path.posix.basename(image).replace(/[.$]/g, '\\$&')}["'\`]`),
      )
    }

    const page = await fs.readFile(path.join(outDir, 'index.html'), 'utf8')
    // The runtime first in <head>, from the origin.
    expect(page).toMatch(/<head><script src="p2pcdn-fallback\.js"><\/script>/)
    // The entry imports its lazy chunk by a relative URL (esbuild inlines it), or finds its own URL
    // (webpack): from an IPFS link neither would resolve, so the page loads it from the origin.
    const entry = /<script[^>]*\bsrc="?([^" >]+\.js)"?[^>]*><\/script>/g
    const sources = [...page.matchAll(entry)].map((m) => m[1]).filter((s) => s !== 'p2pcdn-fallback.js')
    expect(sources).toHaveLength(1)
    if (bundler === 'esbuild') {
      // esbuild's bundle still reads import.meta.url (for the badge it does not process).
      expect(sources[0]).toBe('main.js')
    } else expect(sources[0]).not.toMatch(/ipfs/)
  })
})

it('a portable script (no relative imports) is itself loaded by its IPFS link with SRI', async () => {
  // The basic app's entry imports nothing at run time: Vite links it by CID (see vite.test.ts);
  // here the same for esbuild, whose bundle of the gallery without its lazy chunk is portable.
  const app = await temps.make('gallery-portable')
  const outDir = await buildGallery('esbuild', app, PLUGIN_OPTIONS, {
    main: "import photo from './photo.png'\nconst img = new Image()\nimg.src = photo\ndocument.body.append(img)\n",
  })
  const manifest = await expectPublished(outDir)
  const main = manifest.assets.find((a) => a.path === 'main.js')
  expect(main).toBeDefined()
  const page = await fs.readFile(path.join(outDir, 'index.html'), 'utf8')
  expect(page).toContain(`src="https://gateway.example.com/ipfs/${main?.cid}?filename=main.js"`)
  expect(page).toContain(`integrity="${main?.integrity}"`)
  expect(page).toContain('data-p2pcdn-src="main.js"')
})
