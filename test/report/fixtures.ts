/** Small results files in the paper's format, for the report tests. */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { ResultsEntry, ResultsFile } from '../../src/index.js'
import { ROOT } from '../helpers/fs.js'

/** The paper's raw results (github.com/p2p-cdn/experiments `results/`), when this machine has them. */
export const SEED_RESULTS = path.resolve(ROOT, '../shared/seed-data/experiments/results')

/** Origin fetches of one asset: total times (s) and, optionally, connect and name lookup times. */
export function curl(total: number[], phases: { connect?: number[]; lookup?: number[] } = {}) {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length
  const samples: Record<string, number[]> = { total }
  if (phases.connect) samples.time_connect = phases.connect
  if (phases.lookup) samples.time_namelookup = phases.lookup
  return {
    average: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, mean(v)])),
    samples,
  }
}

/** P2P fetches of one asset (s). */
export const gets = (values: number[], tries = values.length) => ({
  average: values.length > 0 ? values.reduce((s, x) => s + x, 0) / values.length : null,
  gets: values,
  tries,
})

/** An in-memory entry, as `readResults` returns them. */
export function entry(group: string, client: string, results: Record<string, unknown>): ResultsEntry {
  return {
    file: `/results/${group}/${client}.json`,
    group,
    client,
    results: results as unknown as ResultsFile,
  }
}

/** Writes `files` (relative path → JSON value or raw text) under `dir`. */
export async function writeTree(dir: string, files: Record<string, unknown>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel)
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
}
