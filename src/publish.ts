import fs from 'node:fs/promises'
import path from 'node:path'
import { CustomProgressEvent } from 'progress-events'
import { BadBlockError, writeCar } from './car/write-car.js'
import { CAR_FILE, MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, type ProfileName } from './constants.js'
import { errors, P2pcdnError } from './errors.js'
import { resolveTargets } from './hosts/registry.js'
import { type BlockCache, openBlockCache } from './import/block-cache.js'
import { importAssets } from './import/import-assets.js'
import { buildSiteRoot } from './import/site-root.js'
import { contentTypeOf, type Manifest, type ManifestAsset, writeManifest } from './manifest/write-manifest.js'
import { type P2pcdnOptions, type ResolvedOptions, resolveOptions } from './options.js'
import {
  copyInto,
  createStaging,
  createThrowAwayStaging,
  recoverInterrupted,
  type Staging,
} from './output/staging.js'
import type { PushSiteResult } from './push/push-site.js'
import type { IpfsLinkOptions } from './rewrite/ipfs-link.js'
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
  /** Asset references rewritten into IPFS links. */
  rewritten: number
  /** How links were written; `undefined` when pages were not rewritten (`rewrite: false`, or no `gateway`). */
  links: IpfsLinkOptions | undefined
  /**
   * The registered host whose gateway the links point at, when `gateway` was not set (the first
   * host with a gateway, in config order); `undefined` otherwise.
   */
  gatewayHost: string | undefined
  /** What the site's Content-Security-Policy must allow for the rewritten pages, when any were rewritten. */
  csp: string | undefined
  /** Blocks in the CAR and its size in bytes (0 on a dry run). */
  carBlocks: number
  carBytes: number
  /** Wall-clock time of the run in milliseconds. */
  durationMs: number
  dryRun: boolean
  /** Every asset, as written in the manifest. */
  assets: ManifestAsset[]
  /** What each registered host made of the push, and whether `replication` was met; `undefined` without a push. */
  push: PushSiteResult | undefined
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
      // Assets carry their scan-time size and times: the copy needs no second stat.
      ...scan.assets,
      ...scan.others
        .filter((o) => o.kind === 'file')
        .map((o) => ({ path: o.path, source: path.join(dir, o.path) })),
    ],
    links: scan.others
      .filter((o) => o.kind === 'link')
      .map((o) => ({ path: o.path, source: path.join(dir, o.path) })),
    directories: scan.directories,
  }
}

/** The root CID of the manifest in a folder (the previous output), if any. */
async function manifestRoot(dir: string): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as Manifest
    return typeof manifest.root === 'string' ? manifest.root : undefined
  } catch {
    return undefined
  }
}

/**
 * From a manifest already in the input folder (an earlier output published
 * again): `path\0cid` → the CID the file had before that earlier rewrite.
 */
async function previousOriginals(dir: string): Promise<Map<string, string>> {
  const map = new Map<string, string>()
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as Manifest
    for (const a of manifest.assets ?? []) {
      if (typeof a.originalCid === 'string') map.set(`${a.path}\0${a.cid}`, a.originalCid)
    }
  } catch {
    // None, or not ours: nothing to carry over.
  }
  return map
}

/** The Content-Security-Policy additions rewritten pages need. */
function cspAdvice(link: IpfsLinkOptions): string {
  const source =
    link.format === 'native'
      ? 'ipfs:'
      : link.format === 'subdomain'
        ? `${new URL(link.gateway).protocol}//*.ipfs.${new URL(link.gateway).host}`
        : new URL(link.gateway).origin
  return `script-src 'self' ${source}; style-src ${source}; img-src ${source}; media-src ${source}; font-src ${source}; connect-src 'self' ${source}`
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
  // Fail before any work when a host's token variable is not set.
  const targets = opts.push ? resolveTargets(opts.push.hosts) : undefined
  await checkInput(opts)
  if (!opts.dryRun) await recoverInterrupted(opts.out)
  const previousRoot = opts.push ? await manifestRoot(opts.out) : undefined

  const scan = await scanSite(opts)
  if (scan.assets.length === 0) throw errors.inputEmpty(opts.dir)
  onProgress?.(new CustomProgressEvent('p2pcdn:scan:done', { files: scan.assets.length, bytes: scan.bytes }))

  let cache: BlockCache | undefined
  let staging: Staging | undefined
  let copying: Promise<void> = Promise.resolve()
  try {
    cache = await openBlockCache({ cacheDir: opts.cacheDir, dir: opts.dir, profile, readOnly: opts.dryRun })
    const store = cache
    const warnings: Warning[] = [...scan.warnings]
    /**
     * One pass: stage and copy, import, rewrite, root, CAR. A damaged cached
     * block found while writing the CAR makes publish run it once more with
     * the cache in repair mode.
     */
    const attempt = async (repair: boolean) => {
      // A dry run stages in a throw-away folder, and only the files the rewrite reads.
      const plan = copyPlan(scan, opts.dir)
      if (opts.dryRun) plan.files = plan.files.filter((f) => /\.(html?|css)$/i.test(f.path))
      staging = opts.dryRun ? await createThrowAwayStaging() : await createStaging(opts.out)
      // The copy runs beside the import: one is disk-bound, the other hashing-bound.
      copying = copyInto(staging.dir, plan, { signal, previous: opts.dryRun ? undefined : opts.out })
      copying.catch(() => {})
      const imported = await importAssets(scan.assets, {
        profile,
        cache: store,
        signal,
        onProgress,
        noCacheHits: repair,
      })

      let assets = imported.assets
      const originals = new Map<string, string>()
      let rewritten = 0
      if (opts.rewrite !== undefined) {
        // The rewrite reads the staged copies.
        await copying
        const stagedDir = staging.dir
        // Loaded only when pages are rewritten: the HTML and CSS parsers add to start-up.
        const { rewriteSite } = await import('./rewrite/rewrite-site.js')
        const result = await rewriteSite({
          outDir: stagedDir,
          assets,
          origins: opts.origins,
          ...opts.rewrite,
          signal,
          reimport: async (paths) =>
            (
              await importAssets(
                paths.map((p) => ({ path: p, source: path.join(stagedDir, p) })),
                { profile, cache: store, signal },
              )
            ).assets,
        })
        rewritten = result.references
        warnings.push(...result.warnings)
        assets = assets.map((a) => result.changed.get(a.path)?.asset ?? a)
        for (const [p, { originalCid }] of result.changed) originals.set(p, originalCid)
      }

      const rootCid = await buildSiteRoot(assets, store.blockstore, profile, scan.directories)
      onProgress?.(new CustomProgressEvent('p2pcdn:import:root', { cid: rootCid.toString() }))
      const car = opts.dryRun
        ? { blocks: 0, bytes: 0 }
        : await writeCar(rootCid, store.blockstore, path.join(staging.dir, CAR_FILE), {
            signal,
            onProgress,
            trusted: store.isFresh,
          })
      await copying
      return { imported, assets, originals, rewritten, root: rootCid.toString(), car }
    }

    let pass: Awaited<ReturnType<typeof attempt>>
    try {
      pass = await attempt(false)
    } catch (err) {
      // A damaged or missing cached block: drop it, forget the index, and do it all again once.
      if (!(err instanceof BadBlockError)) throw err
      await copying.catch(() => {})
      await (staging as Staging | undefined)?.discard()
      staging = undefined
      await Promise.resolve(cache.blockstore.delete(err.cid)).catch(() => {})
      cache.forgetAll()
      cache.repair()
      pass = await attempt(true)
    }
    const { imported, root, car } = pass
    // Publishing an earlier output again: its manifest still knows the CIDs from before the first rewrite.
    const before = await previousOriginals(opts.dir)
    const originalOf = (p: string, cid: string): { originalCid?: string } => {
      const now = pass.originals.get(p)
      if (now !== undefined) return { originalCid: before.get(`${p}\0${now}`) ?? now }
      const earlier = before.get(`${p}\0${cid}`)
      return earlier === undefined ? {} : { originalCid: earlier }
    }
    warnings.push(...imported.warnings)

    const assets: ManifestAsset[] = pass.assets.map((a) => ({
      path: a.path,
      cid: a.cid.toString(),
      size: a.size,
      integrity: a.integrity,
      contentType: contentTypeOf(a.path),
      ...originalOf(a.path, a.cid.toString()),
    }))
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      profile,
      root,
      origins: opts.origins,
      assets,
    }
    if (!opts.dryRun && staging !== undefined) {
      const staged = staging as Staging
      await writeManifest(manifest, path.join(staged.dir, MANIFEST_FILE))
      signal?.throwIfAborted()
      await staged.commit()
      staging = undefined
      await cache.save()
      onProgress?.(new CustomProgressEvent('p2pcdn:output:done', { out: opts.out }))
    }
    let push: PushSiteResult | undefined
    if (opts.push && targets && !opts.dryRun) {
      const { pushSite } = await import('./push/push-site.js')
      push = await pushSite({
        hosts: targets,
        root,
        car: path.join(opts.out, CAR_FILE),
        name: opts.push.name,
        site: opts.push.site,
        nameGiven: opts.push.nameGiven,
        replication: opts.push.replication,
        wait: opts.push.wait,
        timeoutMs: opts.push.timeoutMs,
        listen: opts.push.listen,
        ...(previousRoot ? { previousRoot } : {}),
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      })
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
      rewritten: pass.rewritten,
      links: opts.rewrite?.link,
      gatewayHost: opts.rewrite?.gatewayHost,
      csp: opts.rewrite === undefined || pass.rewritten === 0 ? undefined : cspAdvice(opts.rewrite.link),
      carBlocks: car.blocks,
      carBytes: car.bytes,
      durationMs: performance.now() - started,
      dryRun: opts.dryRun,
      assets,
      push,
      warnings,
    }
  } catch (err) {
    if (signal?.aborted && !(err instanceof P2pcdnError)) throw errors.aborted()
    throw err
  } finally {
    if (staging !== undefined) {
      await copying.catch(() => {})
      await (staging as Staging).discard()
    }
    await cache?.close()
  }
}
