import fs from 'node:fs/promises'
import path from 'node:path'
import type { Warning } from '../warnings.js'
import { reportErrors } from './report-errors.js'
import {
  CURL_PHASES,
  type CurlAssetResult,
  type IpfsAssetResult,
  type ResultsFile,
} from './results-format.js'

/** One results file, placed in its test. */
export interface ResultsEntry {
  /** The file, as it was found (absolute). */
  file: string
  /** The test it belongs to: the name of its folder, e.g. `test-1`. */
  group: string
  /** The client that wrote it: the file name without `.json`, e.g. `client-1`. */
  client: string
  results: ResultsFile
}

export interface ReadResultsResult {
  /** Sorted by test, then client (numbers in names compared as numbers: `client-2` < `client-10`). */
  entries: ResultsEntry[]
  warnings: Warning[]
}

/** Compares names with their digit runs as numbers, so that `client-2` sorts before `client-10`. */
export function compareNames(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? []
  const pb = b.match(/\d+|\D+/g) ?? []
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string
    const y = pb[i] as string
    if (x === y) continue
    const nx = /^\d/.test(x) && /^\d/.test(y)
    if (nx && Number(x) !== Number(y)) return Number(x) - Number(y)
    return x < y ? -1 : 1
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0)
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function seconds(file: string, where: string, value: unknown, nonEmpty: boolean): number[] {
  if (!Array.isArray(value) || (nonEmpty && value.length === 0))
    throw reportErrors.invalid(
      file,
      where,
      `${nonEmpty ? 'a non-empty' : 'an'} array of times in seconds (numbers >= 0)`,
      value,
    )
  value.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw reportErrors.invalid(file, `${where}[${i}]`, 'a time in seconds (a number >= 0)', v)
  })
  return value as number[]
}

const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length

/** True when a recorded mean and the mean of the samples differ beyond rounding. */
/** The recorded mean is not that of the samples, beyond rounding to the microsecond (as curl and `p2pcdn bench` print times). */
const disagrees = (recorded: number, samples: readonly number[]) =>
  samples.length > 0 && Math.abs(recorded - mean(samples)) > 1e-6

function checkCurlAsset(file: string, asset: string, value: unknown, warnings: Warning[]): CurlAssetResult {
  const where = `curl.${asset}`
  if (!isObject(value)) throw reportErrors.invalid(file, where, 'an object with `samples`', value)
  const samples = value.samples
  if (!isObject(samples))
    throw reportErrors.invalid(file, `${where}.samples`, 'an object of curl phases (`total`, …)', samples)
  const total = seconds(file, `${where}.samples.total`, samples.total, true)
  for (const phase of CURL_PHASES) {
    if (samples[phase] === undefined) continue
    const values = seconds(file, `${where}.samples.${phase}`, samples[phase], false)
    if (values.length !== total.length)
      throw reportErrors.invalid(
        file,
        `${where}.samples.${phase}`,
        `as long as \`samples.total\` (${total.length} samples)`,
        values,
      )
  }
  if (value.average !== undefined) {
    if (!isObject(value.average))
      throw reportErrors.invalid(file, `${where}.average`, 'an object of mean times per phase', value.average)
    const recorded = value.average.total
    if (recorded !== undefined && (typeof recorded !== 'number' || !Number.isFinite(recorded)))
      throw reportErrors.invalid(file, `${where}.average.total`, 'a number of seconds', recorded)
    if (typeof recorded === 'number' && disagrees(recorded, total))
      warnings.push({
        code: 'W_RESULTS_AVERAGE',
        message: `${file}: \`${where}.average.total\` (${recorded}) is not the mean of its samples (${mean(total)}); the report uses the samples.`,
        path: file,
      })
  }
  return value as unknown as CurlAssetResult
}

function checkIpfsAsset(
  file: string,
  source: string,
  asset: string,
  value: unknown,
  warnings: Warning[],
): IpfsAssetResult {
  const where = `${source}.${asset}`
  if (!isObject(value)) throw reportErrors.invalid(file, where, 'an object with `gets`', value)
  const gets = seconds(file, `${where}.gets`, value.gets, false)
  const tries = value.tries
  if (tries !== undefined && (typeof tries !== 'number' || !Number.isInteger(tries) || tries < gets.length))
    throw reportErrors.invalid(
      file,
      `${where}.tries`,
      `a whole number of attempts, at least the ${gets.length} gets`,
      tries,
    )
  const recorded = value.average
  if (recorded !== undefined && recorded !== null) {
    if (typeof recorded !== 'number' || !Number.isFinite(recorded))
      throw reportErrors.invalid(
        file,
        `${where}.average`,
        'a number of seconds (or null without gets)',
        recorded,
      )
    if (disagrees(recorded, gets))
      warnings.push({
        code: 'W_RESULTS_AVERAGE',
        message: `${file}: \`${where}.average\` (${recorded}) is not the mean of its gets (${mean(gets)}); the report uses the gets.`,
        path: file,
      })
  }
  return value as unknown as IpfsAssetResult
}

/**
 * Checks that `value` (a parsed results file) has the shape `p2pcdn report` reads, and returns it
 * typed. Throws a `P2pcdnError` that names the file and the first wrong key otherwise; keys other
 * than `VERSION`, `curl` and `ipfs_*` (the paper's `pings`, for one) are ignored.
 */
export function validateResults(value: unknown, file: string, warnings: Warning[] = []): ResultsFile {
  if (!isObject(value)) throw reportErrors.invalid(file, '(the top level)', 'an object', value)
  if (value.VERSION !== undefined && typeof value.VERSION !== 'string')
    throw reportErrors.invalid(file, 'VERSION', 'a string', value.VERSION)
  if (!isObject(value.curl))
    throw reportErrors.invalid(file, 'curl', 'an object of the origin fetches per asset', value.curl)
  for (const [asset, result] of Object.entries(value.curl)) checkCurlAsset(file, asset, result, warnings)
  for (const [key, assets] of Object.entries(value)) {
    if (!key.startsWith('ipfs_')) continue
    if (!isObject(assets)) throw reportErrors.invalid(file, key, 'an object of P2P fetches per asset', assets)
    for (const [asset, result] of Object.entries(assets)) checkIpfsAsset(file, key, asset, result, warnings)
  }
  return value as unknown as ResultsFile
}

/** Parses and validates the text of one results file; see {@link validateResults}. */
export function parseResults(text: string, file: string, warnings: Warning[] = []): ResultsFile {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw reportErrors.notJson(file, err)
  }
  return validateResults(value, file, warnings)
}

/** Every `*.json` below `dir` (dotfiles and dot-folders skipped), sorted. */
async function jsonFilesUnder(dir: string, seen: Set<string>): Promise<string[]> {
  const real = await fs.realpath(dir)
  if (seen.has(real)) return []
  seen.add(real)
  let entries: import('node:fs').Dirent[]
  try {
    entries = await fs.readdir(dir, { withFileTypes: true })
  } catch (err) {
    throw reportErrors.unreadable(dir, err)
  }
  const files: string[] = []
  for (const entry of entries.sort((a, b) => compareNames(a.name, b.name))) {
    if (entry.name.startsWith('.')) continue
    const full = path.join(dir, entry.name)
    const stat = entry.isSymbolicLink() ? await fs.stat(full).catch(() => undefined) : entry
    if (stat?.isDirectory()) files.push(...(await jsonFilesUnder(full, seen)))
    else if (stat?.isFile() && entry.name.toLowerCase().endsWith('.json')) files.push(full)
  }
  return files
}

/**
 * Reads results files (see `results-format.ts`). Each input is a file, or a folder searched
 * recursively for `*.json`. A file's test is the name of its folder (`results/test-1/client-1.json`
 * → test `test-1`, client `client-1`). Every file is validated; one that is not a valid results file
 * stops the read with a `P2pcdnError` naming it.
 *
 * @example
 * const { entries } = await readResults(['experiments/results'])
 */
export async function readResults(inputs: readonly string[]): Promise<ReadResultsResult> {
  const files: string[] = []
  const seenDirs = new Set<string>()
  for (const input of inputs) {
    const full = path.resolve(input)
    const stat = await fs.stat(full).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw reportErrors.pathMissing(input)
      throw reportErrors.unreadable(input, err)
    })
    if (stat.isDirectory()) {
      // A folder inside one read already (`results results/test-1`) adds nothing.
      if (seenDirs.has(await fs.realpath(full))) continue
      const found = await jsonFilesUnder(full, seenDirs)
      if (found.length === 0) throw reportErrors.noResults(input)
      files.push(...found)
    } else files.push(full)
  }

  const warnings: Warning[] = []
  const entries: ResultsEntry[] = []
  const byKey = new Map<string, ResultsEntry>()
  const seenFiles = new Set<string>()
  for (const file of files) {
    const real = await fs.realpath(file)
    if (seenFiles.has(real)) continue
    seenFiles.add(real)
    let text: string
    try {
      text = await fs.readFile(file, 'utf8')
    } catch (err) {
      throw reportErrors.unreadable(file, err)
    }
    const results = parseResults(text, file, warnings)
    const group = path.basename(path.dirname(file))
    const client = path.basename(file).replace(/\.json$/i, '')
    const key = JSON.stringify([group, client])
    const earlier = byKey.get(key)
    if (earlier) throw reportErrors.duplicateClient(group, client, earlier.file, file)
    const entry = { file, group, client, results }
    byKey.set(key, entry)
    entries.push(entry)
  }
  entries.sort((a, b) => compareNames(a.group, b.group) || compareNames(a.client, b.client))
  return { entries, warnings }
}
