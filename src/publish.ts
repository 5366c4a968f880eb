import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { CID } from 'multiformats/cid'
import { CustomProgressEvent } from 'progress-events'
import { BadBlockError, writeCar } from './car/write-car.js'
import { IPNS_RECORD_FILE, MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, type ProfileName } from './constants.js'
import { errors, P2pcdnError } from './errors.js'
import { resolveTargets } from './hosts/registry.js'
import { pruneCache } from './import/cache-folder.js'
import { type FileIndex, indexPath, openFileIndex } from './import/file-index.js'
import { fingerprintOf, type ImportedAsset, importAssets } from './import/import-assets.js'
import { buildSiteRoot } from './import/site-root.js'
import { SourceBlockstore } from './import/source-blocks.js'
import type { SiteKey } from './ipns/site-key.js'
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
  /** Path of the CAR, when one was written (`car` option); `undefined` otherwise and on a dry run. */
  car: string | undefined
  /** Path of the manifest in the output; `undefined` on a dry run. */
  manifest: string | undefined
  /** Number of assets and their total size in bytes. */
  files: number
  bytes: number
  /** Assets read and imported in this run, and assets the cache's index knew unchanged (not read). */
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
  /** Blocks in the CAR and its size in bytes (0 when no CAR was written). */
  carBlocks: number
  carBytes: number
  /** Wall-clock time of the run in milliseconds. */
  durationMs: number
  dryRun: boolean
  /** Every asset, as written in the manifest. */
  assets: ManifestAsset[]
  /** What each registered host made of the push, and whether `replication` was met; `undefined` without a push. */
  push: PushSiteResult | undefined
  /**
   * The site's IPNS name and the record signed for this root; `undefined` with `ipns: false`, and
   * on a dry run before the site has a key.
   */
  ipns: PublishIpns | undefined
  warnings: Warning[]
}

/** The IPNS record publish signed. */
export interface PublishIpns {
  /** The site's IPNS name, `k51…`: what `p2pcdn host --follow` takes. */
  name: string
  /** The record's sequence (higher is newer). */
  sequence: bigint
  /** The record file in the output (`p2pcdn-ipns-record`); `undefined` on a dry run. */
  record: string | undefined
  /** Where the key came from: the `ipnsKey` file, `P2PCDN_IPNS_KEY`, or this site's own key file. */
  keySource: SiteKey['source']
  /** The key file, unless the key came from the environment. */
  keyFile: string | undefined
  /** This publish made the key (the site's first). */
  keyCreated: boolean
}

/** The site's key (made on first use, except on a dry run), when `ipns` is on. */
async function openSiteKey(opts: ResolvedOptions): Promise<SiteKey | undefined> {
  if (opts.ipns === undefined) return undefined
  const { loadSiteKey } = await import('./ipns/site-key.js')
  return loadSiteKey({
    keyFile: opts.ipns.keyFile,
    siteId: opts.ipns.siteId,
    create: !opts.dryRun,
    forbidden: [opts.dir, opts.out],
  })
}

/** Signs the record naming `root`, into the staged output (nothing written on a dry run). */
async function signRecord(
  opts: ResolvedOptions,
  key: SiteKey,
  root: CID,
  stagedDir: string | undefined,
): Promise<{ ipns: PublishIpns; bytes: Uint8Array; warnings: Warning[] }> {
  const { signSiteRecord } = await import('./ipns/sign-site.js')
  const ipns = opts.ipns as NonNullable<ResolvedOptions['ipns']>
  const { record, warnings } = await signSiteRecord({
    key,
    root,
    lifetimeMs: ipns.lifetimeMs,
    ttlMs: ipns.ttlMs,
    previousOut: opts.out,
    cacheDir: opts.cacheDir,
    stagedDir: opts.dryRun ? undefined : stagedDir,
  })
  return {
    ipns: {
      name: record.name,
      sequence: record.sequence,
      record: opts.dryRun ? undefined : path.join(opts.out, IPNS_RECORD_FILE),
      keySource: key.source,
      keyFile: key.file,
      keyCreated: key.created,
    },
    bytes: record.bytes,
    warnings,
  }
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

const isInside = (parent: string, child: string) => {
  const rel = path.relative(parent, child)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

/** Where the CAR is written first: inside the staged output when it goes inside the output, else a temporary sibling. */
async function carStagingPath(car: string, out: string, stagedDir: string): Promise<string> {
  const file = isInside(out, car)
    ? path.join(stagedDir, path.relative(out, car))
    : `${car}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
  await fs.mkdir(path.dirname(file), { recursive: true })
  return file
}

/**
 * After an in-place publish: the unchanged files were linked into the new output, which changed
 * their ctime but not their bytes; the index takes their new fingerprints (rewritten files, now
 * holding other bytes, keep the old one and are imported again next time).
 */
function refreshLinked(
  index: FileIndex,
  out: string,
  assets: ScanResult['assets'],
  rewritten: Map<string, string>,
): void {
  for (const asset of assets) {
    if (rewritten.has(asset.path)) continue
    try {
      const { size, mtimeMs, ctimeMs, ino } = statSync(path.join(out, asset.path))
      index.refresh(asset.path, { size, mtimeMs: Math.round(mtimeMs), ctimeMs: Math.round(ctimeMs), ino })
    } catch {}
  }
}

/**
 * The rewrite step, when pages are rewritten: on the staged copies (once copied), rewritten files
 * imported again (their leaves then read from the rewritten files). Returns the final assets.
 */
async function rewritePass(
  opts: ResolvedOptions,
  stagedDir: string,
  assets: ImportedAsset[],
  store: SourceBlockstore,
  copied: () => Promise<void>,
): Promise<{
  assets: ImportedAsset[]
  originals: Map<string, string>
  references: number
  warnings: Warning[]
}> {
  const originals = new Map<string, string>()
  if (opts.rewrite === undefined) return { assets, originals, references: 0, warnings: [] }
  const { profile, signal } = opts
  await copied()
  // Loaded only when pages are rewritten: the HTML and CSS parsers add to start-up.
  const { rewriteSite } = await import('./rewrite/rewrite-site.js')
  // Rewritten files are new content: nothing to look up, nothing worth remembering.
  const scratch = await openFileIndex({ cacheDir: false, dir: stagedDir, profile })
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
          { profile, index: scratch, store, signal },
        )
      ).assets,
  })
  for (const [p, { originalCid }] of result.changed) originals.set(p, originalCid)
  return {
    assets: assets.map((a) => result.changed.get(a.path)?.asset ?? a),
    originals,
    references: result.references,
    warnings: result.warnings,
  }
}

/**
 * Publishes a site folder: scans it, imports every asset into UnixFS blocks
 * with Kubo-identical CIDs, and writes the P2P variant of the site with
 * `p2pcdn-manifest.json` (and a CAR, root = the site's root CID, when `car` is set), and the
 * site's IPNS record naming the root (`p2pcdn-ipns-record`, signed with the site's key; its name
 * in the manifest), unless `ipns: false`. The
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
  // A bad key fails before any work, too.
  const siteKey = await openSiteKey(opts)
  if (!opts.dryRun) await recoverInterrupted(opts.out)
  const previousRoot = opts.push ? await manifestRoot(opts.out) : undefined

  const scan = await scanSite(opts)
  if (scan.assets.length === 0) throw errors.inputEmpty(opts.dir)
  onProgress?.(new CustomProgressEvent('p2pcdn:scan:done', { files: scan.assets.length, bytes: scan.bytes }))

  const index = await openFileIndex({
    cacheDir: opts.cacheDir,
    dir: opts.dir,
    profile,
    readOnly: opts.dryRun,
  })
  let staging: Staging | undefined
  let copying: Promise<void> = Promise.resolve()
  let carTemp: string | undefined
  try {
    const warnings: Warning[] = [...scan.warnings]
    /**
     * One pass: stage and copy, import, rewrite, root, CAR. A file found changed behind its
     * fingerprint while the CAR is written makes publish run it once more, reading every file.
     */
    const attempt = async (repair: boolean) => {
      // A dry run stages in a throw-away folder, and only the files the rewrite reads.
      const plan = copyPlan(scan, opts.dir)
      if (opts.dryRun) plan.files = plan.files.filter((f) => /\.(html?|css)$/i.test(f.path))
      staging = opts.dryRun ? await createThrowAwayStaging() : await createStaging(opts.out)
      // The copy runs beside the import: one is disk-bound, the other hashing-bound.
      // Files unchanged since the last run may be linked from the previous output rather than copied.
      const known = new Set(
        repair ? [] : scan.assets.filter((a) => index.matches(a.path, fingerprintOf(a))).map((a) => a.path),
      )
      copying = copyInto(staging.dir, plan, {
        signal,
        ...(opts.dryRun ? {} : { previous: opts.out, unchanged: (p: string) => known.has(p) }),
      })
      copying.catch(() => {})
      // Leaves are read back from the output's files: the staged ones now, the final ones after the swap.
      const store = new SourceBlockstore(staging.dir)
      const imported = await importAssets(scan.assets, {
        profile,
        index,
        store,
        signal,
        onProgress,
        noCacheHits: repair,
      })
      const rewritten = await rewritePass(opts, staging.dir, imported.assets, store, () => copying)
      warnings.push(...rewritten.warnings)
      const { assets } = rewritten
      const rootCid = await buildSiteRoot(assets, store, profile, scan.directories)
      onProgress?.(new CustomProgressEvent('p2pcdn:import:root', { cid: rootCid.toString() }))
      // The worker's config names the root (it is no part of it): visitors ask routers for its providers.
      if (opts.rewrite?.serviceWorker)
        await (await import('./rewrite/rewrite-site.js')).addServiceWorkerRoot(
          staging.dir,
          rootCid.toString(),
        )
      await copying
      let car = { blocks: 0, bytes: 0 }
      if (opts.car !== undefined && !opts.dryRun) {
        carTemp = await carStagingPath(opts.car, opts.out, staging.dir)
        car = await writeCar(rootCid, store, carTemp, { signal, onProgress, trusted: () => true })
      }
      return {
        imported,
        assets,
        store,
        originals: rewritten.originals,
        rewritten: rewritten.references,
        root: rootCid,
        car,
      }
    }

    let pass: Awaited<ReturnType<typeof attempt>>
    try {
      pass = await attempt(false)
    } catch (err) {
      // A file changed behind its fingerprint (same size and times): forget the index, read everything again once.
      if (!(err instanceof BadBlockError)) throw err
      await copying.catch(() => {})
      await (staging as Staging | undefined)?.discard()
      staging = undefined
      index.forgetAll()
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
    let ipns: PublishIpns | undefined
    let recordBytes: Uint8Array | undefined
    if (siteKey !== undefined) {
      const signed = await signRecord(opts, siteKey, root, (staging as Staging | undefined)?.dir)
      ipns = signed.ipns
      recordBytes = signed.bytes
      warnings.push(...signed.warnings)
    }
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      profile,
      root: root.toString(),
      ...(ipns ? { ipns: ipns.name } : {}),
      origins: opts.origins,
      assets,
      directories: [...scan.directories],
    }
    if (!opts.dryRun && staging !== undefined) {
      const staged = staging as Staging
      await writeManifest(manifest, path.join(staged.dir, MANIFEST_FILE))
      signal?.throwIfAborted()
      await staged.commit()
      staging = undefined
      pass.store.rebase(opts.out)
      if (carTemp !== undefined && opts.car !== undefined && !isInside(opts.out, opts.car)) {
        await fs.rename(carTemp, opts.car)
      }
      carTemp = undefined
      if (opts.inPlace) refreshLinked(index, opts.out, scan.assets, pass.originals)
      await index.save()
      if (opts.cacheDir !== false)
        await pruneCache(opts.cacheDir, opts.cacheMaxSize, indexPath(opts.cacheDir, opts.dir, profile))
      onProgress?.(new CustomProgressEvent('p2pcdn:output:done', { out: opts.out }))
    }
    let push: PushSiteResult | undefined
    if (opts.push && targets && !opts.dryRun) {
      const [{ pushSite }, { siteBlocks }] = await Promise.all([
        import('./push/push-site.js'),
        import('./push/site-blocks.js'),
      ])
      push = await pushSite({
        hosts: targets,
        root,
        blocks: siteBlocks(root, pass.store),
        name: opts.push.name,
        site: opts.push.site,
        nameGiven: opts.push.nameGiven,
        replication: opts.push.replication,
        wait: opts.push.wait,
        timeoutMs: opts.push.timeoutMs,
        listen: opts.push.listen,
        ...(ipns && recordBytes ? { ipnsRecord: { name: ipns.name, bytes: recordBytes } } : {}),
        ...(previousRoot ? { previousRoot } : {}),
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      })
    }

    return {
      root: root.toString(),
      profile,
      dir: opts.dir,
      out: opts.dryRun ? undefined : opts.out,
      car: opts.dryRun ? undefined : opts.car,
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
      ipns,
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
    if (carTemp !== undefined) await fs.rm(carTemp, { force: true })
  }
}
