import fs from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'vitest'
import { CAR_FILE, cidOfPath, IPNS_RECORD_FILE, MANIFEST_FILE, type Manifest } from '../../src/index.js'
import { copyTree, ROOT, tempDirs } from '../helpers/fs.js'

export const BASIC_APP = path.join(ROOT, 'fixtures/apps/basic')

/** The options every plugin test publishes with: offline, no persistent cache. */
export const PLUGIN_OPTIONS = {
  gateway: 'https://gateway.example.com',
  origin: 'https://www.example.com',
  cacheDir: false,
} as const

/** Temporary copies of the example apps. */
export function appCopies() {
  const temps = tempDirs()
  return {
    async basic(): Promise<string> {
      const dir = await temps.make('plugin-app')
      await copyTree(BASIC_APP, dir)
      return dir
    },
    cleanup: () => temps.cleanup(),
  }
}

/** Replaces the app's entry with one importing a module that does not exist. */
export async function breakEntry(app: string): Promise<void> {
  await fs.writeFile(path.join(app, 'src/main.js'), "import './does-not-exist.js'\n")
}

/** Every file under a folder, relative, with `/` separators, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort()
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  )
}

/**
 * Asserts the folder was published: its manifest lists every file the
 * bundler emitted (everything but p2pcdn's own files: manifest, fallback
 * runtime) with the CID `cidOfPath` gives for it now, and no CAR was written
 * (not asked for: neither the old `p2pcdn.car` in the folder nor `<folder>.car`
 * beside it). Returns the manifest.
 */
export async function expectPublished(outDir: string, emitted: RegExp[] = []): Promise<Manifest> {
  const manifest = JSON.parse(await fs.readFile(path.join(outDir, MANIFEST_FILE), 'utf8')) as Manifest
  const all = await listFiles(outDir)
  expect(all).toContain(MANIFEST_FILE)
  expect(all).not.toContain(CAR_FILE)
  expect(await exists(`${outDir}.car`)).toBe(false)
  // The site's IPNS record is signed for every publish, beside the manifest (never an asset).
  expect(all).toContain(IPNS_RECORD_FILE)
  const files = all.filter(
    (f) => f !== MANIFEST_FILE && f !== IPNS_RECORD_FILE && !/^p2pcdn-fallback/.test(f),
  )
  expect(manifest.assets.map((a) => a.path).sort()).toEqual(files)
  for (const pattern of emitted)
    expect(
      files.some((f) => pattern.test(f)),
      String(pattern),
    ).toBe(true)
  for (const asset of manifest.assets) {
    expect(asset.cid, asset.path).toBe((await cidOfPath(path.join(outDir, asset.path))).toString())
  }
  expect(manifest.origins).toEqual(['https://www.example.com'])
  return manifest
}

/** Adds a stylesheet reference to a file that is not in the build, which publish warns about (`W_ASSET_MISSING`). */
export async function addMissingReference(app: string, comment = ''): Promise<void> {
  await fs.appendFile(
    path.join(app, 'src/style.css'),
    `.gone {\n  background: ${comment}url(./gone.png);\n}\n`,
  )
}
