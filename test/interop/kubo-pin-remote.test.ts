/**
 * Kubo as a client of `p2pcdn host`, both ways, with a real Kubo daemon (test profile: 127.0.0.1
 * only, no bootstrap, no mDNS) and a real host on 127.0.0.1 (libp2p on 127.0.0.1 too):
 *
 * (a) Kubo pushes a pin: `ipfs pin remote service add` + `ipfs pin remote add` (boxo's Pinning
 *     Service API client, core/commands/pin/remotepin.go) for content only Kubo has. Kubo sends
 *     its own addresses as `Pin.origins` (it has the blocks), the host dials them and fetches the
 *     DAG over bitswap, Kubo polls the request until `pinned`; `pin remote ls` and `service ls
 *     --stat` read the host's list, `pin remote rm` removes the pin.
 * (b) Kubo fetches from the host: a site published by p2pcdn and uploaded to the host as a CAR;
 *     Kubo `swarm connect`s to the host and `ipfs cat`s files / `ipfs dag export`s the root over
 *     bitswap, byte for byte what was published.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CAR_UPLOAD_PATH, type PinStatus, type RunningHost } from '../../src/host/index.js'
import { publish } from '../../src/index.js'
import { tempDirs } from '../helpers/fs.js'
import { eventually, startTestHost } from '../helpers/host.js'
import { type KuboDaemon, startKubo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'

const dirs = tempDirs()

interface RemotePin {
  Cid: string
  Name: string
  Status: string
}

/** Kubo's `--enc=json` output of a streaming command: one JSON value per line. */
const jsonLines = <T>(text: string): T[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T)

describe.skipIf(kubo.skip)(kubo.title('Kubo as a client of p2pcdn host'), () => {
  let daemon: KuboDaemon
  let host: RunningHost
  let token: string
  let auth: Record<string, string>

  beforeAll(async () => {
    ;[daemon, { host, token, auth }] = await Promise.all([
      startKubo(),
      dirs.make('kubo-client-host').then((repo) => startTestHost(repo)),
    ])
  }, 90_000)

  afterAll(async () => {
    await host?.stop()
    await daemon?.stop()
    await daemon?.repo.remove()
    await dirs.cleanup()
  })

  it('listens on 127.0.0.1 only, both of them', () => {
    expect(host.multiaddrs().length).toBeGreaterThan(0)
    for (const ma of host.multiaddrs()) expect(ma).toMatch(/^\/ip4\/127\.0\.0\.1\//)
    expect(daemon.multiaddrs.length).toBeGreaterThan(0)
    for (const ma of daemon.multiaddrs) expect(ma).toMatch(/^\/ip4\/127\.0\.0\.1\//)
  })

  it('(a) ipfs pin remote add: the host fetches the content from Kubo over bitswap and serves it', async () => {
    const ipfs = daemon.repo.ipfs
    const site = path.join(await dirs.make('kubo-only'), 'site')
    await fs.mkdir(site)
    const page = '<!doctype html><video src="video.bin"></video>'
    await fs.writeFile(path.join(site, 'index.html'), page)
    const bytes = randomBytes(1536 * 1024 + 7) // several 256 KiB chunks
    await fs.writeFile(path.join(site, 'video.bin'), bytes)
    const cid = (await ipfs(['add', '-r', '-Q', '--cid-version=1', site])).trim()
    expect(CID.parse(cid).version).toBe(1)
    // Only Kubo has it.
    expect((await fetch(`${host.url}/ipfs/${cid}/index.html`)).status).not.toBe(200)

    await ipfs(['pin', 'remote', 'service', 'add', 'p2pcdn', host.url, token])
    const added = JSON.parse(
      await ipfs(['pin', 'remote', 'add', '--service=p2pcdn', '--name=site', '--enc=json', cid]),
    ) as RemotePin
    // Without --background, Kubo returns once the host says `pinned`.
    expect(added).toEqual({ Cid: cid, Name: 'site', Status: 'pinned' })

    // The request as the host recorded it: Kubo's own addresses as origins.
    const list = (await (await fetch(`${host.url}/pins?cid=${cid}`, { headers: auth })).json()) as {
      count: number
      results: PinStatus[]
    }
    expect(list.count).toBe(1)
    const [status] = list.results
    expect(status?.status).toBe('pinned')
    expect(status?.pin.name).toBe('site')
    expect(status?.pin.origins?.length).toBeGreaterThan(0)
    for (const origin of status?.pin.origins ?? []) {
      expect(origin).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${daemon.peerId}$`))
    }
    expect(status?.info?.status_details).toMatch(/^pinned \d+ blocks$/)

    // Fetched over bitswap from Kubo (the only holder): the host's gateway serves it.
    const served = await fetch(`${host.url}/ipfs/${cid}/video.bin`)
    expect(served.status).toBe(200)
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true)
    expect(await (await fetch(`${host.url}/ipfs/${cid}/index.html`)).text()).toBe(page)

    const ls = jsonLines<RemotePin>(await ipfs(['pin', 'remote', 'ls', '--service=p2pcdn', '--enc=json']))
    expect(ls).toEqual([{ Cid: cid, Name: 'site', Status: 'pinned' }])
    const byName = jsonLines<RemotePin>(
      await ipfs(['pin', 'remote', 'ls', '--service=p2pcdn', '--name=site', `--cid=${cid}`, '--enc=json']),
    )
    expect(byName).toEqual([{ Cid: cid, Name: 'site', Status: 'pinned' }])
    const services = JSON.parse(await ipfs(['pin', 'remote', 'service', 'ls', '--stat', '--enc=json'])) as {
      RemoteServices: Array<{
        Service: string
        ApiEndpoint: string
        Stat: { Status: string; PinCount: unknown }
      }>
    }
    expect(services.RemoteServices).toEqual([
      {
        Service: 'p2pcdn',
        ApiEndpoint: host.url,
        Stat: { Status: 'valid', PinCount: { Queued: 0, Pinning: 0, Pinned: 1, Failed: 0 } },
      },
    ])

    // And back: `pin remote rm` deletes the request; the host unpins the content.
    await ipfs(['pin', 'remote', 'rm', '--service=p2pcdn', `--cid=${cid}`])
    expect(jsonLines(await ipfs(['pin', 'remote', 'ls', '--service=p2pcdn', '--enc=json']))).toEqual([])
    await eventually(
      async () => ((await host.helia.pins.isPinned(CID.parse(cid))) ? undefined : true),
      10_000,
      'the host to unpin',
    )
  })

  it('(a) many pins, CIDv0 ones: pin remote ls pages through them all (`before` = the oldest `created`)', async () => {
    const ipfs = daemon.repo.ipfs
    const dir = await dirs.make('kubo-many')
    const cids: string[] = []
    for (let i = 0; i < 13; i++) {
      const file = path.join(dir, `file-${i}.txt`)
      await fs.writeFile(file, `file ${i} ${randomBytes(8).toString('hex')}\n`)
      cids.push((await ipfs(['add', '-Q', file])).trim()) // no profile: Kubo's default CIDv0
    }
    expect(cids.every((cid) => cid.startsWith('Qm'))).toBe(true)
    for (const [i, cid] of cids.entries()) {
      const queued = JSON.parse(
        await ipfs([
          'pin',
          'remote',
          'add',
          '--service=p2pcdn',
          `--name=file-${i}`,
          '--background',
          '--enc=json',
          cid,
        ]),
      ) as RemotePin
      expect(queued.Cid).toBe(cid)
      expect(['queued', 'pinning', 'pinned']).toContain(queued.Status)
    }
    // More than one page (the client asks for 10 at a time), in every status while they pin.
    const all = jsonLines<RemotePin>(
      await ipfs([
        'pin',
        'remote',
        'ls',
        '--service=p2pcdn',
        '--status=queued,pinning,pinned,failed',
        '--enc=json',
      ]),
    )
    expect(all.map((pin) => pin.Cid).sort()).toEqual([...cids].sort())
    const pinned = await eventually(
      async () => {
        const ls = jsonLines<RemotePin>(await ipfs(['pin', 'remote', 'ls', '--service=p2pcdn', '--enc=json']))
        return ls.length === cids.length ? ls : undefined
      },
      20_000,
      'every pin to be pinned',
    )
    // newest first, each CID as Kubo sent it
    expect(pinned.map((pin) => [pin.Cid, pin.Name])).toEqual(
      cids.map((cid, i) => [cid, `file-${i}`]).reverse(),
    )
    const byCid = jsonLines<RemotePin>(
      await ipfs(['pin', 'remote', 'ls', '--service=p2pcdn', `--cid=${cids[4]},${cids[7]}`, '--enc=json']),
    )
    expect(byCid.map((pin) => pin.Name).sort()).toEqual(['file-4', 'file-7'])
    await ipfs(['pin', 'remote', 'rm', '--service=p2pcdn', '--status=pinned', '--force'])
    expect(jsonLines(await ipfs(['pin', 'remote', 'ls', '--service=p2pcdn', '--enc=json']))).toEqual([])
  })

  it('(a) a wrong key: Kubo reports the host’s 401', async () => {
    const ipfs = daemon.repo.ipfs
    await ipfs(['pin', 'remote', 'service', 'add', 'p2pcdn-bad', host.url, 'not-a-token'])
    const failed = await ipfs(['pin', 'remote', 'ls', '--service=p2pcdn-bad']).then(
      () => undefined,
      (err: Error & { stderr?: string }) => err.stderr ?? err.message,
    )
    expect(failed).toMatch(/401|UNAUTHORIZED/)
  })

  it('(b) Kubo fetches a published site from the host over bitswap', async () => {
    const dir = await dirs.make('kubo-fetch-site')
    await fs.mkdir(path.join(dir, 'img'))
    await fs.writeFile(
      path.join(dir, 'index.html'),
      '<!doctype html><img src="img/photo.bin"><p>from the host</p>',
    )
    const photo = randomBytes(900 * 1024)
    await fs.writeFile(path.join(dir, 'img', 'photo.bin'), photo)
    const out = path.join(await dirs.make('kubo-fetch-out'), 'site')
    const result = await publish({ dir, out, cacheDir: false, car: true })
    const car = await fs.readFile(result.car as string)
    const upload = await fetch(`${host.url}${CAR_UPLOAD_PATH}?name=site`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/vnd.ipld.car' },
      body: new Uint8Array(car),
    })
    expect(upload.status, await upload.clone().text()).toBe(201)

    const ipfs = daemon.repo.ipfs
    const tcp = host.multiaddrs().find((ma) => /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//.test(ma))
    expect(tcp).toBeDefined()
    await ipfs(['swarm', 'connect', tcp as string])

    const catted = await daemon.repo.ipfsBytes(['cat', `/ipfs/${result.root}/img/photo.bin`])
    expect(catted.equals(photo)).toBe(true)
    const page = await daemon.repo.ipfsBytes(['cat', `/ipfs/${result.root}/index.html`])
    expect(page.equals(await fs.readFile(path.join(out, 'index.html')))).toBe(true)
    // The whole DAG, in publish's block order: byte-identical to publish's CAR.
    const exported = await daemon.repo.ipfsBytes(['dag', 'export', result.root])
    expect(exported.equals(car)).toBe(true)
  })
})
