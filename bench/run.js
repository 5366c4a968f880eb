#!/usr/bin/env node
/**
 * p2pcdn publish benchmark: `npm run bench` (builds first), or
 *
 *   node bench/run.js [--quick] [--cpu-prof] [--only large|site] [--keep] [--json <file>]
 *                    [--dist <index.js>] [--max-wait <s>]
 *
 * On data generated in a temporary folder (removed at the end), measures our
 * publish beside references timed in the same run on the same files:
 *
 *   1. one large file (1 GiB; 64 MiB with --quick), fresh cache: time against
 *      `cp` + `openssl dgst -sha256` (target ≤ 1.5×), MB/s against openssl,
 *      `sha256sum` and `ipfs-car pack` (≥ 2×), and with `--car` (writing a CAR
 *      as ipfs-car does); the cache folder's size over the bytes (≤ 5 %);
 *   2. a site (5,000 × 20 KB assets + 500 HTML pages; 500 + 50 with --quick),
 *      pages rewritten: full publish against `cp -r` + `sha256sum` over the same
 *      files (≤ 1.5×), sha256sum alone and `ipfs-car pack` (≥ 5×), then
 *      re-publishes with the same cache after changing one file (≤ 0.3× the
 *      cold publish) and with nothing changed; the cache folder (≤ 5 %);
 *   3. peak RSS of every publish, each run in its own child process (≤ 300 MB);
 *   4. beside both, the real Kubo when its binary is found (bench/lib/kubo-reference.js):
 *      `ipfs add -r -Q` + `ipfs dag export > file` on the same data, each run into a fresh
 *      repo (`--profile=test,<publish's profile>`), as many runs as publish (site: publish
 *      no slower, ≥ 1×); without Kubo
 *      these rows are skipped, saying why.
 *
 * Prints a table with PASS/FAIL beside each target (a miss does not fail the
 * process) and writes bench/results/publish.json (publish.quick.json with
 * --quick). --cpu-prof adds profiled runs (not timed) and summarises them;
 * the raw profiles go to bench/results/profiles/. --dist runs another build
 * (its dist/src/index.js), e.g. an older commit's, for an A/B comparison on
 * the same machine. Before each timed run the bench waits up to --max-wait
 * seconds (default 5, 0 = never) for other processes to leave the CPUs idle,
 * and records how busy they kept them during the run ("others").
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { setMaxQuietWait } from './lib/cpu-meter.js'
import { summariseProfile } from './lib/cpu-profile.js'
import { benchKuboPublish, formatKuboPublish, withKuboFigures } from './lib/kubo-reference.js'
import { machineInfo } from './lib/machine.js'
import { buildFigures, formatReport, TARGETS } from './lib/report.js'
import { IPFS_CAR, REPO, scratchNames } from './lib/runners.js'
import { benchLargeFile } from './lib/scenario-large.js'
import { benchSite } from './lib/scenario-site.js'

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
    dist: { type: 'string' },
    'max-wait': { type: 'string', default: '5' },
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

/**
 * Bytes the scratch folder holds at most when nothing is deleted before the
 * end: inputs, every run's output and cache (about twice the input), the
 * ipfs-car CARs, Kubo's repo and CAR, and a margin.
 */
function scratchNeed({ large, site }, profiling) {
  const largeRuns = large.slowRuns + (profiling ? 1 : 0)
  const siteBytes = site.assets * site.assetSize + site.pages * 20_000
  return (
    large.size * (1 + large.slowRuns + 3 * largeRuns) +
    siteBytes * (2 + site.runs + 2 * (site.runs + 2)) +
    // Kubo's reference: the data written again, one repo and one CAR at a time
    (large.size + siteBytes) * 3 +
    2 ** 30
  )
}

const withoutExtras = (scenario) => {
  if (scenario === undefined) return undefined
  const { profiles, notes, ...rest } = scenario
  return rest
}

async function main() {
  setMaxQuietWait(Number(flags['max-wait']) * 1000)
  // Read by bench/lib/publish-child.js in every publish child.
  if (flags.dist) process.env.P2PCDN_BENCH_DIST = path.resolve(flags.dist)
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-bench-'))
  const profileDir = flags['cpu-prof'] ? path.join(REPO, 'bench/results/profiles') : undefined
  if (profileDir) await fs.mkdir(profileDir, { recursive: true })
  const mode = flags.quick ? 'quick' : 'full'
  log(`${mode} run in ${work}`)
  try {
    const machine = await machineInfo(work, { repo: REPO, ipfsCar: IPFS_CAR })
    const notes = []
    const fsInfo = machine.tmpFileSystem
    if (fsInfo.journal === false) {
      notes.push(
        `${os.tmpdir()} is ext4 without a journal: file creation right after mass deletes is slow (the kernel skips recently deleted inodes), so run outputs are kept until the end; publish's own removal of the previous output still slows the re-publishes that follow it.`,
      )
    }
    const keep = machine.tmpFreeBytes > scratchNeed(CONFIG, profileDir !== undefined)
    if (!keep)
      notes.push('not enough free space to keep run outputs until the end: each is removed after its run')
    const names = scratchNames(work, keep)
    const large =
      flags.only && flags.only !== 'large'
        ? undefined
        : await benchLargeFile({ work, names, ...CONFIG.large, profileDir, log })
    const site =
      flags.only && flags.only !== 'site'
        ? undefined
        : await benchSite({ work, names, ...CONFIG.site, profileDir, log })
    const { DEFAULT_PROFILE } = await import(path.join(REPO, 'dist/src/index.js'))
    machine.tools.kubo = await benchKuboPublish({
      work,
      config: CONFIG,
      profile: DEFAULT_PROFILE,
      large,
      site,
      log,
      notes,
    })

    const profiles = []
    for (const p of [...(large?.profiles ?? []), ...(site?.profiles ?? [])]) {
      profiles.push({ ...p, file: path.relative(REPO, p.file), summary: await summariseProfile(p.file) })
    }
    const publishRuns = [large?.publish.runs, site?.full.runs, site?.oneChanged.runs, site?.unchanged.runs]
    const referenceRuns = [large?.references, site?.references].flatMap((refs) =>
      Object.values(refs ?? {}).map((ref) => ref?.otherCpuShares ?? []),
    )
    const shares = [...publishRuns.flat().map((r) => r?.otherCpuShare), ...referenceRuns.flat()]
    const busiest = Math.max(0, ...shares.filter((x) => typeof x === 'number'))
    if (busiest > 0.25) {
      notes.push(
        `other processes used up to ${(busiest * 100).toFixed(0)}% of the CPUs during some timed runs (publish runs: see "others"; references: otherCpuShares in the JSON); such runs are slower than on a quiet machine, and the best-of figures mostly avoid them. Run again when the machine is idle, or raise --max-wait.`,
      )
    }
    const record = {
      benchmark: 'p2pcdn publish',
      mode,
      date: new Date().toISOString(),
      node: process.version,
      dist: flags.dist ? path.resolve(flags.dist) : path.join(REPO, 'dist/src/index.js'),
      machine,
      config: CONFIG,
      targets: TARGETS,
      figures: withKuboFigures(buildFigures({ large, site }), { large, site }),
      // Every sample of every run; profiles and notes are listed once, below.
      scenarios: { large: withoutExtras(large), site: withoutExtras(site) },
      profiles,
      notes: [...notes, ...(large?.notes ?? []), ...(site?.notes ?? [])],
      durationS: (performance.now() - t0) / 1000,
    }
    const file = flags.json
      ? path.resolve(flags.json)
      : path.join(REPO, 'bench/results', flags.quick ? 'publish.quick.json' : 'publish.json')
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, `${JSON.stringify(record, null, 2)}\n`)
    process.stdout.write(formatReport(record) + formatKuboPublish(record))
    log(`results written to ${path.relative(process.cwd(), file)}; total ${record.durationS.toFixed(0)} s`)
  } finally {
    if (flags.keep) log(`kept ${work}`)
    else await fs.rm(work, { recursive: true, force: true })
  }
}

await main()
