import fs from 'node:fs/promises'
import path from 'node:path'
import { CustomProgressEvent } from 'progress-events'
import { BadBlockError, writeCar } from './car/write-car.js'
import { CAR_FILE, MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, type ProfileName } from './constants.js'
import { errors, P2pcdnError } from './errors.js'
import { type BlockCache, openBlockCache } from './import/block-cache.js'
import { type ImportAssetsResult, importAssets } from './import/import-assets.js'
import { buildSiteRoot } from './import/site-root.js'
import { contentTypeOf, type Manifest, type ManifestAsset, writeManifest } from './manifest/write-manifest.js'
import { type P2pcdnOptions, type ResolvedOptions, resolveOptions } from './options.js'
import { copyInto, createStaging, recoverInterrupted, type Staging } from './output/staging.js'
import { type ScanResult, scanSite } from './scan/scan-site.js'
import type { Warning } from './warnings.js'

/** What one publish run did. */
export interface PublishResult {
  /** The site's root directory CID. */
  root: string
  profile: ProfileName
  /** The input folder. */
  dir: string
  /** The output folder (equal to `dir` with `inPlace`); `undefined` on a dry run. */
  out: string | undefined
  /** Paths of the CAR and the manifest in the output; `undefined` on a dry run. */
  car: string | undefined
  manifest: string | undefined
  /** Number of assets and their total size in bytes. */
  files: number
  bytes: number
  /** Assets read and imported in this run, and assets reused from the cache. */
  imported: number
  cached: number
  /** Blocks in the CAR and its size in bytes (0 on a dry run). */
  carBlocks: number
  carBytes: number
  /** Wall-clock time of the run in milliseconds. */
  durationMs: number
  dryRun: boolean
  /** Every asset, as written in the manifest. */
  assets: ManifestAsset[]
  warnings: Warning[]
}

async function checkInput(options: ResolvedOptions): Promise<void> {
  let stat: Awaited<ReturnType<typeof fs.stat>>
  try {
    stat = await fs.stat(options.dir)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw errors.inputMissing(options.dir)
    throw errors.unreadable(options.dir, cause)
  }
  if (!stat.isDirectory()) throw errors.inputNotDirectory(options.dir)
  if (options.inPlace) return
  const real = async (p: string) => {
    // Resolve as much of the path as exists, so links cannot hide nesting.
    const tail: string[] = []
    let head = p
    for (;;) {
      try {
        return path.join(await fs.realpath(head), ...tail)
      } catch {
        tail.unshift(path.basename(head))
        const up = path.dirname(head)
        if (up === head) return p
        head = up
      }
    }
  }
  const [dir, out] = await Promise.all([real(options.dir), real(options.out)])
  const inside = (parent: string, child: string) => {
    const rel = path.relative(parent, child)
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
  }
  if (inside(out, dir)) throw errors.inputInsideOutput(options.out, options.dir)
  if (inside(dir, out)) throw errors.outputInsideInput(options.out, options.dir)
}

function copyPlan(scan: ScanResult, dir: string) {
  return {
    files: [
      ...scan.assets.map(({ path, source, size, mtimeMs, atimeMs }) => ({
        path,
        source,
        size,
        mtimeMs,
        atimeMs,
      })),
      ...scan.others
        .filter((o) => o.kind === 'file')
        .map((o) => ({ path: o.path, source: path.join(dir, o.path) })),
    ],
    links: scan.others
      .filter((o) => o.kind === 'link')
      .map((o) => ({ path: o.path, source: path.join(dir, o.path) })),
  }
}

/**
 * Publishes a site folder: scans it, imports every asset into UnixFS blocks
 * with Kubo-identical CIDs, and writes the P2P variant of the site with
 * `p2pcdn.car` (root = the site's root CID) and `p2pcdn-manifest.json`. The
 * output is built in a temporary sibling folder and renamed into place, so
 * after an error or an interruption the input and any earlier output are as
 * they were.
 *
 * @example
 * ```ts
 * import { publish } from 'p2pcdn'
 * const result = await publish({ dir: 'dist', origin: 'https://www.example.com' })
 * console.log(result.root) // bafybei…
 * ```
 */
export async function publish(options: P2pcdnOptions): Promise<PublishResult> {
  const started = performance.now()
  const opts = resolveOptions(options)
  const { signal, onProgress, profile } = opts
  await checkInput(opts)
  if (!opts.dryRun) await recoverInterrupted(opts.out)

  const scan = await scanSite(opts)
  if (scan.assets.length === 0) throw errors.inputEmpty(opts.dir)
  onProgress?.(new CustomProgressEvent('p2pcdn:scan:done', { files: scan.assets.length, bytes: scan.bytes }))

  let cache: BlockCache | undefined
  let staging: Staging | undefined
  let copying: Promise<void> = Promise.resolve()
  try {
    cache = await openBlockCache({ cacheDir: opts.cacheDir, dir: opts.dir, profile, readOnly: opts.dryRun })
    // The copy runs beside the import: one is disk-bound, the other hashing-bound.
    if (!opts.dryRun) {
      staging = await createStaging(opts.out)
      copying = copyInto(staging.dir, copyPlan(scan, opts.dir), { signal, previous: opts.out })
      copying.catch(() => {})
    }

    // The rewrite step (HTML/CSS asset references into IPFS links) slots in
    // after the import; until then the output is a faithful copy of the input.
    let imported: ImportAssetsResult
    let root: string
    let car = { blocks: 0, bytes: 0 }
    for (let attempt = 0; ; attempt++) {
      imported = await importAssets(scan.assets, {
        profile,
        cache,
        signal,
        onProgress,
        noCacheHits: attempt > 0,
      })
      const rootCid = await buildSiteRoot(imported.assets, cache.blockstore, profile)
      root = rootCid.toString()
      onProgress?.(new CustomProgressEvent('p2pcdn:import:root', { cid: root }))
      if (staging === undefined) break
      try {
        car = await writeCar(rootCid, cache.blockstore, path.join(staging.dir, CAR_FILE), {
          signal,
          onProgress,
          trusted: cache.isFresh,
        })
        break
      } catch (err) {
        // A damaged or missing cached block: drop it, forget the index, import everything again once.
        if (!(err instanceof BadBlockError) || attempt > 0) throw err
        await Promise.resolve(cache.blockstore.delete(err.cid)).catch(() => {})
        cache.forgetAll()
        cache.repair()
      }
    }
    await copying

    const assets: ManifestAsset[] = imported.assets.map((a) => ({
      path: a.path,
      cid: a.cid.toString(),
      size: a.size,
      integrity: a.integrity,
      contentType: contentTypeOf(a.path),
    }))
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      profile,
      root,
      origins: opts.origins,
      assets,
    }
    if (staging !== undefined) {
      await writeManifest(manifest, path.join(staging.dir, MANIFEST_FILE))
      signal?.throwIfAborted()
      await staging.commit()
      staging = undefined
      await cache.save()
      onProgress?.(new CustomProgressEvent('p2pcdn:output:done', { out: opts.out }))
    }

    return {
      root,
      profile,
      dir: opts.dir,
      out: opts.dryRun ? undefined : opts.out,
      car: opts.dryRun ? undefined : path.join(opts.out, CAR_FILE),
      manifest: opts.dryRun ? undefined : path.join(opts.out, MANIFEST_FILE),
      files: scan.assets.length,
      bytes: scan.bytes,
      imported: imported.imported,
      cached: imported.cached,
      carBlocks: car.blocks,
      carBytes: car.bytes,
      durationMs: performance.now() - started,
      dryRun: opts.dryRun,
      assets,
      warnings: [...scan.warnings, ...imported.warnings],
    }
  } catch (err) {
    if (signal?.aborted && !(err instanceof P2pcdnError)) throw errors.aborted()
    throw err
  } finally {
    if (staging !== undefined) {
      await copying.catch(() => {})
      await staging.discard()
    }
    await cache?.close()
  }
}
