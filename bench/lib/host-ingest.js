/**
 * A host's CAR ingest driven through its HTTP API, as src/hosts/adapters/p2pcdn.ts does it (bearer
 * token, `POST /p2pcdn/v1/blocks/missing`, then a CAR of the missing blocks to `/p2pcdn/v1/car`
 * with `?replace=` the previous request), and the same CAR through Kubo's `ipfs dag import` into a
 * fresh repo, for bench/host.js and bench/push.js. CARs are built with `ipfs-car pack`, so the
 * figures do not depend on how `publish` writes (or no longer writes) a CAR.
 */
import { execFile } from 'node:child_process'
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { CarBlockIterator } from '@ipld/car/iterator'
import { postFile } from './host-clients.js'
import { initKuboRepo, startKuboDaemon, timeKuboDagImport } from './kubo-reference.js'
import { REPO } from './runners.js'

const { encodeCar } = await import(path.join(REPO, 'dist/src/index.js'))

const run = promisify(execFile)
const CAR_PATH = '/p2pcdn/v1/car'
const MISSING_PATH = '/p2pcdn/v1/blocks/missing'

/** `ipfs-car pack <dir> --no-wrap --output <file>`: the folder as a CAR; resolves with its root CID. */
export async function packCar(dir, file) {
  const bin = path.join(REPO, 'node_modules/.bin/ipfs-car')
  const { stdout } = await run(bin, ['pack', dir, '--no-wrap', '--output', file], { maxBuffer: 1 << 20 })
  return stdout.trim()
}

/** Every block of a CAR file, in order (small sites only: held in memory). */
export async function carBlocks(file) {
  const iterator = await CarBlockIterator.fromIterable(createReadStream(file))
  const blocks = []
  for await (const block of iterator) blocks.push(block)
  return { roots: await iterator.getRoots(), blocks }
}

/** A CAR's bytes: its one root, then the given blocks (the library's `encodeCar`, as pushes make them). */
async function carOf(roots, blocks) {
  if (roots.length !== 1) throw new Error(`expected a CAR with one root, got ${roots.length}`)
  const chunks = []
  for await (const batch of encodeCar(roots[0], blocks)) chunks.push(...batch)
  return Buffer.concat(chunks)
}

const auth = (token) => ({ Authorization: `Bearer ${token}` })

/**
 * Uploads a CAR (a file path, streamed with node:http as `curl --data-binary @file` would, or
 * bytes) to a host; resolves with the answer and the time taken.
 */
export async function uploadCar(url, token, car, query = '') {
  const target = `${url}${CAR_PATH}${query}`
  const headers = { ...auth(token), 'Content-Type': 'application/vnd.ipld.car' }
  const started = performance.now()
  const { status, body: json } =
    typeof car === 'string'
      ? await postFile(target, car, headers)
      : await fetch(target, { method: 'POST', headers, body: car }).then(async (res) => ({
          status: res.status,
          body: await res.json(),
        }))
  const ms = performance.now() - started
  if (status !== 201) throw new Error(`CAR upload to ${url}: HTTP ${status} ${JSON.stringify(json)}`)
  return { ms, json }
}

/**
 * A push of a site the host may partly hold, as the p2pcdn adapter does it: which blocks are
 * missing, then a CAR of just those, replacing `replace` (a request id). Resolves with the time
 * taken, the blocks sent and the new request.
 */
export async function pushDelta(url, token, { roots, blocks }, replace) {
  const started = performance.now()
  const res = await fetch(`${url}${MISSING_PATH}`, {
    method: 'POST',
    headers: { ...auth(token), 'Content-Type': 'application/json' },
    body: JSON.stringify({ cids: blocks.map((b) => b.cid.toString()) }),
  })
  const missing = new Set((await res.json()).missing)
  let request
  if (missing.size > 0) {
    const car = await carOf(
      roots,
      blocks.filter((b) => missing.has(b.cid.toString())),
    )
    request = (await uploadCar(url, token, car, replace ? `?replace=${replace}` : '')).json.pins[0]
  }
  return { ms: performance.now() - started, sent: missing.size, request }
}

/**
 * `ipfs dag import --pin-roots` of `cars` (in order) into one fresh Kubo repo and daemon
 * (loopback only); resolves with the time of each, or `{ skipped }` saying why.
 */
export async function kuboDagImports(kubo, work, cars) {
  if (!kubo.ok) return { skipped: kubo.reason }
  const repo = await initKuboRepo(kubo, await fs.mkdtemp(path.join(work, 'kubo-')), 'unixfs-v1-2025')
  const daemon = await startKuboDaemon(kubo, repo)
  try {
    const ms = []
    for (const { file, root } of cars) ms.push(await timeKuboDagImport(repo, file, root))
    return { ms }
  } finally {
    await daemon.stop()
    await repo.remove()
  }
}
