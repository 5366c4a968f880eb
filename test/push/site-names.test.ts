/**
 * Site names on a real `p2pcdn host` (issue 13): two sites with the same origin keep their own
 * pins and both stay servable; a re-publish replaces only its own earlier root, and the result,
 * the summary and `--json` name it; an explicit `siteName` takes over the pin of that name; a
 * default name that another site holds is never replaced silently. Published without `gateway`,
 * the pages link to the registered host's gateway.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pushTable } from '../../cli/commands/publish.js'
import type { RunningHost } from '../../src/host/index.js'
import {
  type HostEntry,
  openPublishedSite,
  type P2pcdnOptions,
  type PushSiteResult,
  publish,
  pushSite,
} from '../../src/index.js'
import { runCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'

const dirs = tempDirs()
const ORIGIN = 'https://www.example.com'
const TOKEN_ENV = 'P2PCDN_SITE_NAMES_TEST_TOKEN'
const LISTEN = ['/ip4/127.0.0.1/tcp/0']
let host: RunningHost
let token: string
let auth: Record<string, string>

beforeAll(async () => {
  ;({ host, token, auth } = await startTestHost(await dirs.make('names-host')))
  process.env[TOKEN_ENV] = token
})
afterAll(async () => {
  await host?.stop()
  delete process.env[TOKEN_ENV]
  await dirs.cleanup()
})

const edge = (): HostEntry => ({ name: 'edge', url: host.url, type: 'p2pcdn', tokenEnv: TOKEN_ENV })

/** A site whose page shows an image and a stylesheet; `label` makes its bytes its own. */
async function makeSite(label: string): Promise<string> {
  const dir = await dirs.make(`names-${label}`)
  await fs.writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html><title>${label}</title><link rel="stylesheet" href="style.css"><img src="photo.bin">`,
  )
  await fs.writeFile(path.join(dir, 'photo.bin'), randomBytes(300_000))
  await fs.writeFile(path.join(dir, 'style.css'), `body { color: red } /* ${label} */`)
  return dir
}

/** A fresh output folder; every site's is called `site-p2p`, only where it lies differs. */
const outFor = async (label: string) => path.join(await dirs.make(`names-out-${label}`), 'site-p2p')

/** Publishes with the host registered (and pushed to), the same origin for every site, and no `gateway`. */
const publishTo = (dir: string, out: string, extra: P2pcdnOptions = {}) =>
  publish({ dir, out, origin: ORIGIN, cacheDir: false, hosts: [edge()], pushListen: LISTEN, ...extra })

const pinned = (root: string) => host.helia.pins.isPinned(CID.parse(root))

/** The host's pins of `root`, as its Pinning Service API lists them. */
async function pinsOf(root: string): Promise<Array<{ name?: string; meta?: Record<string, string> }>> {
  const res = await fetch(`${host.url}/pins?cid=${root}&status=pinned`, { headers: auth })
  const { results } = (await res.json()) as {
    results: Array<{ pin: { name?: string; meta?: Record<string, string> } }>
  }
  return results.map((r) => r.pin)
}

/** Every link of the published page into the host's gateway answers with the bytes of its file. */
async function expectServable(out: string): Promise<void> {
  const page = await fs.readFile(path.join(out, 'index.html'), 'utf8')
  const prefix = `${host.url}/ipfs/`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  const links = [...page.matchAll(new RegExp(`${prefix}[^"'\\s]+`, 'g'))].map((m) =>
    m[0].replaceAll('&amp;', '&'),
  )
  expect(links.map((link) => new URL(link).searchParams.get('filename')).sort()).toEqual([
    'photo.bin',
    'style.css',
  ])
  for (const link of links) {
    const res = await fetch(link)
    expect(res.status, link).toBe(200)
    const file = new URL(link).searchParams.get('filename') as string
    expect(Buffer.from(await res.arrayBuffer()).equals(await fs.readFile(path.join(out, file))), link).toBe(
      true,
    )
  }
}

const only = (push: PushSiteResult | undefined) => push?.hosts[0]

describe('site names', () => {
  it('two sites with the same origin both stay pinned and servable; a re-publish replaces only its own root', async () => {
    const a = await makeSite('a')
    const b = await makeSite('b')
    const [outA, outB] = [await outFor('a'), await outFor('b')]
    const first = await publishTo(a, outA)
    const second = await publishTo(b, outB)
    for (const published of [first, second]) {
      expect(only(published.push)?.status, only(published.push)?.reason).toBe('pinned')
      expect(only(published.push)?.replaced).toBeUndefined()
    }
    expect(await pinned(first.root)).toBe(true)
    expect(await pinned(second.root)).toBe(true)
    const [pinA] = await pinsOf(first.root)
    const [pinB] = await pinsOf(second.root)
    expect(pinA?.name).toMatch(/^www\.example\.com-[0-9a-f]{8}$/)
    expect(pinB?.name).toMatch(/^www\.example\.com-[0-9a-f]{8}$/)
    expect(pinB?.name).not.toBe(pinA?.name)
    expect(pinA?.meta?.p2pcdn_site).toMatch(/^[0-9a-f]{16}$/)
    expect(pinB?.meta?.p2pcdn_site).not.toBe(pinA?.meta?.p2pcdn_site)
    // No `gateway` given: the pages link to the registered host's gateway, which serves both sites.
    expect(first.links?.gateway).toBe(host.url)
    expect(first.gatewayHost).toBe('edge')
    await expectServable(outA)
    await expectServable(outB)

    // A again, one file changed: its own earlier root is replaced, and the result says which.
    await fs.writeFile(path.join(a, 'style.css'), 'body { color: blue }')
    const again = await publishTo(a, outA)
    expect(only(again.push)).toMatchObject({ status: 'pinned', replaced: first.root })
    expect(pushTable(again.push as PushSiteResult).join('\n')).toMatch(
      new RegExp(`edge\\s+pinned .* replaced ${first.root}; sent \\d+ of \\d+ blocks`),
    )
    expect(await pinned(first.root)).toBe(false)
    expect(await pinned(again.root)).toBe(true)
    expect(await pinned(second.root)).toBe(true)
    expect((await pinsOf(again.root)).map((p) => p.name)).toEqual([pinA?.name])
    await expectServable(outA)
    await expectServable(outB)

    const unchanged = await publishTo(a, outA)
    expect(only(unchanged.push)?.status).toBe('already-pinned')
    expect(only(unchanged.push)?.replaced).toBeUndefined()
  })

  it("an explicit siteName replaces that pin; another site's pin of a default name is never replaced silently", async () => {
    const b = await makeSite('b2')
    const c = await makeSite('c')
    const [outB, outC] = [await outFor('b2'), await outFor('c')]
    const pb = await publishTo(b, outB)
    const nameB = (await pinsOf(pb.root))[0]?.name as string

    // C takes B's name explicitly: B's pin is replaced, and the result says so.
    const pc = await publishTo(c, outC, { siteName: nameB })
    expect(only(pc.push)).toMatchObject({ status: 'pinned', replaced: pb.root })
    expect(await pinned(pb.root)).toBe(false)
    await expectServable(outC)

    // B again under its default name, which C now holds: refused with the fix, C's pin stays.
    await fs.writeFile(path.join(b, 'style.css'), 'body { color: green }')
    const refused = await publishTo(b, outB)
    expect(only(refused.push)).toMatchObject({ status: 'failed', code: 'ERR_SITE_NAME_TAKEN' })
    expect(only(refused.push)?.reason).toContain(`already has a pin named "${nameB}" (${pc.root})`)
    expect(only(refused.push)?.reason).toContain('`siteName`')
    expect(refused.push?.replication.met).toBe(false)
    expect(pushTable(refused.push as PushSiteResult).join('\n')).toContain('another site made')
    expect(await pinned(pc.root)).toBe(true)
    expect(await pinned(refused.root)).toBe(false)
    await expectServable(outC)

    // Given the name explicitly, B takes it back.
    const back = await publishTo(b, outB, { siteName: nameB })
    expect(only(back.push)).toMatchObject({ status: 'pinned', replaced: pc.root })
    expect(await pinned(back.root)).toBe(true)
  })

  it('a site with the same bytes as another keeps its own pin when the other moves on', async () => {
    const a = await makeSite('twin')
    const twin = await dirs.make('names-twin-copy')
    await fs.cp(a, twin, { recursive: true })
    const [outA, outTwin] = [await outFor('twin-a'), await outFor('twin-b')]
    const pa = await publishTo(a, outA)
    const pt = await publishTo(twin, outTwin)
    expect(pt.root).toBe(pa.root)
    // The host holds every block already, but the pin must be the twin's own.
    expect(only(pt.push)).toMatchObject({ status: 'pinned', detail: expect.stringMatching(/^sent 0 of \d+/) })
    expect((await pinsOf(pa.root)).length).toBe(2)

    await fs.writeFile(path.join(a, 'style.css'), 'body { color: purple }')
    const moved = await publishTo(a, outA)
    expect(only(moved.push)?.replaced).toBe(pa.root)
    expect(await pinned(pa.root)).toBe(true)
    await expectServable(outTwin)
  })

  it('through the Pinning Service API: the site is in the pin’s meta, and decides whether a pin is replaced', async () => {
    const one = await publish({ dir: await makeSite('psa-1'), out: await outFor('psa-1'), cacheDir: false })
    const two = await publish({ dir: await makeSite('psa-2'), out: await outFor('psa-2'), cacheDir: false })
    const push = async (site: typeof one, id: string, nameGiven?: boolean) =>
      pushSite({
        hosts: [{ name: 'edge-psa', url: host.url, type: 'pinning-service', token }],
        root: site.root,
        blocks: (await openPublishedSite(site.out as string)).blocks,
        name: 'shared-name',
        site: id,
        ...(nameGiven ? { nameGiven } : {}),
        listen: LISTEN,
        timeoutMs: 30_000,
      })
    expect(only(await push(one, '1111111111111111'))?.status).toBe('pinned')
    expect((await pinsOf(one.root))[0]?.meta).toEqual({ app_id: 'p2pcdn', p2pcdn_site: '1111111111111111' })

    const refused = only(await push(two, '2222222222222222'))
    expect(refused).toMatchObject({ status: 'failed', code: 'ERR_SITE_NAME_TAKEN' })
    expect(await pinned(one.root)).toBe(true)

    const taken = only(await push(two, '2222222222222222', true))
    expect(taken).toMatchObject({ status: 'pinned', replaced: one.root })
    expect(await pinned(one.root)).toBe(false)
    expect(await pinned(two.root)).toBe(true)
  })
})

describe('POST /p2pcdn/v1/car?meta=', () => {
  it.each([['not json'], ['["a"]'], ['{"n":1}']])('%s is refused before the body is read', async (meta) => {
    const res = await fetch(`${host.url}/p2pcdn/v1/car?name=x&meta=${encodeURIComponent(meta)}`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/vnd.ipld.car' },
      body: new Uint8Array(16),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { details: string } }).error.details).toContain(
      'The `meta` parameter must be a JSON object',
    )
  })
})

describe('p2pcdn publish (the built CLI) with a registered host and no --gateway', () => {
  it("links to the host's gateway and says so; the summary and --json name the root a re-publish replaced", async () => {
    const project = await dirs.make('names-cli')
    await fs.cp(await makeSite('cli'), path.join(project, 'dist'), { recursive: true })
    await fs.writeFile(
      path.join(project, 'p2pcdn.config.json'),
      JSON.stringify({ origin: ORIGIN, cacheDir: false, pushListen: LISTEN, hosts: [edge()] }),
    )
    const run = () => runCli(['publish', 'dist', '--json', '--no-progress'], { cwd: project })
    const first = await run()
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toContain(
      `  gateway   links point at ${host.url} (the gateway of host edge; set --gateway to choose)`,
    )
    const firstJson = JSON.parse(first.stdout) as { root: string; gatewayHost: string }
    expect(firstJson.gatewayHost).toBe('edge')
    // `p2pcdn push` works out the same name from the output folder: the pin is this site's already.
    const push = await runCli(['push', 'dist-p2p', '--json'], { cwd: project })
    expect(push.code, push.stderr).toBe(0)
    expect((JSON.parse(push.stdout) as PushSiteResult).hosts[0]?.status).toBe('already-pinned')

    await fs.writeFile(path.join(project, 'dist', 'style.css'), 'body { color: teal }')
    const second = await run()
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toMatch(new RegExp(`edge\\s+pinned .* replaced ${firstJson.root}`))
    const secondJson = JSON.parse(second.stdout) as { push: PushSiteResult }
    expect(secondJson.push.hosts[0]?.replaced).toBe(firstJson.root)
    expect(second.stdout + second.stderr).not.toContain(token)
  })
})

describe('p2pcdn hosts add --gateway', () => {
  it('records the gateway of a host whose API URL is not one', async () => {
    const add = await runCli([
      'hosts',
      'add',
      'lab',
      'http://127.0.0.1:5001',
      '--type',
      'kubo',
      '--gateway',
      'http://127.0.0.1:8080/',
      '--print',
    ])
    expect(add.code, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout)).toEqual({
      name: 'lab',
      url: 'http://127.0.0.1:5001',
      type: 'kubo',
      gateway: 'http://127.0.0.1:8080',
    })
  })
})
