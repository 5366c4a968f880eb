/**
 * The real Kubo (`ipfs`) as a same-run reference for the benches: `ipfs add -r -Q` + `ipfs dag
 * export` beside publish (bench/run.js), and Kubo's gateway and `ipfs dag import` beside the
 * host's gateway and CAR upload (bench/host.js). Every repo is made with Kubo's `test` profile
 * (API, gateway and swarm on 127.0.0.1 port 0, no bootstrap peers, no mDNS, no NAT port mapping)
 * plus the IPIP-499 profile of the content, with telemetry off: nothing leaves this machine.
 * Without the binary (scripts/install-ipfs-peers.sh builds it) the rows are skipped, saying why.
 */

import { execFile, spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { waitForQuiet } from './cpu-meter.js'
import { generateSite, writeLargeFile } from './generate.js'
import { runTimed, syncDisks } from './proc.js'
import { throughputFigure } from './report.js'
import { mbps, summarise } from './stats.js'

const run = promisify(execFile)

/**
 * Kubo's binary, looked up as test/helpers/peers.ts does: `P2PCDN_KUBO_BIN`, else the install
 * script's cache folder, else PATH. `reason` says why not when it is missing.
 */
export function findKubo(env = process.env) {
  const cache =
    env.P2PCDN_PEERS_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'p2pcdn-peers')
  const candidates = env.P2PCDN_KUBO_BIN
    ? [env.P2PCDN_KUBO_BIN]
    : [
        path.join(cache, 'bin', 'ipfs'),
        ...(env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'ipfs')),
      ]
  const found = candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
  return found
    ? { ok: true, path: found, reason: '' }
    : {
        ok: false,
        path: undefined,
        reason: `no Kubo (ipfs) ${env.P2PCDN_KUBO_BIN ? `at ${env.P2PCDN_KUBO_BIN}` : `in ${path.join(cache, 'bin')} or on PATH`}: run scripts/install-ipfs-peers.sh (needs Go), or set P2PCDN_KUBO_BIN`,
      }
}

/** `ipfs version` of the binary, e.g. "ipfs version 0.43.1". */
export async function kuboVersion(kubo) {
  return (await run(kubo.path, ['version'])).stdout.trim()
}

/** Environment variables of every command on a repo, as `KEY=value` (for `env`) and as an object. */
const repoEnv = (dir) => ({ IPFS_PATH: dir, IPFS_TELEMETRY: 'off', LIBP2P_TCP_REUSEPORT: 'false' })
const envArgs = (dir) => Object.entries(repoEnv(dir)).map(([k, v]) => `${k}=${v}`)

/** A fresh repo in `dir`: `ipfs init --profile=test,<profile> --empty-repo`, telemetry off. */
export async function initKuboRepo(kubo, dir, profile) {
  const env = { ...process.env, ...repoEnv(dir) }
  const ipfs = async (args, options = {}) =>
    (await run(kubo.path, args, { env, maxBuffer: 64 << 20, ...options })).stdout
  await ipfs(['init', `--profile=${['test', profile].filter(Boolean).join(',')}`, '--empty-repo'])
  await ipfs(['config', '--json', 'Plugins.Plugins.telemetry.Config', '{"Mode":"off"}'])
  return { dir, env, ipfs, remove: () => fs.rm(dir, { recursive: true, force: true }) }
}

/**
 * Times Kubo publishing `dir` the way p2pcdn's publish does (import + CAR): `ipfs add -r -Q`
 * then `ipfs dag export <root> > file`, each run on a fresh repo (its `ipfs init` not timed),
 * `times` runs, best taken. Returns a reference in the shape of runners.js's `timeReference`
 * (plus the add and export times apart, the root and the CAR size), or undefined with a note.
 */
export async function timeKuboPublish({ kubo, dir, bytes, times, scratch, profile, notes, label }) {
  const name = 'Kubo ipfs add -r -Q + dag export'
  try {
    const runs = []
    for (let i = 0; i < times; i++) {
      const repoDir = path.join(scratch, `kubo-${label}-repo-${i}`)
      const car = path.join(scratch, `kubo-${label}-${i}.car`)
      const repo = await initKuboRepo(kubo, repoDir, profile)
      try {
        syncDisks()
        await waitForQuiet()
        const add = await runTimed('env', [...envArgs(repoDir), kubo.path, 'add', '-r', '-Q', dir], {
          captureStdout: true,
          measureRss: true,
          scratch,
        })
        const root = add.stdout.trim()
        const exported = await runTimed(
          'env',
          [...envArgs(repoDir), 'sh', '-c', 'exec "$0" dag export "$1" > "$2"', kubo.path, root, car],
          { measureRss: true, scratch },
        )
        const { size: carBytes } = await fs.stat(car)
        runs.push({ add, exported, root, carBytes })
      } finally {
        await repo.remove()
        await fs.rm(car, { force: true })
      }
    }
    const total = summarise(runs.map((r) => r.add.ms + r.exported.ms))
    const rss = runs
      .flatMap((r) => [r.add.maxRssBytes, r.exported.maxRssBytes])
      .filter((x) => x !== undefined)
    return {
      name,
      command: `ipfs init --profile=test,${profile} (not timed); ipfs add -r -Q $TMP/${path.basename(dir)}; ipfs dag export <root> > $TMP/kubo.car`,
      ...total,
      mbps: mbps(bytes, total.bestMs),
      addMs: summarise(runs.map((r) => r.add.ms)),
      exportMs: summarise(runs.map((r) => r.exported.ms)),
      maxRssBytes: rss.length ? Math.max(...rss) : undefined,
      otherCpuShares: runs.map((r) => Math.max(r.add.otherCpuShare ?? 0, r.exported.otherCpuShare ?? 0)),
      root: runs[0].root,
      carBytes: runs[0].carBytes,
      stdout: runs[0].root,
    }
  } catch (err) {
    notes.push(`${name}: failed, reference skipped: ${err.message.split('\n')[0]}`)
    return undefined
  }
}

/**
 * A row of publish's report table: p2pcdn's MB/s beside Kubo's (ratio = ours / Kubo's, held to
 * `threshold` when given): report.js's throughput figure under Kubo's name.
 */
export function kuboFigure(id, label, ours, ref, threshold) {
  return throughputFigure(id, label, ours, ref && { ...ref, name: 'Kubo add + dag export' }, threshold)
}

/** The seeds bench/lib/scenario-large.js and scenario-site.js write their data with. */
const SEEDS = { large: 'p2pcdn-bench-large', site: 'p2pcdn-bench-site' }

/**
 * Kubo beside publish (bench/run.js), after the scenarios: each one's data written again from its
 * seed (the scenarios change or remove theirs), timed with {@link timeKuboPublish} under the
 * profile publish used (`profile`), as many runs as publish had. Adds `references.kubo` to
 * `large` and `site` (with `sameRoot`: Kubo's root CID equals publish's, so both did the same
 * work). Returns Kubo's version, or undefined when Kubo is missing (logged and noted).
 */
export async function benchKuboPublish({ work, config, profile, large, site, log, notes }) {
  const kubo = findKubo()
  if (!kubo.ok) {
    log(`Kubo reference rows skipped: ${kubo.reason}`)
    notes.push(`Kubo reference rows skipped: ${kubo.reason}`)
    return undefined
  }
  const version = await kuboVersion(kubo)
  const scenarios = [
    large && {
      label: 'large',
      result: large,
      times: config.large.slowRuns,
      write: (dir) => writeLargeFile(path.join(dir, 'large.bin'), config.large.size, SEEDS.large),
      ourRoot: large.publish.runs[0]?.root,
    },
    site && {
      label: 'site',
      result: site,
      times: config.site.runs,
      write: (dir) => generateSite(dir, { ...config.site, seed: SEEDS.site }),
      ourRoot: site.full.runs[0]?.root,
    },
  ].filter(Boolean)
  for (const s of scenarios) {
    const dir = path.join(work, `kubo-${s.label}`)
    log(`${s.label}: writing the data again for Kubo (${version})`)
    await s.write(dir)
    log(`${s.label}: Kubo ipfs add -r -Q + ipfs dag export, ${s.times} runs (fresh repo each)`)
    const ref = await timeKuboPublish({
      kubo,
      dir,
      bytes: s.result.bytes,
      times: s.times,
      scratch: work,
      profile,
      notes,
      label: s.label,
    })
    await fs.rm(dir, { recursive: true, force: true })
    if (!ref) continue
    ref.sameRoot = ref.root === s.ourRoot
    if (!ref.sameRoot)
      notes.push(`${s.label}: Kubo's root ${ref.root} differs from publish's ${s.ourRoot}: not the same work`)
    s.result.references.kubo = ref
  }
  return version
}

/** The figures with a Kubo row after each scenario's ipfs-car row (ratio = publish / Kubo, no target). */
export function withKuboFigures(figures, { large, site }) {
  const rows = [
    [
      'large.vs-ipfs-car',
      large && kuboFigure('large.vs-kubo', 'large file: publish', large.publish, large.references.kubo),
    ],
    [
      'site.vs-ipfs-car',
      site && kuboFigure('site.vs-kubo', 'site: full publish', site.full, site.references.kubo, 1),
    ],
  ]
  const out = [...figures]
  for (const [after, row] of rows) {
    if (!row?.reference) continue
    const at = out.findIndex((f) => f.id === after)
    out.splice(at === -1 ? out.length : at + 1, 0, row)
  }
  return out
}

/** Lines for stdout after the report: Kubo's add and export times apart, and whether the roots agree. */
export function formatKuboPublish(record) {
  const lines = []
  for (const [label, scenario] of [
    ['large file', record.scenarios.large],
    ['site', record.scenarios.site],
  ]) {
    const ref = scenario?.references?.kubo
    if (!ref) continue
    const s = (ms) => `${(ms / 1000).toFixed(2)} s`
    lines.push(
      `  ${label}: ipfs add ${s(ref.addMs.bestMs)} + dag export ${s(ref.exportMs.bestMs)} (best of each; best total ${s(ref.bestMs)}), CAR ${(ref.carBytes / 1e6).toFixed(1)} MB, peak RSS ${ref.maxRssBytes ? `${(ref.maxRssBytes / 1e6).toFixed(0)} MB` : '—'}, root ${ref.sameRoot ? 'the same as publish’s' : `${ref.root}, NOT publish’s`}`,
    )
  }
  if (lines.length === 0) return ''
  return `\nKubo reference (${record.machine.tools.kubo}, fresh repo per run, init not timed):\n${lines.join('\n')}\n`
}

/**
 * Starts `ipfs daemon` on a repo (loopback only: the test profile); resolves once it is ready
 * with its gateway and RPC URLs, its pid and `stop()` (SIGTERM, SIGKILL after 10 s).
 */
export function startKuboDaemon(kubo, repo, { startTimeoutMs = 60_000 } = {}) {
  const child = spawn(kubo.path, ['daemon'], { env: repo.env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  const toUrl = (ma) => {
    const m = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(ma ?? '')
    return m ? `http://${m[1]}:${m[2]}` : undefined
  }
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const fail = (why) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`ipfs daemon ${why}:\n${out}\n${err.slice(-2000)}`))
    }
    const timer = setTimeout(() => fail(`was not ready in ${startTimeoutMs} ms`), startTimeoutMs)
    const early = (code) => fail(`exited with ${code} before it was ready`)
    child.once('exit', early)
    child.stderr.on('data', (d) => {
      err += d
    })
    child.stdout.on('data', (d) => {
      out += d
      if (!out.includes('Daemon is ready')) return
      clearTimeout(timer)
      child.off('exit', early)
      const gateway = toUrl(/Gateway server listening on (\S+)/.exec(out)?.[1])
      const api = toUrl(/RPC API server listening on (\S+)/.exec(out)?.[1])
      if (!gateway || !api) return fail(`printed no gateway or RPC address`)
      resolve({ gateway, api, pid: child.pid, stop })
    })
  })
}

/** Times `ipfs dag import --pin-roots <car>` through the running daemon; checks it pinned `root`. */
export async function timeKuboDagImport(repo, car, root) {
  const started = performance.now()
  const out = await repo.ipfs(['dag', 'import', '--pin-roots', '--stats', '--enc=json', car])
  const ms = performance.now() - started
  const line = JSON.parse(out.trim().split('\n')[0])
  if (line.Root?.Cid?.['/'] !== root || line.Root?.PinErrorMsg)
    throw new Error(`ipfs dag import pinned ${JSON.stringify(line.Root)}, not ${root}`)
  return ms
}
