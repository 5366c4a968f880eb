/**
 * `runBenchCommand` (the `p2pcdn bench` command) with a real host and origin on 127.0.0.1: the
 * results file written atomically, the summary on stderr, and bad flags refused with the option named.
 */
import '../../src/utils/promise-with-resolvers.js'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type BenchFlags, runBenchCommand } from '../../cli/commands/bench.js'
import type { BenchResultsFile } from '../../src/bench/index.js'
import type { RunningHost } from '../../src/host/index.js'
import { P2pcdnError } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'
import { publishSite, startLoadedHost, startOrigin, tcpAddr } from './fixture.js'

const dirs = tempDirs()
let host: RunningHost
let origin: Awaited<ReturnType<typeof startOrigin>>
let manifestFile: string
let out: string
let iphoneCid: string

beforeAll(async () => {
  const dir = await dirs.make('bench-cli')
  const site = await publishSite(dir)
  manifestFile = site.manifestFile
  out = site.out
  iphoneCid = site.manifest.assets.find((a) => a.path === 'img/iphone.jpg')?.cid as string
  host = await startLoadedHost(await dirs.make('bench-cli-host'), site.car)
  origin = await startOrigin(site.site)
})

afterAll(async () => {
  await origin?.close()
  await host?.stop()
  await dirs.cleanup()
})

/** Runs the command with stdout and stderr captured. */
async function run(flags: BenchFlags) {
  let stdout = ''
  let stderr = ''
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk)
    return true
  })
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk)
    return true
  })
  try {
    const result = await runBenchCommand(flags)
    return { result, stdout, stderr }
  } finally {
    outSpy.mockRestore()
    errSpy.mockRestore()
  }
}

describe('p2pcdn bench', () => {
  it('benches a published site from its manifest and writes the results file', async () => {
    const file = path.join(await dirs.make('results'), 'client-1.json')
    const { stdout, stderr } = await run({
      manifest: out,
      origin: origin.url,
      asset: ['iphone=img/iphone.jpg'],
      gateway: [`mit=${host.url}`],
      peer: [tcpAddr(host)],
      runs: '2',
      timeout: '20000',
      client: 'client-1',
      out: file,
    })
    expect(stdout).toBe('')
    const results = JSON.parse(await fs.readFile(file, 'utf8')) as BenchResultsFile
    expect(results.curl.iphone?.samples.total).toHaveLength(2)
    expect(results.ipfs_mit?.iphone?.gets).toHaveLength(2)
    expect(results.ipfs_bitswap?.iphone?.tries).toBe(2)
    expect(results.ipfs_hosts).toBeUndefined() // one gateway: no parallel source by default
    expect(results.p2pcdn.client).toBe('client-1')
    expect(await fs.readdir(path.dirname(file))).toEqual(['client-1.json']) // no temporary left
    expect(stderr).toMatch(/iphone\s+curl\s+2\/2/)
    expect(stderr).toMatch(/iphone\s+ipfs_mit\s+2\/2/)
    expect(stderr).toContain(`results: `)
  })

  it('prints the results on stdout without --out; --origin-url and --cid name single files; --origin-runs', async () => {
    const { stdout, result } = await run({
      originUrl: [`iphone=${origin.url}/img/iphone.jpg`],
      cid: [`iphone=${iphoneCid}`],
      gateway: [host.url],
      sources: 'gateway',
      runs: '2',
      originRuns: '1',
      quiet: true,
    })
    const printed = JSON.parse(stdout) as BenchResultsFile
    expect(printed).toEqual(result.results)
    expect(printed.ipfs_gateway?.iphone?.gets).toHaveLength(2)
    expect(printed.curl.iphone?.samples.total).toHaveLength(1)
    // The origin was checked against the CID's verified content.
    expect(printed.p2pcdn.assets.iphone?.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(result.warnings).toEqual([])
  })

  const cases: [string, BenchFlags, RegExp][] = [
    ['no assets', { gateway: ['http://127.0.0.1:1'] }, /Nothing to fetch/],
    [
      'runs 0',
      { originUrl: ['a=http://127.0.0.1:1/a'], runs: '0' },
      /`--runs` option must be a whole number/,
    ],
    ['timeout text', { originUrl: ['a=http://127.0.0.1:1/a'], timeout: 'soon' }, /`--timeout` option/],
    [
      'origin-url without name',
      { originUrl: ['http://127.0.0.1:1/a'] },
      /`--origin-url` option takes name=value/,
    ],
    [
      'cid not a CID',
      { cid: ['a=hello'], gateway: ['http://127.0.0.1:1'] },
      /`--cid` option takes name=CID pairs/,
    ],
    [
      'gateway not a URL',
      { cid: ['a=bafkqaaa'], gateway: ['127.0.0.1:8080'] },
      /`--gateway` option takes \[name=\]URL/,
    ],
    ['unknown source', { cid: ['a=bafkqaaa'], sources: 'ipns' }, /`--sources` option lists sources among/],
    [
      'bitswap without peers',
      { cid: ['a=bafkqaaa'], sources: 'bitswap' },
      /`--peer` option is needed by the bitswap source/,
    ],
    [
      'peer not a multiaddr',
      { cid: ['a=bafkqaaa'], peer: ['127.0.0.1:4011'] },
      /`--peer` option takes \[name=\]multiaddr/,
    ],
    ['asset without manifest', { asset: ['img/a.png'] }, /`--asset` option goes with --manifest/],
    [
      'manifest missing',
      { manifest: '/nonexistent/p2pcdn-manifest.json' },
      /\/nonexistent\/p2pcdn-manifest\.json does not exist.*Publish the site first/,
    ],
    [
      'asset not in manifest',
      { manifest: 'MANIFEST', origin: 'http://127.0.0.1:1', asset: ['nope.png'] },
      /`--asset` option must name assets of the manifest/,
    ],
    [
      'origin not a URL',
      { manifest: 'MANIFEST', origin: 'www.example.com' },
      /`--origin` option must be the site’s origin/,
    ],
    [
      'p2p source names clash',
      { cid: ['a=bafkqaaa'], gateway: ['bitswap=http://127.0.0.1:1'], peer: ['/ip4/127.0.0.1/tcp/1'] },
      /must be unique/,
    ],
    [
      'p2p only without sources',
      { originUrl: ['a=http://127.0.0.1:1/a'], p2pOnly: true },
      /leave nothing to fetch/,
    ],
  ]
  it.each(cases)('refuses %s, naming the option and the fix', async (_, flags, message) => {
    const withManifest = flags.manifest === 'MANIFEST' ? { ...flags, manifest: manifestFile } : flags
    const error = await run(withManifest).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(P2pcdnError)
    expect((error as Error).message).toMatch(message)
  })
})
