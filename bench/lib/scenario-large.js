/**
 * Scenario 1: one large file, fresh cache, beside `cp` + `openssl dgst -sha256` (what publish must
 * at least do: copy the file into the output and hash it), openssl and sha256sum alone, and
 * ipfs-car pack on the same file; then publish with `--car` (it then writes a CAR, as ipfs-car does).
 */
import path from 'node:path'
import { writeLargeFile } from './generate.js'
import { folderBytes, IPFS_CAR, runPublish, summarisePublish, timeReference } from './runners.js'
import { repeat } from './stats.js'

/**
 * @param {object} o
 * @param {string} o.work  scratch folder (removed by the caller)
 * @param {ReturnType<import('./runners.js').scratchNames>} o.names  output names in it
 * @param {number} o.size  file size in bytes
 * @param {number} o.hashRuns  runs of openssl and sha256sum (best taken)
 * @param {number} o.slowRuns  runs of ipfs-car pack and of our publish (best taken)
 * @param {string} [o.profileDir]  when set, one more publish runs under --cpu-prof
 * @param {(line: string) => void} o.log
 */
export async function benchLargeFile({ work, names, size, hashRuns, slowRuns, profileDir, log }) {
  const notes = []
  const dir = path.join(work, 'large')
  const file = path.join(dir, 'large.bin')
  log(`large file: writing ${(size / 2 ** 20).toFixed(0)} MiB`)
  await writeLargeFile(file, size, 'p2pcdn-bench-large')

  const references = {}
  log('large file: cp + openssl dgst -sha256')
  const copies = Array.from({ length: hashRuns }, () => names.fresh('large-cp'))
  references.cpOpenssl = await timeReference({
    name: 'cp + openssl dgst -sha256',
    command: 'sh',
    args: (i) => ['-c', 'cp "$0" "$1" && exec openssl dgst -sha256 "$0"', file, copies[i]],
    times: hashRuns,
    bytes: size,
    scratch: work,
    cleanup: (i) => names.discard(copies[i]),
    notes,
  })
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
  const cars = Array.from({ length: slowRuns }, () => names.fresh('large-ipfs-car'))
  references.ipfsCar = await timeReference({
    name: 'ipfs-car pack',
    command: IPFS_CAR,
    args: (i) => ['pack', dir, '--output', cars[i]],
    times: slowRuns,
    bytes: size,
    scratch: work,
    cleanup: (i) => names.discard(cars[i]),
    notes,
  })

  let cacheBytes = 0
  const publishOnce = async (cpuProfile, withCar) => {
    const out = names.fresh('large-out')
    const cacheDir = names.fresh('large-cache')
    const car = withCar ? `${out}.car` : undefined
    try {
      const run = await runPublish({ dir, out, cacheDir, cpuProfile, car })
      cacheBytes = Math.max(cacheBytes, await folderBytes(cacheDir))
      return run
    } finally {
      await names.discard(out, cacheDir, ...(car ? [car] : []))
    }
  }
  const runs = await repeat(slowRuns, (i) => {
    log(`large file: publish ${i + 1}/${slowRuns} (fresh cache)`)
    return publishOnce()
  })
  const carRuns = await repeat(slowRuns, (i) => {
    log(`large file: publish --car ${i + 1}/${slowRuns} (fresh cache)`)
    return publishOnce(undefined, true)
  })
  const profiles = []
  if (profileDir) {
    log('large file: publish under --cpu-prof')
    const name = 'large-fresh'
    const run = await publishOnce({ dir: profileDir, name })
    profiles.push({
      name,
      file: path.join(profileDir, `${name}.cpuprofile`),
      steps: run.steps,
      wallMs: run.wallMs,
    })
  }
  await names.discard(dir)

  return {
    files: 1,
    bytes: size,
    references,
    publish: summarisePublish(runs, size),
    publishCar: summarisePublish(carRuns, size),
    cacheBytes,
    profiles,
    notes,
  }
}
