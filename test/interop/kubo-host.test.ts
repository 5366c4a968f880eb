/**
 * Kubo as a host, end to end: the built CLI registers a real Kubo daemon (test profile, 127.0.0.1
 * only) with `API.Authorizations` as a `kubo` host, `publish` pins the site there through the RPC
 * API, a re-publish replaces the old root, and a wrong token fails naming the host and its token
 * variable. The token never appears in the config file, stdout or stderr.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'
import { type KuboDaemon, startKubo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'

const dirs = tempDirs()
const TOKEN = `ci-${randomBytes(16).toString('hex')}`

interface PublishJson {
  root: string
  push: { hosts: Array<{ name: string; status: string; replaced?: string; code?: string; reason?: string }> }
}

describe.skipIf(kubo.skip)(kubo.title('Kubo as a host of p2pcdn publish (API.Authorizations)'), () => {
  let daemon: KuboDaemon

  beforeAll(async () => {
    daemon = await startKubo({
      authorizations: { ci: { AuthSecret: `bearer:${TOKEN}`, AllowedPaths: ['/api/v0'] } },
    })
  }, 90_000)

  afterAll(async () => {
    await daemon?.stop()
    await daemon?.repo.remove()
    await dirs.cleanup()
  })

  const pinned = async (root: string): Promise<boolean> => {
    const res = await daemon.rpc('pin/ls', [
      ['arg', root],
      ['type', 'recursive'],
    ])
    const body = (await res.json()) as { Keys?: Record<string, unknown>; Message?: string }
    if (res.status === 500 && /is not pinned/.test(body.Message ?? '')) return false
    expect(res.status, body.Message).toBe(200)
    return Object.keys(body.Keys ?? {}).length === 1
  }

  const cat = async (ipfsPath: string): Promise<Buffer> => {
    const res = await daemon.rpc('cat', [
      ['arg', ipfsPath],
      ['offline', 'true'],
    ])
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(res.status, bytes.toString()).toBe(200)
    return bytes
  }

  it('check, publish, re-publish replacing the old root, a wrong token named with its host; no token printed', async () => {
    const cwd = await dirs.make('kubo-host-project')
    const dist = path.join(cwd, 'dist')
    await fs.mkdir(dist)
    await fs.writeFile(path.join(dist, 'index.html'), '<!doctype html><img src="logo.svg"><p>first</p>')
    const logo = `<svg xmlns="http://www.w3.org/2000/svg"><!-- ${randomBytes(8).toString('hex')} --></svg>`
    await fs.writeFile(path.join(dist, 'logo.svg'), logo)
    const env = { KUBO_TOKEN: TOKEN }
    const printed: string[] = []
    const run = async (args: string[], runEnv: NodeJS.ProcessEnv = env) => {
      const result = await runCli(args, { cwd, env: runEnv })
      printed.push(result.stdout, result.stderr)
      return result
    }
    const publishArgs = [
      'publish',
      'dist',
      '--push-listen',
      '/ip4/127.0.0.1/tcp/0',
      '--json',
      '--no-progress',
    ]

    const add = await run([
      'hosts',
      'add',
      'kubo-ci',
      daemon.api,
      '--type',
      'kubo',
      '--token-env',
      'KUBO_TOKEN',
    ])
    expect(add.code, add.stderr).toBe(0)
    const config = await fs.readFile(path.join(cwd, 'p2pcdn.config.json'), 'utf8')
    expect(config).not.toContain(TOKEN)

    const check = await run(['hosts', 'check', '--json'])
    expect(check.code, check.stderr).toBe(0)
    const { Version } = (await (await daemon.rpc('version')).json()) as { Version: string }
    expect(JSON.parse(check.stdout)).toEqual([
      expect.objectContaining({ name: 'kubo-ci', reachable: true, authorised: true, version: Version }),
    ])

    const first = await run(publishArgs)
    expect(first.code, first.stderr).toBe(0)
    const one = JSON.parse(first.stdout) as PublishJson
    expect(one.push.hosts).toEqual([expect.objectContaining({ name: 'kubo-ci', status: 'pinned' })])
    expect(await pinned(one.root)).toBe(true)
    expect((await cat(`/ipfs/${one.root}/logo.svg`)).toString()).toBe(logo)
    expect(
      (await cat(`/ipfs/${one.root}/index.html`)).equals(
        await fs.readFile(path.join(cwd, 'dist-p2p', 'index.html')),
      ),
    ).toBe(true)

    // A new version of the site: Kubo pins it and drops the old root.
    await fs.writeFile(path.join(dist, 'index.html'), '<!doctype html><img src="logo.svg"><p>second</p>')
    const second = await run(publishArgs)
    expect(second.code, second.stderr).toBe(0)
    const two = JSON.parse(second.stdout) as PublishJson
    expect(two.root).not.toBe(one.root)
    expect(two.push.hosts).toEqual([
      expect.objectContaining({ name: 'kubo-ci', status: 'pinned', replaced: one.root }),
    ])
    expect(second.stderr).toContain(`replaced ${one.root}`)
    expect(await pinned(two.root)).toBe(true)
    expect(await pinned(one.root)).toBe(false)

    // A wrong token: Kubo answers 403; the push fails naming the host and the variable, not the token.
    const wrongToken = `wrong-${randomBytes(8).toString('hex')}`
    await fs.writeFile(path.join(dist, 'index.html'), '<!doctype html><img src="logo.svg"><p>third</p>')
    const wrong = await run(publishArgs, { KUBO_TOKEN: wrongToken })
    expect(wrong.code, wrong.stderr).toBe(4)
    const three = JSON.parse(wrong.stdout) as PublishJson
    expect(three.push.hosts).toEqual([
      expect.objectContaining({ name: 'kubo-ci', status: 'failed', code: 'ERR_HOST_AUTH' }),
    ])
    expect(wrong.stderr).toMatch(/kubo-ci\s+failed/)
    expect(wrong.stderr).toContain('$KUBO_TOKEN')
    expect(wrong.stderr + wrong.stdout).not.toContain(wrongToken)
    expect(await pinned(three.root)).toBe(false)
    expect(await pinned(two.root)).toBe(true)

    for (const text of printed) expect(text).not.toContain(TOKEN)
  })
})
