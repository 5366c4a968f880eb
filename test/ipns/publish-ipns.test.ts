/**
 * Publish signs the site's IPNS record (`p2pcdn-ipns-record` in the output, its name in the
 * manifest and in `--json`), numbers it above every earlier one even with the clock set back, and
 * every push sends it: a real `p2pcdn host` stores it (`GET /routing/v1/ipns/<name>` returns it),
 * a real Kubo resolves the name to the root (`ipfs name resolve`), and an older record pushed to
 * either fails that host's push, naming it.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { handleCliError, runCli } from '../../cli/run-cli.js'
import { IPNS_RECORD_FILE, MANIFEST_FILE } from '../../src/constants.js'
import type { RunningHost } from '../../src/host/index.js'
import type { HostEntry } from '../../src/hosts/types.js'
import { openPublishedSite, publish, pushSite } from '../../src/index.js'
import { IPNS_KEY_ENV } from '../../src/ipns/site-key.js'
import { verifySiteRecord } from '../../src/ipns/site-record.js'
import type { Manifest } from '../../src/manifest/write-manifest.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'
import { type KuboDaemon, startKubo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'

const dirs = tempDirs()
const LISTEN = ['/ip4/127.0.0.1/tcp/0']
const savedEnv = { ...process.env }

beforeAll(async () => {
  // Keys made on first use go to a config folder of this test's own, never the user's.
  process.env.XDG_CONFIG_HOME = await dirs.make('config')
  delete process.env[IPNS_KEY_ENV]
})
afterEach(() => {
  vi.restoreAllMocks()
  process.exitCode = undefined
})
afterAll(async () => {
  process.env = savedEnv
  await dirs.cleanup()
})

async function makeSite(): Promise<string> {
  const dir = await dirs.make('ipns-site')
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><title>ipns</title><img src="a.bin">')
  await fs.writeFile(path.join(dir, 'a.bin'), randomBytes(50_000))
  return dir
}

const readManifest = async (out: string) =>
  JSON.parse(await fs.readFile(path.join(out, MANIFEST_FILE), 'utf8')) as Manifest

/** A key file outside every site, as `ipfs key export` writes one. */
async function keyFile(): Promise<string> {
  const file = path.join(await dirs.make('key'), 'site.key')
  await fs.writeFile(file, privateKeyToProtobuf(await generateKeyPair('Ed25519')))
  return file
}

/** Runs the CLI in this process; resolves to what it wrote and the exit code it set. */
async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = ''
  let stderr = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString()
    return true
  })
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString()
    return true
  })
  process.exitCode = undefined
  try {
    await runCli(['node', 'p2pcdn', ...args]).catch(handleCliError)
  } finally {
    vi.mocked(process.stdout.write).mockRestore()
    vi.mocked(process.stderr.write).mockRestore()
  }
  const code = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return { stdout, stderr, code }
}

describe('publish: the IPNS record', () => {
  it('writes a record naming the root, outside the root, with the name in the manifest', async () => {
    const dir = await makeSite()
    const out = path.join(await dirs.make('out'), 'site')
    const result = await publish({ dir, out, cacheDir: false, ipnsLifetime: '48h' })
    expect(result.ipns).toMatchObject({
      name: expect.stringMatching(/^k51/),
      record: path.join(out, IPNS_RECORD_FILE),
      keySource: 'file',
      keyCreated: true,
    })
    const bytes = await fs.readFile(path.join(out, IPNS_RECORD_FILE))
    const record = await verifySiteRecord(result.ipns?.name as string, bytes)
    expect(record.root.toString()).toBe(result.root)
    expect(record.sequence).toBe(result.ipns?.sequence)
    expect(record.ttlMs).toBe(60_000)
    const hours = (record.validity.getTime() - Date.now()) / 3_600_000
    expect(hours).toBeGreaterThan(47.9)
    expect(hours).toBeLessThanOrEqual(48)
    const manifest = await readManifest(out)
    expect(manifest.ipns).toBe(result.ipns?.name)
    expect(manifest.assets.map((a) => a.path)).not.toContain(IPNS_RECORD_FILE)
    // The key is kept outside the site and the output, readable by its owner only.
    const key = result.ipns?.keyFile as string
    expect(key.startsWith(process.env.XDG_CONFIG_HOME as string)).toBe(true)
    expect((await fs.stat(key)).mode & 0o777).toBe(0o600)

    // The same key again: the same name, the same manifest; the record renewed above the last.
    const again = await publish({ dir, out, cacheDir: false })
    expect(again.ipns).toMatchObject({ name: result.ipns?.name, keyCreated: false })
    expect(again.ipns?.sequence).toBeGreaterThan(result.ipns?.sequence as bigint)
    expect(await readManifest(out)).toEqual(manifest)
  })

  it('never numbers a record below an earlier one, even with the clock set back', async () => {
    const dir = await makeSite()
    const out = path.join(await dirs.make('out'), 'site')
    const ipnsKey = await keyFile()
    const first = await publish({ dir, out, cacheDir: false, ipnsKey })
    const back = Date.now() - 24 * 3_600_000
    vi.spyOn(Date, 'now').mockReturnValue(back)

    // The last sequence kept beside the key.
    const second = await publish({ dir, out, cacheDir: false, ipnsKey })
    expect(second.ipns?.sequence).toBe((first.ipns?.sequence as bigint) + 1n)
    // Without it, the previous output's record.
    await fs.rm(`${ipnsKey}.seq.json`)
    const third = await publish({ dir, out, cacheDir: false, ipnsKey })
    expect(third.ipns?.sequence).toBe((second.ipns?.sequence as bigint) + 1n)
    // Each verifies, and each names the same root.
    for (const run of [first, second, third]) expect(run.root).toBe(first.root)
    expect(
      (
        await verifySiteRecord(
          third.ipns?.name as string,
          await fs.readFile(path.join(out, IPNS_RECORD_FILE)),
        )
      ).sequence,
    ).toBe(third.ipns?.sequence)

    // A key from the environment keeps its sequence in the cache folder: a fresh output still
    // gets a higher one.
    vi.restoreAllMocks()
    const cacheDir = await dirs.make('cache')
    process.env[IPNS_KEY_ENV] = (await fs.readFile(ipnsKey)).toString('base64')
    try {
      const env1 = await publish({ dir, out: path.join(await dirs.make('out'), 'a'), cacheDir })
      expect(env1.ipns).toMatchObject({ name: first.ipns?.name, keySource: 'env', keyFile: undefined })
      vi.spyOn(Date, 'now').mockReturnValue(back)
      const env2 = await publish({ dir, out: path.join(await dirs.make('out'), 'b'), cacheDir })
      expect(env2.ipns?.sequence).toBe((env1.ipns?.sequence as bigint) + 1n)
      expect(await fs.readdir(path.join(cacheDir, 'ipns'))).toEqual([`${first.ipns?.name}.seq.json`])
    } finally {
      delete process.env[IPNS_KEY_ENV]
    }
  })

  it('`ipns: false` writes no record and no name; a dry run makes no key', async () => {
    const dir = await makeSite()
    const out = path.join(await dirs.make('out'), 'site')
    const off = await publish({ dir, out, cacheDir: false, ipns: false })
    expect(off.ipns).toBeUndefined()
    await expect(fs.stat(path.join(out, IPNS_RECORD_FILE))).rejects.toThrow(/ENOENT/)
    expect((await readManifest(out)).ipns).toBeUndefined()

    const config = process.env.XDG_CONFIG_HOME as string
    const keysBefore = await fs.readdir(path.join(config, 'p2pcdn', 'keys')).catch(() => [])
    const other = path.join(await dirs.make('out'), 'dry')
    const dry = await publish({ dir, out: other, cacheDir: false, dryRun: true })
    expect(dry.ipns).toBeUndefined()
    expect(await fs.readdir(path.join(config, 'p2pcdn', 'keys')).catch(() => [])).toEqual(keysBefore)
  })

  it('refuses a bad lifetime, naming the option', async () => {
    const dir = await makeSite()
    for (const ipnsLifetime of ['soon', '30s', 0]) {
      await expect(publish({ dir, cacheDir: false, dryRun: true, ipnsLifetime })).rejects.toMatchObject({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringContaining('`ipnsLifetime`'),
      })
    }
  })

  it('the CLI: --json prints the name as `ipns`, the summary shows it and how to follow; --no-ipns turns it off', async () => {
    const dir = await makeSite()
    const out = path.join(await dirs.make('out'), 'site')
    const run = await cli(['publish', dir, '-o', out, '--no-cache', '--no-progress', '--json'])
    expect(run.code).toBe(0)
    const json = JSON.parse(run.stdout) as Record<string, unknown>
    const manifest = await readManifest(out)
    expect(json.ipns).toBe(manifest.ipns)
    expect(json.ipns).toMatch(/^k51/)
    expect(json.ipnsSequence).toMatch(/^\d+$/)
    expect(json.ipnsRecord).toBe(path.join(out, IPNS_RECORD_FILE))
    expect(run.stderr).toContain(`  ipns      ${json.ipns}`)
    expect(run.stderr).toContain(`p2pcdn host --follow ${json.ipns}`)

    const key = await keyFile()
    const withKey = await cli([
      'publish',
      dir,
      '-o',
      out,
      '--no-cache',
      '--no-progress',
      '--json',
      '--ipns-key',
      key,
    ])
    expect(JSON.parse(withKey.stdout).ipns).not.toBe(json.ipns)

    const off = await cli(['publish', dir, '-o', out, '--no-cache', '--no-progress', '--json', '--no-ipns'])
    expect(JSON.parse(off.stdout).ipns).toBeUndefined()
    expect(off.stderr).not.toContain('IPNS name')
    await expect(fs.stat(path.join(out, IPNS_RECORD_FILE))).rejects.toThrow(/ENOENT/)

    const bad = await cli([
      'publish',
      dir,
      '-o',
      out,
      '--no-cache',
      '--no-progress',
      '--ipns-lifetime',
      'forever',
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('`ipnsLifetime`')
  })
})

describe('push: the record goes to the hosts', () => {
  let host: RunningHost
  let token: string
  beforeAll(async () => {
    ;({ host, token } = await startTestHost(await dirs.make('host')))
    process.env.P2PCDN_TEST_IPNS_HOST_TOKEN = token
  })
  afterAll(async () => {
    await host?.stop()
  })
  const entry = (): HostEntry => ({
    name: 'campus-1',
    url: host.url,
    type: 'p2pcdn',
    tokenEnv: 'P2PCDN_TEST_IPNS_HOST_TOKEN',
  })

  it('a p2pcdn host stores the record with the pin; an older one is refused, naming the host', async () => {
    const dir = await makeSite()
    const ipnsKey = await keyFile()
    const outA = path.join(await dirs.make('out'), 'a')
    const common = { cacheDir: false as const, ipnsKey, hosts: [entry()], pushListen: LISTEN }
    const first = await publish({ dir, out: outA, ...common })
    expect(first.push?.hosts[0]).toMatchObject({ name: 'campus-1', status: 'pinned', record: 'stored' })
    const name = first.ipns?.name as string
    const got = await fetch(`${host.url}/routing/v1/ipns/${name}`, {
      headers: { Accept: 'application/vnd.ipfs.ipns-record' },
    })
    expect(got.status).toBe(200)
    expect(
      Buffer.from(await got.arrayBuffer()).equals(await fs.readFile(path.join(outA, IPNS_RECORD_FILE))),
    ).toBe(true)

    // A new version, from another output with the same key: the host takes the newer record.
    await fs.writeFile(path.join(dir, 'a.bin'), randomBytes(50_000))
    const outB = path.join(await dirs.make('out'), 'b')
    const second = await publish({ dir, out: outB, ...common })
    expect(second.push?.hosts[0]).toMatchObject({ status: 'pinned', record: 'stored' })
    expect((await host.ipns.get(name))?.root.toString()).toBe(second.root)

    // The first output, pushed again: its record is older than the one the host holds.
    const old = await openPublishedSite(outA)
    expect(old.record?.name).toBe(name)
    const pushed = await pushSite({
      hosts: [{ ...entry(), token }],
      root: old.manifest.root,
      blocks: old.blocks,
      name: 'old-version',
      listen: LISTEN,
      ...(old.record ? { ipnsRecord: old.record } : {}),
    })
    expect(pushed.replication.met).toBe(false)
    expect(pushed.hosts[0]).toMatchObject({ status: 'failed', code: 'ERR_HOST_REJECTED' })
    expect(pushed.hosts[0]?.reason).toMatch(/campus-1.*refused the site's IPNS record.*HTTP 409.*newer/)
    expect(pushed.hosts[0]?.reason).not.toContain(token)
    expect((await host.ipns.get(name))?.root.toString()).toBe(second.root)

    // The same through `p2pcdn push`: exit code 4, the host named.
    const config = path.join(await dirs.make('config-file'), 'p2pcdn.config.json')
    await fs.writeFile(config, JSON.stringify({ hosts: [entry()], pushListen: LISTEN }))
    const run = await cli(['push', outA, '--config', config])
    expect(run.code).toBe(4)
    expect(run.stderr).toMatch(/campus-1 .*failed.*refused the site's IPNS record/)
    const ok = await cli(['push', outB, '--config', config, '--json'])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout).hosts[0]).toMatchObject({
      status: expect.stringMatching(/pinned/),
      record: 'stored',
    })
    expect(ok.stderr).toContain('IPNS record stored')
  })

  it('a record that does not match its output is caught before any push', async () => {
    const dir = await makeSite()
    const out = path.join(await dirs.make('out'), 'site')
    await publish({ dir, out, cacheDir: false })
    const other = path.join(await dirs.make('out'), 'other')
    await publish({ dir: await makeSite(), out: other, cacheDir: false, ipnsKey: await keyFile() })
    await fs.copyFile(path.join(other, IPNS_RECORD_FILE), path.join(out, IPNS_RECORD_FILE))
    await expect(openPublishedSite(out)).rejects.toMatchObject({
      code: 'ERR_OUTPUT_CHANGED',
      message: expect.stringContaining(IPNS_RECORD_FILE),
    })
  })

  it('hosts that take no records say so, without failing', async () => {
    const dir = await makeSite()
    const out = path.join(await dirs.make('out'), 'site')
    // The host's Pinning Service API, driven as a `pinning-service` host.
    const result = await publish({
      dir,
      out,
      cacheDir: false,
      hosts: [{ ...entry(), type: 'pinning-service' }],
      pushListen: LISTEN,
    })
    expect(result.push?.hosts[0]).toMatchObject({ status: 'pinned', record: 'unsupported' })
    expect(result.push?.replication.met).toBe(true)
  })
})

describe.skipIf(kubo.skip)(kubo.title('push: the record goes to a Kubo node'), () => {
  let daemon: KuboDaemon
  beforeAll(async () => {
    daemon = await startKubo()
  }, 90_000)
  afterAll(async () => {
    await daemon?.stop()
    await daemon?.repo.remove()
  })

  it('`ipfs name resolve` gives the root after the push; an older record is refused, naming the host', async () => {
    const dir = await makeSite()
    const ipnsKey = await keyFile()
    const hosts: HostEntry[] = [{ name: 'kubo-1', url: daemon.api, type: 'kubo' }]
    const outA = path.join(await dirs.make('out'), 'a')
    const first = await publish({ dir, out: outA, cacheDir: false, ipnsKey, hosts })
    expect(first.push?.hosts[0]).toMatchObject({ status: 'pinned', record: 'stored' })
    const name = first.ipns?.name as string
    const resolve = async () => (await daemon.repo.ipfs(['name', 'resolve', '--nocache', name])).trim()
    expect(await resolve()).toBe(`/ipfs/${first.root}`)

    await fs.writeFile(path.join(dir, 'a.bin'), randomBytes(50_000))
    const outB = path.join(await dirs.make('out'), 'b')
    const second = await publish({ dir, out: outB, cacheDir: false, ipnsKey, hosts })
    expect(second.push?.hosts[0]).toMatchObject({ status: 'pinned', record: 'stored' })
    expect(await resolve()).toBe(`/ipfs/${second.root}`)

    const old = await openPublishedSite(outA)
    const pushed = await pushSite({
      hosts: hosts.map((h) => ({ ...h })),
      root: old.manifest.root,
      blocks: old.blocks,
      name: 'old-version',
      ...(old.record ? { ipnsRecord: old.record } : {}),
    })
    expect(pushed.hosts[0]).toMatchObject({ status: 'failed' })
    expect(pushed.hosts[0]?.reason).toMatch(/kubo-1.*refused the site's IPNS record/)
    expect(await resolve()).toBe(`/ipfs/${second.root}`)
  })
})
