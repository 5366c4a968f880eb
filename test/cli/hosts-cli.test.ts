/**
 * `p2pcdn hosts …`, `publish` with registered hosts and `push`, as processes (the built CLI),
 * against real `p2pcdn host` nodes on 127.0.0.1. Tokens live only in environment variables and
 * never appear in the config file, stdout or stderr.
 */
import '../../src/utils/promise-with-resolvers.js'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningHost } from '../../src/host/index.js'
import { runCli } from '../helpers/cli.js'
import { deadUrl } from '../helpers/fault-proxy.js'
import { ROOT, tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'

const dirs = tempDirs()
let host: RunningHost
let token: string

beforeAll(async () => {
  ;({ host, token } = await startTestHost(await dirs.make('cli-host')))
})
afterAll(async () => {
  await host?.stop()
  await dirs.cleanup()
})

async function project(): Promise<string> {
  const cwd = await dirs.make('project')
  await fs.mkdir(path.join(cwd, 'dist'))
  await fs.writeFile(path.join(cwd, 'dist', 'index.html'), '<!doctype html><p>hello</p>')
  await fs.writeFile(path.join(cwd, 'dist', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  return cwd
}

describe('p2pcdn hosts', () => {
  it('add, list, remove keep the registry in p2pcdn.config.json, with the token variable name only', async () => {
    const cwd = await project()
    const add = await runCli(
      ['hosts', 'add', 'edge-1', host.url, '--type', 'p2pcdn', '--token-env', 'EDGE_TOKEN'],
      {
        cwd,
      },
    )
    expect(add.code, add.stderr).toBe(0)
    const config = JSON.parse(await fs.readFile(path.join(cwd, 'p2pcdn.config.json'), 'utf8'))
    expect(config).toEqual({
      hosts: [{ name: 'edge-1', url: host.url, type: 'p2pcdn', tokenEnv: 'EDGE_TOKEN' }],
    })

    const dup = await runCli(['hosts', 'add', 'edge-1', host.url, '--type', 'kubo'], { cwd })
    expect(dup.code).toBe(2)
    expect(dup.stderr).toContain('A host named "edge-1" is already registered')

    const bad = await runCli(['hosts', 'add', 'x', 'ftp://nope', '--type', 'p2pcdn'], { cwd })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('url')

    const list = await runCli(['hosts', 'list', '--json'], { cwd })
    expect(JSON.parse(list.stdout)).toEqual(config.hosts)

    const check = await runCli(['hosts', 'check', '--json'], { cwd, env: { EDGE_TOKEN: token } })
    expect(check.code).toBe(0)
    const [result] = JSON.parse(check.stdout) as Array<{
      reachable: boolean
      authorised: boolean
      latencyMs: number
    }>
    expect(result).toMatchObject({ reachable: true, authorised: true })
    expect(check.stdout + check.stderr).not.toContain(token)

    const wrong = await runCli(['hosts', 'check'], { cwd, env: { EDGE_TOKEN: 'p2pcdn_wrong-token-value' } })
    expect(wrong.code).toBe(4)
    expect(wrong.stderr).toContain('unauthorised')
    expect(wrong.stderr).not.toContain('p2pcdn_wrong-token-value')

    const unset = await runCli(['hosts', 'check'], { cwd, env: { EDGE_TOKEN: '' } })
    expect(unset.code).toBe(4)
    expect(unset.stderr).toMatch(/edge-1\s+p2pcdn\s+no token/)
    expect(unset.stderr).toContain('$EDGE_TOKEN, which is not set')

    expect((await runCli(['hosts', 'remove', 'edge-1'], { cwd })).code).toBe(0)
    expect(JSON.parse(await fs.readFile(path.join(cwd, 'p2pcdn.config.json'), 'utf8'))).toEqual({ hosts: [] })
    const gone = await runCli(['hosts', 'remove', 'edge-1'], { cwd })
    expect(gone.code).toBe(2)
  })

  it('check goes through every host (an unset token variable is one failed row) and prints real versions', async () => {
    const cwd = await project()
    const second = await startTestHost(await dirs.make('cli-host-2'))
    try {
      const hosts: Array<[name: string, url: string, type: string, tokenEnv: string]> = [
        // First, so that a check stopping at it would miss the others.
        ['no-token', host.url, 'p2pcdn', 'NOT_SET_TOKEN'],
        ['edge-1', host.url, 'p2pcdn', 'EDGE_TOKEN'],
        ['edge-2', second.host.url, 'p2pcdn', 'EDGE_TOKEN_2'],
        // A p2pcdn host speaks the Pinning Service API, which has no version endpoint.
        ['psa', second.host.url, 'pinning-service', 'EDGE_TOKEN_2'],
      ]
      for (const [name, url, type, tokenEnv] of hosts) {
        const add = await runCli(['hosts', 'add', name, url, '--type', type, '--token-env', tokenEnv], {
          cwd,
        })
        expect(add.code, add.stderr).toBe(0)
      }
      const env = { EDGE_TOKEN: token, EDGE_TOKEN_2: second.token, NOT_SET_TOKEN: '' }
      const { version } = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
        version: string
      }

      const json = await runCli(['hosts', 'check', '--json'], { cwd, env })
      expect(json.code, json.stderr).toBe(4)
      const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>
      expect(rows.map((r) => [r.name, r.state])).toEqual([
        ['no-token', 'no-token'],
        ['edge-1', 'ok'],
        ['edge-2', 'ok'],
        ['psa', 'ok'],
      ])
      expect(rows[0]?.error).toContain('$NOT_SET_TOKEN, which is not set')
      expect(rows[1]).toMatchObject({ reachable: true, authorised: true, version })
      expect(rows[2]).toMatchObject({ reachable: true, authorised: true, version })
      expect(rows[3]).toMatchObject({ reachable: true, authorised: true })
      expect(rows[3]).not.toHaveProperty('version')

      const text = await runCli(['hosts', 'check'], { cwd, env })
      expect(text.code).toBe(4)
      const lines = text.stderr.trim().split('\n')
      expect(lines[0]).toMatch(/^name\s+type\s+state\s+latency\s+version/)
      expect(lines[1]).toMatch(/^no-token\s+p2pcdn\s+no token\s+-\s+-\s+.*\$NOT_SET_TOKEN, which is not set/)
      expect(lines[2]).toMatch(
        new RegExp(`^edge-1\\s+p2pcdn\\s+ok\\s+\\d+ ms\\s+${version.replace(/\./g, '\\.')}$`),
      )
      expect(lines[3]).toMatch(
        new RegExp(`^edge-2\\s+p2pcdn\\s+ok\\s+\\d+ ms\\s+${version.replace(/\./g, '\\.')}$`),
      )
      expect(lines[4]).toMatch(/^psa\s+pinning-service\s+ok\s+\d+ ms\s+-$/)
      expect(text.stderr).not.toContain('Pinning Service API')
      expect(text.stdout + text.stderr + json.stdout + json.stderr).not.toContain(token)
      expect(text.stdout + text.stderr + json.stdout + json.stderr).not.toContain(second.token)
    } finally {
      await second.host.stop()
    }
  })

  it('publish pushes to the hosts; a replication shortfall exits 4 with the table; push retries later; no token in any output', async () => {
    const cwd = await project()
    const down = await deadUrl()
    await runCli(['hosts', 'add', 'edge-1', host.url, '--type', 'p2pcdn', '--token-env', 'EDGE_TOKEN'], {
      cwd,
    })
    await runCli(
      ['hosts', 'add', 'edge-down', down, '--type', 'pinning-service', '--token-env', 'EDGE_TOKEN'],
      { cwd },
    )
    const env = { EDGE_TOKEN: token }
    const args = [
      'publish',
      'dist',
      '--push-listen',
      '/ip4/127.0.0.1/tcp/0',
      '--push-timeout',
      '5',
      '--json',
      '--no-progress',
    ]

    const short = await runCli(args, { cwd, env })
    expect(short.code, short.stderr).toBe(4)
    expect(short.stderr).toMatch(/1 of 2 hosts pinned \(replication 2: NOT met\)/)
    expect(short.stderr).toMatch(/edge-1\s+pinned/)
    expect(short.stderr).toMatch(/edge-down\s+failed\s+.*unreachable/)
    const json = JSON.parse(short.stdout) as {
      root: string
      push: { hosts: Array<{ name: string; status: string }> }
    }
    expect(json.push.hosts.map((h) => h.status)).toEqual(['pinned', 'failed'])
    expect(short.stdout + short.stderr).not.toContain(token)
    // The output is written all the same (with no CAR, none being asked for).
    await fs.access(path.join(cwd, 'dist-p2p', 'p2pcdn-manifest.json'))
    await expect(fs.access(path.join(cwd, 'dist-p2p', 'p2pcdn.car'))).rejects.toThrow(/ENOENT/)
    await expect(fs.access(path.join(cwd, 'dist-p2p.car'))).rejects.toThrow(/ENOENT/)

    const enough = await runCli([...args, '--replication', '1'], { cwd, env })
    expect(enough.code, enough.stderr).toBe(0)
    expect(enough.stderr).toMatch(/edge-1\s+already-pinned/)

    const push = await runCli(
      [
        'push',
        'dist-p2p',
        '--replication',
        '1',
        '--push-listen',
        '/ip4/127.0.0.1/tcp/0',
        '--push-timeout',
        '5',
      ],
      {
        cwd,
        env,
      },
    )
    expect(push.code, push.stderr).toBe(0)
    expect(push.stderr).toContain(json.root)
    expect(push.stdout + push.stderr).not.toContain(token)

    const noPush = await runCli(['publish', 'dist', '--no-push', '--no-progress'], {
      cwd,
      env: { EDGE_TOKEN: '' },
    })
    expect(noPush.code, noPush.stderr).toBe(0)
  })
})
