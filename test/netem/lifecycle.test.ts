/**
 * What an emulated network leaves behind: nothing after destroy(), nothing after the process that
 * made it exits or gets SIGINT, and nothing once the next run cleans up after one killed with
 * SIGKILL. Needs root; the last test checks what a process without root is told.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCommand } from '../../src/netem/commands.js'
import {
  checkNetem,
  cleanupStaleNetworks,
  createNetwork,
  listNamespaces,
  type NetemError,
  namespacePids,
  ownerOf,
} from '../../src/netem/index.js'
import { CLI } from '../helpers/cli.js'
import { ROOT } from '../helpers/fs.js'
import { fetchFrom, startServer } from './net-tools.js'

const netem = await checkNetem()
const title = (name: string) => (netem.ok ? name : `${name} (skipped: ${netem.reason})`)
const NETEM_INDEX = path.join(ROOT, 'src/netem/index.ts')

/** The root namespace's links, addresses and routes, to compare before and after. */
const rootState = async () =>
  (
    await Promise.all(
      [['-o', 'link'], ['-o', 'addr'], ['route'], ['-6', 'route']].map(
        async (args) => (await runCommand('ip', args)).stdout,
      ),
    )
  )
    .join('\n')
    // Counters and timers change by themselves; names, addresses and routes must not.
    .replace(/valid_lft \S+ preferred_lft \S+/g, '')

/** True when the process no longer runs (a zombie, exited but not yet reaped, counts as gone). */
const gone = async (pid: number) => {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')')).startsWith(') Z')
  } catch {
    return true
  }
}

/** A child process (TypeScript through tsx) that builds a two-node network, prints it, and waits. */
async function startBuilder(
  dir: string,
  then: 'wait' | 'exit',
): Promise<{ child: ChildProcess; namespaces: string[]; sleeper: number }> {
  const file = path.join(dir, `builder-${then}.mts`)
  await fs.writeFile(
    file,
    `import { createNetwork } from ${JSON.stringify(NETEM_INDEX)}
const network = await createNetwork({ nodes: [
  { name: 'a', role: 'host', link: { down: '10mbit', up: '10mbit', delayMs: 5 } },
  { name: 'b', role: 'client', link: { down: '10mbit', up: '10mbit' } },
] })
const sleeper = network.node('a').spawn('sleep', ['600'], { stdio: 'ignore' })
process.stdout.write(JSON.stringify({ namespaces: network.namespaces, sleeper: sleeper.pid }) + '\\n')
if (${JSON.stringify(then)} === 'exit') process.exit(0)
setInterval(() => {}, 1000)
`,
  )
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (data) => {
    stderr += data
  })
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (data) => resolve(String(data)))
    child.once('exit', (code) => reject(new Error(`builder exited (${code}): ${stderr}`)))
  })
  return { child, ...JSON.parse(line) }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()))

describe.skipIf(!netem.ok)(title('emulated network lifecycle'), () => {
  let dir: string | undefined
  const tempDir = async () => {
    dir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-netem-'))
    return dir
  }
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true })
  })

  it('destroy() removes every namespace, link and process, and nothing else', async () => {
    const before = await rootState()
    const network = await createNetwork({
      nodes: [
        { name: 'host-1', role: 'host', link: { down: '25mbit', up: '6mbit', delayMs: 15 } },
        { name: 'client', role: 'client', link: { down: '100mbit', up: '100mbit' } },
      ],
    })
    const server = await startServer(network.node('host-1'), 8080)
    const [fetched] = await fetchFrom(network.node('client'), [
      `http://${network.node('host-1').address}:8080/hello`,
    ])
    expect(fetched?.status).toBe(200)
    const inside = (await Promise.all(network.namespaces.map(namespacePids))).flat()
    expect(inside).toContain(server.pid) // the server, and the link's relay in the delay namespace
    expect(inside.length).toBeGreaterThanOrEqual(2)
    const devices = (await runCommand('ip', ['-n', network.router, '-o', 'link'])).stdout
    expect(devices).toMatch(/ n1[@:]/)
    expect(devices).toMatch(/ n2@/)

    await network.destroy()
    expect((await listNamespaces()).filter((name) => name.startsWith(`${network.id}-`))).toEqual([])
    for (const pid of inside) expect(await gone(pid)).toBe(true)
    expect(await rootState()).toBe(before)
    await network.destroy() // idempotent
  })

  it('runs the built CLI inside a node: a host another node reaches', async ({ skip }) => {
    if (!existsSync(CLI)) skip('dist/cli/bin.js is not built (npm run build)')
    const network = await createNetwork({
      nodes: [
        { name: 'host-1', role: 'host', link: { down: '25mbit', up: '6mbit', delayMs: 15 } },
        { name: 'client', role: 'client', link: { down: '100mbit', up: '100mbit' } },
      ],
    })
    try {
      const repo = path.join(await tempDir(), 'repo')
      const host = network
        .node('host-1')
        .spawn(
          process.execPath,
          [
            CLI,
            'host',
            'run',
            '--repo',
            repo,
            '--http',
            '0.0.0.0:8080',
            '--listen',
            '/ip4/0.0.0.0/tcp/4011',
            '--dht',
            'off',
            '--no-session',
            '--json',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        )
      let stderr = ''
      host.stderr?.on('data', (data) => {
        stderr += data
      })
      const started = await new Promise<string>((resolve, reject) => {
        host.stdout?.once('data', (data) => resolve(String(data)))
        host.once('exit', (code) => reject(new Error(`host exited (${code}): ${stderr}`)))
      })
      // It listens on the node's own address, and another node reaches it over the emulated link.
      expect(started).toContain(`/ip4/${network.node('host-1').address}/tcp/4011`)
      const [health] = await fetchFrom(network.node('client'), [
        `http://${network.node('host-1').address}:8080/healthz`,
      ])
      expect(health?.status).toBe(200)
      expect(health?.connected).toBeGreaterThan(network.rttMs('host-1', 'client') * 0.9)
    } finally {
      await network.destroy()
    }
  })

  it('a run killed with SIGKILL leaves its namespaces; the next run removes them and what runs inside', async () => {
    const { child, namespaces, sleeper } = await startBuilder(await tempDir(), 'wait')
    expect(namespaces.every((name) => ownerOf(name) === child.pid)).toBe(true)
    child.kill('SIGKILL')
    await exited(child)
    expect(await listNamespaces()).toEqual(expect.arrayContaining(namespaces))
    expect(await gone(sleeper)).toBe(false) // still running inside the orphaned namespace

    const removed = await cleanupStaleNetworks()
    expect(removed).toEqual(expect.arrayContaining(namespaces))
    expect((await listNamespaces()).filter((name) => namespaces.includes(name))).toEqual([])
    expect(await gone(sleeper)).toBe(true)
  })

  it('a run that gets SIGINT, or exits without destroy(), removes its namespaces itself', async () => {
    const interrupted = await startBuilder(await tempDir(), 'wait')
    interrupted.child.kill('SIGINT')
    await exited(interrupted.child)
    expect(interrupted.child.signalCode).toBe('SIGINT') // it still dies of the signal
    const exiting = await startBuilder(await tempDir(), 'exit')
    await exited(exiting.child)
    expect(exiting.child.exitCode).toBe(0)
    const left = await listNamespaces()
    for (const run of [interrupted, exiting]) {
      expect(left.filter((name) => run.namespaces.includes(name))).toEqual([])
      expect(await gone(run.sleeper)).toBe(true)
    }
  })

  it('an aborted build removes what it built', async () => {
    const before = await listNamespaces()
    const controller = new AbortController()
    controller.abort()
    await expect(
      createNetwork({
        nodes: [{ name: 'a', role: 'host', link: { down: '10mbit', up: '10mbit', delayMs: 5 } }],
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({
      code: 'ERR_NETEM_SETUP',
      message: expect.stringMatching(/aborted/),
    } satisfies Partial<NetemError>)
    expect(await listNamespaces()).toEqual(before)
  })
})

describe('checkNetem', () => {
  it('says why a process without root cannot build networks', async ({ skip }) => {
    if (process.getuid?.() !== 0) {
      expect(netem).toMatchObject({ ok: false, reason: expect.stringMatching(/needs root.*uid/) })
      return
    }
    const child = await runCommand(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { checkNetem } from ${JSON.stringify(NETEM_INDEX)}; console.log(JSON.stringify(await checkNetem()))`,
      ],
      { cwd: ROOT, env: { ...process.env, HOME: os.tmpdir() } },
    ).catch((error) => ({ code: -1, stdout: '', stderr: String(error) }))
    if (child.code !== 0) skip(`could not run as uid 65534: ${child.stderr.trim().split('\n')[0]}`)
    expect(JSON.parse(child.stdout)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^it needs root \(this process runs as uid 65534\).*Run it as root/),
    })
  })
})
