#!/usr/bin/env node
/**
 * p2pcdn publish benchmark: `npm run bench` (builds first), or
 *
 *   node bench/run.js [--quick] [--cpu-prof] [--only large|site] [--keep] [--json <file>]
 *
 * On data generated in a temporary folder (removed at the end), measures our
 * publish beside references timed in the same run on the same files:
 *
 *   1. one large file (1 GiB; 64 MiB with --quick), fresh cache: MB/s against
 *      `openssl dgst -sha256`, `sha256sum` and `ipfs-car pack`, and peak RSS;
 *   2. a site (5,000 × 20 KB assets + 500 HTML pages; 500 + 50 with --quick):
 *      full publish against `sha256sum` over the same files and `ipfs-car
 *      pack`, then re-publishes with the same cache after changing one file
 *      and with nothing changed;
 *   3. peak RSS of every publish, each run in its own child process.
 *
 * Prints a table with PASS/FAIL beside each target (a miss does not fail the
 * process) and writes bench/results/publish.json (publish.quick.json with
 * --quick). --cpu-prof adds profiled runs (not timed) and summarises them;
 * the raw profiles go to bench/results/profiles/.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { summariseProfile } from './lib/cpu-profile.js'
import { versionOf } from './lib/proc.js'
import { buildFigures, formatReport, TARGETS } from './lib/report.js'
import { IPFS_CAR, REPO } from './lib/runners.js'
import { benchLargeFile } from './lib/scenario-large.js'
import { benchSite } from './lib/scenario-site.js'

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
})

const CONFIG = flags.quick
  ? {
      large: { size: 64 << 20, hashRuns: 3, slowRuns: 2 },
      site: { assets: 500, assetSize: 20_000, pages: 50, runs: 3 },
    }
  : {
      large: { size: 1 << 30, hashRuns: 3, slowRuns: 2 },
      site: { assets: 5000, assetSize: 20_000, pages: 500, runs: 3 },
    }

const log = (line) =>
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}\n`)
const t0 = performance.now()

async function machineInfo(work) {
  const cpus = os.cpus()
  let filesystem
  try {
    filesystem = execFileSync('df', ['--output=fstype', work], { encoding: 'utf8' }).trim().split('\n').pop()
  } catch {}
  let commit
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim()
  } catch {}
  return {
    hostname: os.hostname(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryBytes: os.totalmem(),
    tmpdir: os.tmpdir(),
    tmpFilesystem: filesystem,
    tools: {
      openssl: versionOf('openssl', ['version']),
      sha256sum: versionOf('sha256sum'),
      ipfsCar: versionOf(IPFS_CAR, ['--version']),
    },
    p2pcdnCommit: commit,
  }
}

const withoutExtras = (scenario) => {
  if (scenario === undefined) return undefined
  const { profiles, notes, ...rest } = scenario
  return rest
}

async function main() {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-bench-'))
  const profileDir = flags['cpu-prof'] ? path.join(REPO, 'bench/results/profiles') : undefined
  if (profileDir) await fs.mkdir(profileDir, { recursive: true })
  const mode = flags.quick ? 'quick' : 'full'
  log(`${mode} run in ${work}`)
  try {
    const machine = await machineInfo(work)
    const large =
      flags.only && flags.only !== 'large'
        ? undefined
        : await benchLargeFile({ work, ...CONFIG.large, profileDir, log })
    const site =
      flags.only && flags.only !== 'site'
        ? undefined
        : await benchSite({ work, ...CONFIG.site, profileDir, log })

    const profiles = []
    for (const p of [...(large?.profiles ?? []), ...(site?.profiles ?? [])]) {
      profiles.push({ ...p, file: path.relative(REPO, p.file), summary: await summariseProfile(p.file) })
    }
    const record = {
      benchmark: 'p2pcdn publish',
      mode,
      date: new Date().toISOString(),
      node: process.version,
      machine,
      config: CONFIG,
      targets: TARGETS,
      figures: buildFigures({ large, site }),
      // Every sample of every run; profiles and notes are listed once, below.
      scenarios: { large: withoutExtras(large), site: withoutExtras(site) },
      profiles,
      notes: [...(large?.notes ?? []), ...(site?.notes ?? [])],
      durationS: (performance.now() - t0) / 1000,
    }
    const file = flags.json
      ? path.resolve(flags.json)
      : path.join(REPO, 'bench/results', flags.quick ? 'publish.quick.json' : 'publish.json')
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, `${JSON.stringify(record, null, 2)}\n`)
    process.stdout.write(formatReport(record))
    log(`results written to ${path.relative(process.cwd(), file)}; total ${record.durationS.toFixed(0)} s`)
  } finally {
    if (flags.keep) log(`kept ${work}`)
    else await fs.rm(work, { recursive: true, force: true })
  }
}

await main()
