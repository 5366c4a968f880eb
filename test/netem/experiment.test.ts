/**
 * The paper experiment end to end, small: bench/lib/paper-experiment.js builds an emulated
 * network (origin 50 Mbit/s, two hosts 25 Mbit/s, one client), starts the built `p2pcdn host` in
 * the hosts' namespaces and a static origin, runs the built `p2pcdn bench` in the client's
 * namespace, and writes a results file in the paper's format that `p2pcdn report` reads. Needs
 * root and the build (`npm run build`); skips with the reason otherwise. The full run with the
 * paper's sizes is `node bench/paper.js` (docs/paper-emulation.md).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { checkNetem, type NetemExperiment } from '../../src/netem/index.js'
import type { ResultsFile } from '../../src/report/results-format.js'
import { ROOT, tempDirs } from '../helpers/fs.js'

const CLI = path.join(ROOT, 'dist/cli/bin.js')
const support = await checkNetem()
const reason = !support.ok
  ? `network emulation unavailable: ${support.reason}`
  : existsSync(CLI)
    ? undefined
    : 'dist/cli/bin.js is not built: run `npm run build`'
if (reason) console.warn(`test/netem/experiment.test.ts skipped: ${reason}`)

const temps = tempDirs()
afterAll(() => temps.cleanup())

const EXPERIMENT: NetemExperiment = {
  id: 'mini',
  description: 'two 25 Mbit/s hosts, a 50 Mbit/s origin, one client',
  origin: { node: 'origin', profile: 'origin' },
  hosts: [
    { node: 'host-1', profile: 'symmetricHost' },
    { node: 'host-2', profile: 'symmetricHost' },
  ],
  clients: [{ node: 'client', results: 'client-1', profile: 'campusClient', assets: ['iphone', 'ipad'] }],
  sources: { ipfs_residential: ['host-1', 'host-2'] },
  samples: { iphone: { origin: 2, p2p: 2 }, ipad: { origin: 1, p2p: 1 } },
}

type RunPaperExperiment = (options: Record<string, unknown>) => Promise<{ files: string[] }>

describe.skipIf(reason !== undefined)('paper experiment on an emulated network', () => {
  it('runs hosts, origin and bench in their namespaces and writes results that report reads', async () => {
    const work = await temps.make('paper-mini')
    const site = path.join(work, 'site')
    const out = path.join(work, 'site-p2p')
    await fs.mkdir(site)
    await fs.writeFile(path.join(site, 'iphone.jpg'), Buffer.alloc(22_000, 7))
    // Four 1 MiB chunks and a bit: a multi-block file, spread over both hosts.
    await fs.writeFile(
      path.join(site, 'ipad.mp4'),
      Buffer.from(Array.from({ length: 4_300_000 }, (_, i) => (i * 2654435761) >>> 24)),
    )
    execFileSync(process.execPath, [CLI, 'publish', site, '-o', out, '--no-cache', '--no-push'], {
      stdio: 'ignore',
    })
    const module = (await import(pathToFileURL(path.join(ROOT, 'bench/lib/paper-experiment.js')).href)) as {
      runPaperExperiment: RunPaperExperiment
    }
    const resultsDir = path.join(work, 'results')
    const { files } = await module.runPaperExperiment({
      experiment: EXPERIMENT,
      siteDir: out,
      assets: { iphone: 'iphone.jpg', ipad: 'ipad.mp4' },
      resultsDir,
      timeoutMs: 60_000,
    })
    expect(files).toEqual([path.join(resultsDir, 'mini', 'client-1.json')])
    const results = JSON.parse(await fs.readFile(files[0] as string, 'utf8')) as ResultsFile
    // The paper's keys: origin phases and both assets; P2P per source, every try a success.
    expect(results.curl.iphone?.samples.total).toHaveLength(2)
    expect(results.curl.ipad?.samples.total).toHaveLength(1)
    expect(results.curl.iphone?.average.time_connect).toBeGreaterThan(0)
    for (const source of ['ipfs_residential', 'ipfs_hosts'] as const) {
      expect(results[source]?.iphone).toMatchObject({
        tries: 2,
        gets: [expect.any(Number), expect.any(Number)],
      })
      expect(results[source]?.ipad).toMatchObject({ tries: 1 })
    }
    // The links are really there: 4.3 MB at 50 Mbit/s takes at least ~0.7 s from the origin, and
    // the 20 + 2 ms delays make a connection take at least one 44 ms round trip.
    expect(results.curl.ipad?.average.total).toBeGreaterThan(0.65)
    expect(results.curl.iphone?.average.time_connect).toBeGreaterThan(0.04)

    const report = spawnSync(process.execPath, [CLI, 'report', resultsDir, '--json'], { encoding: 'utf8' })
    expect(report.status, report.stderr).toBe(0)
    const { tables } = JSON.parse(report.stdout) as { tables: { id: string; rows: unknown[] }[] }
    expect(tables.map((t) => t.id).sort()).toEqual([
      'mini/ipad/ipfs_hosts',
      'mini/ipad/ipfs_residential',
      'mini/iphone/ipfs_hosts',
      'mini/iphone/ipfs_residential',
    ])
  }, 180_000)
})
