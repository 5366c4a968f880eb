/**
 * Scenario 2: a site of many small assets and HTML pages, its pages rewritten (`gateway`). A full
 * publish with a fresh cache beside `cp -r` + `sha256sum` (copy the site, hash every file),
 * sha256sum alone and ipfs-car pack over the same files, then re-publishes with the same cache
 * and output: after changing one file, and with nothing changed.
 */
import path from 'node:path'
import { changeFile, generateSite } from './generate.js'
import { folderBytes, IPFS_CAR, runPublish, summarisePublish, timeReference } from './runners.js'
import { repeat } from './stats.js'

/** The gateway the site's pages are rewritten for (never contacted). */
const GATEWAY = 'https://gateway.example.com'

/**
 * @param {object} o
 * @param {string} o.work  scratch folder (removed by the caller)
 * @param {ReturnType<import('./runners.js').scratchNames>} o.names  output names in it
 * @param {number} o.assets  number of assets
 * @param {number} o.assetSize  bytes per asset
 * @param {number} o.pages  number of HTML pages
 * @param {number} o.runs  runs of each reference and each publish variant (best taken)
 * @param {string} [o.profileDir]  when set, a full and a one-change publish also run under --cpu-prof
 * @param {(line: string) => void} o.log
 */
export async function benchSite({ work, names, assets, assetSize, pages, runs, profileDir, log }) {
  const notes = []
  const dir = path.join(work, 'site')
  log(`site: writing ${assets} assets of ${assetSize} bytes and ${pages} pages`)
  const site = await generateSite(dir, { assets, pages, assetSize, seed: 'p2pcdn-bench-site' })
  const { bytes, files } = site

  const references = {}
  log('site: cp -r + sha256sum over every file')
  const copies = Array.from({ length: runs }, () => names.fresh('site-cp'))
  references.cpSha256sum = await timeReference({
    name: 'cp -r + sha256sum',
    command: 'sh',
    args: (i) => ['-c', 'cp -r "$0" "$1" && exec find "$0" -type f -exec sha256sum {} +', dir, copies[i]],
    times: runs,
    bytes,
    scratch: work,
    cleanup: (i) => names.discard(copies[i]),
    notes,
  })
  log('site: sha256sum over every file')
  references.sha256sum = await timeReference({
    name: 'sha256sum (find -exec +)',
    command: 'find',
    args: [dir, '-type', 'f', '-exec', 'sha256sum', '{}', '+'],
    times: runs,
    bytes,
    scratch: work,
    notes,
  })
  log('site: ipfs-car pack')
  const cars = Array.from({ length: runs }, () => names.fresh('site-ipfs-car'))
  references.ipfsCar = await timeReference({
    name: 'ipfs-car pack',
    command: IPFS_CAR,
    args: (i) => ['pack', dir, '--output', cars[i]],
    times: runs,
    bytes,
    scratch: work,
    cleanup: (i) => names.discard(cars[i]),
    notes,
  })

  // Each full run gets a fresh cache and output; the last one's stay for the re-publishes.
  let out
  let cacheDir
  const full = await repeat(runs, async (i) => {
    log(`site: full publish ${i + 1}/${runs} (fresh cache)`)
    await names.discard(...[out, cacheDir].filter(Boolean))
    out = names.fresh('site-out')
    cacheDir = names.fresh('site-cache')
    return runPublish({ dir, out, cacheDir, gateway: GATEWAY })
  })

  const changed = []
  const oneChanged = await repeat(runs, async (i) => {
    const rel = site.assetPaths[(site.assetPaths.length >> 1) + i]
    changed.push(rel)
    await changeFile(path.join(dir, rel), `p2pcdn-bench-change-${i}`)
    log(`site: re-publish ${i + 1}/${runs} after changing ${rel}`)
    return runPublish({ dir, out, cacheDir, gateway: GATEWAY })
  })
  const unchanged = await repeat(runs, async (i) => {
    log(`site: re-publish ${i + 1}/${runs} with nothing changed`)
    return runPublish({ dir, out, cacheDir, gateway: GATEWAY })
  })
  const cacheBytes = await folderBytes(cacheDir)

  for (const r of full)
    if (r.imported !== files) notes.push(`full publish imported ${r.imported} of ${files} files`)
  for (const r of oneChanged) {
    if (r.imported !== 1) notes.push(`re-publish after one change imported ${r.imported} files (expected 1)`)
  }
  for (const r of unchanged) {
    if (r.imported !== 0)
      notes.push(`re-publish with nothing changed imported ${r.imported} files (expected 0)`)
  }

  const profiles = []
  if (profileDir) {
    const variants = [
      [
        'site-full',
        async () => {
          await names.discard(out, cacheDir)
          out = names.fresh('site-out')
          cacheDir = names.fresh('site-cache')
        },
      ],
      ['site-one-change', () => changeFile(path.join(dir, site.assetPaths[0]), 'p2pcdn-bench-change-prof')],
      ['site-no-change', () => {}],
    ]
    for (const [name, prepare] of variants) {
      log(`site: ${name} publish under --cpu-prof`)
      await prepare()
      const run = await runPublish({
        dir,
        out,
        cacheDir,
        gateway: GATEWAY,
        cpuProfile: { dir: profileDir, name },
      })
      profiles.push({
        name,
        file: path.join(profileDir, `${name}.cpuprofile`),
        steps: run.steps,
        wallMs: run.wallMs,
      })
    }
  }
  await names.discard(out, cacheDir, dir)

  return {
    files,
    bytes,
    assets,
    assetSize,
    pages,
    references,
    full: summarisePublish(full, bytes),
    oneChanged: { ...summarisePublish(oneChanged, bytes), changedFiles: changed },
    unchanged: summarisePublish(unchanged, bytes),
    cacheBytes,
    profiles,
    notes,
  }
}
