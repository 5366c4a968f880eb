/**
 * The generic tables, for results that are not the paper's (our own `p2pcdn bench` runs, or files
 * of the paper's format that no paper table has a row for): one table per test, asset and P2P
 * source, a line per client.
 */
import type { Warning } from '../warnings.js'
import { ASSET_NAMES, SOURCE_NAMES } from './paper.js'
import { compareNames, type ResultsEntry } from './read-results.js'
import type { CurlAssetResult, IpfsAssetResult } from './results-format.js'
import { geometricMean, mean, median } from './stats.js'

/** Mean origin fetch phases, in ms from the start of the fetch (those the file records). */
export interface OriginPhasesMs {
  /** curl `time_namelookup`. */
  dns?: number
  /** curl `time_connect`. */
  connect?: number
  /** curl `time_appconnect` (TLS done). */
  tls?: number
  /** curl `time_starttransfer`. */
  firstByte?: number
  /** curl `time_total`. */
  total: number
}

/** A P2P fetch left out of a client's mean as failed, and why. */
export interface DroppedGet {
  ms: number
  reason: string
}

/** One client's line in a table. */
export interface ReportRow {
  client: string
  file: string
  /** Mean of the origin fetches' total time, ms. */
  originMs: number
  originSamples: number
  originPhasesMs: OriginPhasesMs
  /** Mean of the P2P fetches' time, ms (failed ones left out). */
  p2pMs: number
  p2pSamples: number
  /** Attempts the client made, when the file records them. */
  p2pTries?: number
  dropped: DroppedGet[]
  /** `originMs / p2pMs`: above 1, P2P was faster. */
  ratio: number
}

/** A client of the test that is not in the table, and why. */
export interface ExcludedClient {
  client: string
  file: string
  /** `missing`: no fetches of the asset; `failed`: none succeeded. */
  rule: 'missing' | 'failed'
  reason: string
}

/** Origin against one P2P source, for one asset, over the clients of one test. */
export interface ReportTable {
  /** `<test>/<asset>/<source>`, e.g. `test-1/iphone/ipfs_mit`. */
  id: string
  group: string
  asset: string
  source: string
  rows: ReportRow[]
  excluded: ExcludedClient[]
  /** Geometric mean of the rows' ratios; `null` when no client has both sides. */
  geometricMean: number | null
}

const ms = (seconds: number) => seconds * 1000
const fmt = (value: number) => value.toFixed(1)

/**
 * The client's fastest TCP handshake with the origin for this asset: min over the curl samples of
 * `time_connect - time_namelookup` (one round trip), in seconds; undefined without those phases.
 */
export function fastestHandshake(curl: CurlAssetResult | undefined): number | undefined {
  const connect = curl?.samples.time_connect
  const lookup = curl?.samples.time_namelookup
  if (!connect || !lookup || connect.length === 0) return undefined
  return Math.min(...connect.map((c, i) => c - (lookup[i] ?? 0)))
}

/**
 * Splits a client's P2P fetch times (seconds) into those that count and those that failed.
 *
 * A fetch failed when it took no time (0 s is no measurement), or when it is both shorter than the
 * client's fastest TCP handshake with the origin (a P2P fetch needs at least one round trip to a
 * host over the same access network) and under a quarter of the client's median fetch from that
 * source (an isolated drop, not a host that is simply close: a series that is fast throughout
 * stays). Generic tables only: the paper's tables count every get as the paper did (its Table 4
 * keeps test-3/Baker_verizon_4g's 20 ms get, which this rule would drop).
 */
export function splitFailedGets(
  gets: readonly number[],
  handshake: number | undefined,
): { kept: number[]; dropped: DroppedGet[] } {
  const kept: number[] = []
  const dropped: DroppedGet[] = []
  const typical = gets.length > 0 ? median(gets) : 0
  for (const get of gets) {
    if (get <= 0) dropped.push({ ms: 0, reason: 'took no time: not a measurement' })
    else if (handshake !== undefined && get < handshake && get < typical / 4)
      dropped.push({
        ms: ms(get),
        reason: `shorter than one round trip (the client's fastest handshake with the origin took ${fmt(ms(handshake))} ms) and under a quarter of its median fetch (${fmt(ms(typical))} ms): it cannot have transferred the asset`,
      })
    else kept.push(get)
  }
  return { kept, dropped }
}

function phases(curl: CurlAssetResult): OriginPhasesMs {
  const s = curl.samples
  const out: OriginPhasesMs = { total: ms(mean(s.total)) }
  if (s.time_namelookup) out.dns = ms(mean(s.time_namelookup))
  if (s.time_connect) out.connect = ms(mean(s.time_connect))
  if (s.time_appconnect) out.tls = ms(mean(s.time_appconnect))
  if (s.time_starttransfer) out.firstByte = ms(mean(s.time_starttransfer))
  return out
}

const sourcesOf = (entry: ResultsEntry) =>
  Object.keys(entry.results).filter((key) => key.startsWith('ipfs_')) as `ipfs_${string}`[]

const ipfsAsset = (entry: ResultsEntry, source: string, asset: string): IpfsAssetResult | undefined =>
  (entry.results as unknown as Record<string, Record<string, IpfsAssetResult> | undefined>)[source]?.[asset]

function buildTable(
  group: string,
  asset: string,
  source: string,
  entries: readonly ResultsEntry[],
): ReportTable {
  const rows: ReportRow[] = []
  const excluded: ExcludedClient[] = []
  for (const entry of entries) {
    const { client, file } = entry
    const curl = entry.results.curl[asset]
    const p2p = ipfsAsset(entry, source, asset)
    if (!curl || !p2p) {
      const what =
        !curl && !p2p
          ? `did not fetch the ${asset}`
          : !curl
            ? 'no origin fetches'
            : `no fetches from ${source}`
      excluded.push({ client, file, rule: 'missing', reason: `${what} (not in the file)` })
      continue
    }
    const { kept, dropped } = splitFailedGets(p2p.gets, fastestHandshake(curl))
    if (kept.length === 0) {
      const tries = p2p.tries ?? p2p.gets.length
      excluded.push({
        client,
        file,
        rule: 'failed',
        reason: `no successful fetch from ${source} (${tries} tries)`,
      })
      continue
    }
    const originMs = ms(mean(curl.samples.total))
    const p2pMs = ms(mean(kept))
    const row: ReportRow = {
      client,
      file,
      originMs,
      originSamples: curl.samples.total.length,
      originPhasesMs: phases(curl),
      p2pMs,
      p2pSamples: kept.length,
      dropped,
      ratio: originMs / p2pMs,
    }
    if (p2p.tries !== undefined) row.p2pTries = p2p.tries
    rows.push(row)
  }
  return {
    id: `${group}/${asset}/${source}`,
    group,
    asset,
    source,
    rows,
    excluded,
    geometricMean: rows.length > 0 ? geometricMean(rows.map((r) => r.ratio)) : null,
  }
}

/**
 * Builds one table per test, asset and P2P source: for every client of the test (one results
 * file), the mean origin time, the mean P2P time and their ratio (origin / P2P), and the geometric
 * mean of the ratios. Any `ipfs_*` key is a source. Clients without fetches of the asset are listed
 * in `excluded` and stay out of the mean; failed fetches are left out of a client's mean (see
 * {@link splitFailedGets}). Pure: the same entries give the same tables, sorted by test, asset and
 * source.
 */
export function computeGenericTables(entries: readonly ResultsEntry[]): {
  tables: ReportTable[]
  warnings: Warning[]
} {
  const warnings: Warning[] = []
  const groups = new Map<string, ResultsEntry[]>()
  for (const entry of entries) {
    const list = groups.get(entry.group) ?? []
    list.push(entry)
    groups.set(entry.group, list)
  }
  const tables: ReportTable[] = []
  for (const [group, list] of groups) {
    const members = [...list].sort((a, b) => compareNames(a.client, b.client))
    const pairs = new Map<string, { asset: string; source: string }>()
    for (const entry of members)
      for (const source of sourcesOf(entry))
        for (const asset of Object.keys(entry.results[source] ?? {}))
          pairs.set(JSON.stringify([asset, source]), { asset, source })
    const originOnly = new Set(members.flatMap((entry) => Object.keys(entry.results.curl)))
    for (const { asset } of pairs.values()) originOnly.delete(asset)
    for (const asset of [...originOnly].sort(compareNames))
      warnings.push({
        code: 'W_REPORT_NO_P2P',
        message: `Test "${group}" has origin fetches of "${asset}" but no P2P fetches of it to compare with; no table for it.`,
      })
    for (const { asset, source } of pairs.values()) tables.push(buildTable(group, asset, source, members))
  }
  tables.sort(
    (a, b) =>
      compareNames(a.group, b.group) || compareNames(a.asset, b.asset) || compareNames(a.source, b.source),
  )
  return { tables, warnings }
}

/** `22 KB image (iphone)` for the paper's assets, else the key. */
export const assetLabel = (asset: string) => (ASSET_NAMES[asset] ? `${ASSET_NAMES[asset]} (${asset})` : asset)

/** `the MIT hosts (ipfs_mit)` for the paper's sources, else the key. */
export const sourceLabel = (source: string) =>
  SOURCE_NAMES[source] ? `${SOURCE_NAMES[source]} (${source})` : source

/** One line naming the table: `test-1, 22 KB image (iphone): origin vs the MIT hosts (ipfs_mit)`. */
export const tableTitle = (table: ReportTable): string =>
  `${table.group}, ${assetLabel(table.asset)}: origin vs ${sourceLabel(table.source)}`
