/** Scenario 1: one large file, fresh cache, beside openssl, sha256sum and ipfs-car pack on the same file. */
import path from 'node:path'
import { writeLargeFile } from './generate.js'
import { IPFS_CAR, remove, runPublish, summarisePublish, timeReference } from './runners.js'
import { repeat } from './stats.js'

/**
 * @param {object} o
 * @param {string} o.work  scratch folder (removed by the caller)
 * @param {number} o.size  file size in bytes
 * @param {number} o.hashRuns  runs of openssl and sha256sum (best taken)
 * @param {number} o.slowRuns  runs of ipfs-car pack and of our publish (best taken)
 * @param {string} [o.profileDir]  when set, one more publish runs under --cpu-prof
 * @param {(line: string) => void} o.log
 */
export async function benchLargeFile({ work, size, hashRuns, slowRuns, profileDir, log }) {
  const notes = []
  const dir = path.join(work, 'large')
  const file = path.join(dir, 'large.bin')
  log(`large file: writing ${(size / 2 ** 20).toFixed(0)} MiB`)
  await writeLargeFile(file, size, 'p2pcdn-bench-large')

  const references = {}
  log('large file: openssl dgst -sha256')
  references.openssl = await timeReference({
    name: 'openssl dgst -sha256',
    command: 'openssl',
    args: ['dgst', '-sha256', file],
    times: hashRuns,
    bytes: size,
    scratch: work,
    notes,
  })
  log('large file: sha256sum')
  references.sha256sum = await timeReference({
    name: 'sha256sum',
    command: 'sha256sum',
    args: [file],
    times: hashRuns,
    bytes: size,
    scratch: work,
    notes,
  })
  log('large file: ipfs-car pack')
  const car = path.join(work, 'large-ipfs-car.car')
  references.ipfsCar = await timeReference({
    name: 'ipfs-car pack',
    command: IPFS_CAR,
    args: ['pack', dir, '--output', car],
    times: slowRuns,
    bytes: size,
    scratch: work,
    cleanup: () => remove(car),
    notes,
  })

  const runs = await repeat(slowRuns, async (i) => {
    log(`large file: publish ${i + 1}/${slowRuns} (fresh cache)`)
    const out = path.join(work, 'large-out')
    const cacheDir = path.join(work, 'large-cache')
    try {
      return await runPublish({ dir, out, cacheDir })
    } finally {
      await remove(out)
      await remove(cacheDir)
    }
  })
  let profile
  if (profileDir) {
    log('large file: publish under --cpu-prof')
    const out = path.join(work, 'large-out')
    const cacheDir = path.join(work, 'large-cache')
    const name = 'large-fresh'
    const run = await runPublish({ dir, out, cacheDir, cpuProfile: { dir: profileDir, name } })
    profile = {
      name,
      file: path.join(profileDir, `${name}.cpuprofile`),
      steps: run.steps,
      wallMs: run.wallMs,
    }
    await remove(out)
    await remove(cacheDir)
  }
  await remove(dir)

  return {
    files: 1,
    bytes: size,
    references,
    publish: summarisePublish(runs, size),
    profiles: profile ? [profile] : [],
    notes,
  }
}
