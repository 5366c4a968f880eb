/**
 * The profiles and the paper's test configurations, checked against the paper's raw results (the
 * seed data): each test's clients are its files, its sources the files' `ipfs_*` keys, each
 * client's assets and sample counts what the file holds.
 */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  experimentNodes,
  NETEM_PROFILES,
  PAPER_EXPERIMENTS,
  PARALLEL_HOSTS_EXPERIMENT,
  parseRate,
  resolveNodes,
} from '../../src/netem/index.js'
import { ROOT } from '../helpers/fs.js'

const SEED = path.resolve(ROOT, '../shared/seed-data/experiments/results')
const seedExists = existsSync(SEED)

interface SeedFile {
  curl: Record<string, { samples: { total: number[] } }>
  [source: string]: unknown
}

const readSeed = async (test: string) => {
  const files = (await fs.readdir(path.join(SEED, test))).filter((name) => name.endsWith('.json'))
  return Object.fromEntries(
    await Promise.all(
      files.map(
        async (name) =>
          [
            name.replace(/\.json$/, ''),
            JSON.parse(await fs.readFile(path.join(SEED, test, name), 'utf8')) as SeedFile,
          ] as const,
      ),
    ),
  )
}

describe('NETEM_PROFILES', () => {
  it('model the paper: gigabit campus hosts, a 25/6 Mbit/s residential host serving at 25, a 50 Mbit/s distant origin', () => {
    const rates = (name: keyof typeof NETEM_PROFILES) => {
      const { down, up, delayMs } = NETEM_PROFILES[name]
      return { down: parseRate(down), up: parseRate(up), delayMs }
    }
    expect(rates('campusHost')).toEqual({ down: 1e9, up: 1e9, delayMs: 1 })
    expect(rates('residentialHost')).toEqual({ down: 6e6, up: 25e6, delayMs: 15 })
    expect(rates('origin')).toMatchObject({ up: 50e6 })
    expect(rates('origin').delayMs).toBeGreaterThanOrEqual(10)
    for (const profile of Object.values(NETEM_PROFILES))
      expect(profile.description.length).toBeGreaterThan(20)
  })

  it("the issue's target: three 25 Mbit/s hosts together out-serve one 50 Mbit/s origin", () => {
    const nodes = resolveNodes(experimentNodes(PARALLEL_HOSTS_EXPERIMENT))
    const hosts = nodes.filter((node) => node.role === 'host')
    const origin = nodes.find((node) => node.role === 'origin')
    const client = nodes.find((node) => node.role === 'client')
    expect(hosts.map((host) => host.link.up)).toEqual([25e6, 25e6, 25e6])
    expect(origin?.link.up).toBe(50e6)
    // The client's download is not the bottleneck for the hosts together.
    expect(client?.link.down).toBeGreaterThanOrEqual(3 * 25e6)
  })
})

describe.skipIf(!seedExists)(
  `PAPER_EXPERIMENTS${seedExists ? '' : ' (skipped: the seed data ../shared/seed-data/experiments/results is absent)'}`,
  () => {
    it('are the seed folders', async () => {
      const folders = (await fs.readdir(SEED)).filter((name) => name.startsWith('test-')).sort()
      expect(PAPER_EXPERIMENTS.map((experiment) => experiment.id)).toEqual(folders)
    })

    it.each(PAPER_EXPERIMENTS.map((experiment) => [experiment.id, experiment] as const))(
      '%s: clients, sources, assets and samples match the results files',
      async (id, experiment) => {
        const seed = await readSeed(id)
        expect(experiment.clients.map((client) => client.results).sort()).toEqual(Object.keys(seed).sort())
        for (const client of experiment.clients) {
          const file = seed[client.results] as SeedFile
          const sources = Object.keys(file).filter((key) => key.startsWith('ipfs_'))
          expect(Object.keys(experiment.sources).sort(), client.results).toEqual(sources.sort())
          expect([...client.assets].sort(), client.results).toEqual(Object.keys(file.curl).sort())
          for (const asset of client.assets) {
            const samples = experiment.samples[asset]
            expect(file.curl[asset]?.samples.total).toHaveLength(samples?.origin as number)
            for (const source of sources) {
              const gets = (file[source] as Record<string, { gets: number[] }>)[asset]?.gets
              expect(gets, `${client.results} ${source} ${asset}`).toHaveLength(samples?.p2p as number)
            }
          }
        }
        // Every source's hosts are hosts of the network, and the network is valid.
        const nodes = resolveNodes(experimentNodes(experiment))
        const hosts = nodes.filter((node) => node.role === 'host').map((node) => node.name)
        for (const members of Object.values(experiment.sources))
          expect(hosts).toEqual(expect.arrayContaining([...members]))
        expect(nodes.filter((node) => node.role === 'client')).toHaveLength(experiment.clients.length)
        expect(nodes.filter((node) => node.role === 'origin')).toHaveLength(1)
      },
    )

    it('picks clients by node or results name', () => {
      const test3 = PAPER_EXPERIMENTS.find((experiment) => experiment.id === 'test-3')
      if (!test3) throw new Error('no test-3')
      const nodes = experimentNodes(test3, ['Baker_verizon_4g', 'client-9'])
      expect(nodes.map((node) => [node.name, node.role])).toEqual([
        ['origin', 'origin'],
        ['residential', 'host'],
        ['baker-verizon-4g', 'client'],
        ['client-9', 'client'],
      ])
      expect(nodes[2]?.link).toEqual({ down: '20mbit', up: '5mbit', delayMs: 30 })
    })
  },
)
