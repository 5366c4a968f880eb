import path from 'node:path'
import {
  type BenchAsset,
  type BenchProgressEvents,
  type BenchResult,
  type BenchSource,
  manifestAssets,
  readManifest,
  runBench,
  serialiseResults,
  summariseBench,
  writeResults,
} from '../../src/bench/index.js'
import { P2pcdnError } from '../../src/index.js'
import { invalidFlag as invalid } from '../flags.js'

/** The flags of `p2pcdn bench`, as commander hands them over. */
export interface BenchFlags {
  originUrl?: string[]
  cid?: string[]
  manifest?: string
  origin?: string
  asset?: string[]
  gateway?: string[]
  peer?: string[]
  sources?: string
  p2pOnly?: boolean
  runs?: string
  originRuns?: string
  warmup?: string
  timeout?: string
  client?: string
  out?: string
  json?: boolean
  quiet?: boolean
}

const SOURCE_KINDS = ['gateway', 'hosts', 'bitswap'] as const
type SourceKind = (typeof SOURCE_KINDS)[number]

/** A name before `=`: what results keys and asset names may be. */
const NAMED = /^([A-Za-z0-9][\w.-]*)=(.*)$/s

/** What a CID looks like: CIDv0, or CIDv1 in base32, base58btc, base36 or base16. */
const CID_TEXT =
  /^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{6,}|z[1-9A-HJ-NP-Za-km-z]{6,}|k[0-9a-z]{6,}|f[0-9a-f]{6,})$/

function integer(option: string, value: string | undefined, min: number, fix: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw invalid(option, value, fix)
  return n
}

/** `name=value` pairs of a repeatable option; the name is required. */
function pairs(option: string, values: string[] | undefined, example: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const value of values ?? []) {
    const match = NAMED.exec(value)
    if (!match || match[2] === '') throw invalid(option, value, `takes name=value pairs, e.g. ${example}`)
    const [, name, rest] = match as unknown as [string, string, string]
    if (out.has(name)) throw invalid(option, value, `names each asset once; "${name}" is given twice`)
    out.set(name, rest)
  }
  return out
}

/** `[name=]value` entries of a repeatable option. */
const optionallyNamed = (values: string[] | undefined) =>
  (values ?? []).map((value) => {
    const match = NAMED.exec(value)
    return match ? { name: match[1] as string, value: match[2] as string } : { name: undefined, value }
  })

/**
 * The assets from `--manifest`/`--asset` and `--origin-url`/`--cid`, and with `--manifest` the
 * site root (what bitswap sources fetch untimed to open their streams, see `BitswapSource.warm`).
 */
async function assetsOf(flags: BenchFlags): Promise<{ assets: BenchAsset[]; root?: string }> {
  const assets: BenchAsset[] = []
  let root: string | undefined
  if (flags.manifest !== undefined) {
    const manifest = await readManifest(flags.manifest)
    root = manifest.root
    const chosen = flags.asset
      ? optionallyNamed(flags.asset).map(({ name, value }) => ({ name, path: value }))
      : undefined
    assets.push(
      ...manifestAssets(
        manifest,
        {
          ...(flags.origin !== undefined ? { origin: flags.origin } : {}),
          ...(chosen ? { assets: chosen } : {}),
        },
        { origin: '--origin', assets: '--asset' },
      ),
    )
  } else if (flags.asset || flags.origin !== undefined) {
    throw invalid(
      flags.asset ? 'asset' : 'origin',
      flags.asset ?? flags.origin,
      'goes with --manifest (site paths and origin of a published site); for single files use --origin-url name=url and --cid name=cid',
    )
  }
  const urls = pairs('origin-url', flags.originUrl, 'iphone=https://www.example.com/img/iphone.jpg')
  const cids = pairs('cid', flags.cid, 'iphone=bafkrei…')
  for (const [name, cid] of cids)
    if (!CID_TEXT.test(cid))
      throw invalid(
        'cid',
        `${name}=${cid}`,
        'takes name=CID pairs, e.g. iphone=bafkrei… (`p2pcdn cid <file>` prints it)',
      )
  for (const name of new Set([...urls.keys(), ...cids.keys()])) {
    if (assets.some((asset) => asset.name === name))
      throw invalid(urls.has(name) ? 'origin-url' : 'cid', name, 'names an asset that --asset already names')
    const url = urls.get(name)
    const cid = cids.get(name)
    assets.push({ name, ...(url !== undefined ? { url } : {}), ...(cid !== undefined ? { cid } : {}) })
  }
  if (assets.length === 0)
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      'Nothing to fetch: pass --manifest <p2pcdn-manifest.json> (with --origin and --asset), or --origin-url name=url with --cid name=cid.',
    )
  return root === undefined ? { assets } : { assets, root }
}

/** The P2P sources from `--gateway`, `--peer` and `--sources`. */
function sourcesOf(flags: BenchFlags): BenchSource[] {
  const gateways = optionallyNamed(flags.gateway)
  const peers = optionallyNamed(flags.peer)
  for (const { value } of peers)
    if (!/^\/(ip4|ip6|dns|dns4|dns6|dnsaddr)\/[^/]+\/tcp\//.test(value))
      throw invalid(
        'peer',
        value,
        'takes [name=]multiaddr of a host, e.g. /ip4/10.0.0.2/tcp/4011/p2p/12D3Koo… (`p2pcdn host status` shows them)',
      )
  for (const { value } of gateways)
    if (!/^https?:\/\/[^/]/.test(value))
      throw invalid(
        'gateway',
        value,
        'takes [name=]URL of a host gateway, e.g. http://10.0.0.2:8080 or mit=https://cdn1.example.com',
      )
  let kinds: SourceKind[]
  if (flags.sources !== undefined) {
    const listed = flags.sources
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const unknown = listed.find((kind) => !(SOURCE_KINDS as readonly string[]).includes(kind))
    if (unknown !== undefined || listed.length === 0)
      throw invalid(
        'sources',
        flags.sources,
        `lists sources among ${SOURCE_KINDS.join(', ')}, e.g. gateway,bitswap`,
      )
    kinds = [...new Set(listed as SourceKind[])]
  } else {
    kinds = []
    if (gateways.length > 0) kinds.push('gateway')
    if (gateways.length > 1) kinds.push('hosts')
    if (peers.length > 0) kinds.push('bitswap')
  }
  const sources: BenchSource[] = []
  for (const kind of kinds) {
    if ((kind === 'gateway' || kind === 'hosts') && gateways.length === 0)
      throw invalid(
        'gateway',
        flags.gateway ?? [],
        `is needed by the ${kind} source: give the hosts' gateway URLs`,
      )
    if (kind === 'bitswap' && peers.length === 0)
      throw invalid(
        'peer',
        flags.peer ?? [],
        'is needed by the bitswap source: give the hosts’ libp2p multiaddrs (`p2pcdn host status` shows them)',
      )
    if (kind === 'gateway')
      gateways.forEach(({ name, value }, i) => {
        sources.push({
          kind,
          name: name ?? (gateways.length > 1 ? `gateway-${i + 1}` : 'gateway'),
          url: value,
        })
      })
    if (kind === 'hosts') sources.push({ kind, urls: gateways.map((g) => g.value) })
    if (kind === 'bitswap') {
      const groups = new Map<string, string[]>()
      for (const { name, value } of peers)
        groups.set(name ?? 'bitswap', [...(groups.get(name ?? 'bitswap') ?? []), value])
      for (const [name, addrs] of groups) sources.push({ kind, name, peers: addrs })
    }
  }
  return sources
}

const ms = (seconds: number) => (Number.isNaN(seconds) ? '—' : `${(seconds * 1000).toFixed(1)} ms`)

/** The human summary on stderr. */
function summary(result: BenchResult, out: string | undefined): string {
  const rows = summariseBench(result.results.p2pcdn.samples)
  const meta = result.results.p2pcdn
  const sources = [...new Set(rows.map((row) => row.source))]
  const lines = [
    `p2pcdn bench: ${Object.keys(meta.assets).length} assets, ${meta.runs} timed rounds${meta.warmup ? ` (+${meta.warmup} warmup)` : ''}, sources: ${sources.join(', ')}`,
    '',
    `  ${'asset'.padEnd(14)}${'source'.padEnd(18)}${'ok'.padStart(7)}${'median'.padStart(12)}${'mean'.padStart(12)}${'min'.padStart(12)}${'max'.padStart(12)}${'origin/p2p'.padStart(12)}`,
  ]
  for (const row of rows) {
    const origin = rows.find((r) => r.asset === row.asset && r.source === 'curl')
    const ratio =
      row.source !== 'curl' && origin && row.ok > 0 && origin.ok > 0
        ? (origin.median / row.median).toFixed(2)
        : ''
    lines.push(
      `  ${row.asset.padEnd(14)}${row.source.padEnd(18)}${`${row.ok}/${row.tries}`.padStart(7)}${ms(row.median).padStart(12)}${ms(row.mean).padStart(12)}${ms(row.min).padStart(12)}${ms(row.max).padStart(12)}${ratio.padStart(12)}`,
    )
  }
  lines.push('  (total time per sample; ratio = origin median / source median, above 1: P2P is faster)')
  for (const warning of result.warnings) lines.push(`  warning: ${warning.message}`)
  if (out) {
    const relative = path.relative(process.cwd(), out)
    lines.push(`  results: ${relative.startsWith('..') ? out : relative}`)
  }
  return `${lines.join('\n')}\n`
}

/** `p2pcdn bench`: times origin and P2P fetches and writes the paper's results format. */
export async function runBenchCommand(flags: BenchFlags): Promise<BenchResult> {
  const runs = integer('runs', flags.runs, 1, 'must be a whole number of samples, at least 1')
  const originRuns = integer(
    'origin-runs',
    flags.originRuns,
    0,
    'must be a whole number of samples (0: none)',
  )
  const warmup = integer('warmup', flags.warmup, 0, 'must be a whole number of rounds (0: none)')
  const timeout = integer('timeout', flags.timeout, 1, 'must be a whole number of milliseconds')
  const { assets, root } = await assetsOf(flags)
  const sources = sourcesOf(flags).map((source) =>
    source.kind === 'bitswap' && root !== undefined ? { ...source, warm: root } : source,
  )
  const out = flags.out === undefined ? undefined : path.resolve(flags.out)
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const onProgress = (event: BenchProgressEvents) => {
    if (flags.quiet) return
    if (event.type === 'p2pcdn:bench:start') {
      const { assets: names, sources: keys, runs: total, warmup: rounds } = event.detail
      process.stderr.write(
        `p2pcdn bench: ${names.join(', ')} from ${keys.join(', ')}; ${total} rounds${rounds ? ` after ${rounds} warmup` : ''}\n`,
      )
    } else if (event.type === 'p2pcdn:bench:sample') {
      const s = event.detail
      const run = s.warmup ? 'warmup' : `#${s.run}`
      const what = s.ok ? ms(s.seconds) : `FAILED ${s.error}`
      process.stderr.write(`  ${s.asset.padEnd(14)}${s.source.padEnd(18)}${run.padStart(7)}  ${what}\n`)
    }
  }
  try {
    const result = await runBench({
      assets,
      sources,
      origin: flags.p2pOnly !== true,
      ...(runs !== undefined ? { runs } : {}),
      ...(originRuns !== undefined ? { originRuns } : {}),
      ...(warmup !== undefined ? { warmup } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
      ...(flags.client !== undefined ? { client: flags.client } : {}),
      signal: controller.signal,
      onProgress,
    })
    if (out) await writeResults(out, result.results)
    process.stderr.write(summary(result, out))
    if (flags.json || !out) process.stdout.write(serialiseResults(result.results))
    // A sample abandoned at its deadline may leave sockets or a node behind: they must not keep
    // the process alive once the results are out (the timer itself keeps nothing alive).
    setTimeout(() => process.exit(), 2_000).unref()
    return result
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}
