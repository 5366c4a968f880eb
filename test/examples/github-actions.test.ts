/**
 * The GitHub Actions recipe (examples/github-actions/deploy.yml): its shape, and its publish step
 * run as written (same command line, tokens from the environment as the `env:` block maps them)
 * against a real `p2pcdn host` on 127.0.0.1 and one that is down: a replication shortfall fails the
 * step (exit 4) while the JSON result the artifact keeps is written; no token in any output.
 */
import '../../src/utils/promise-with-resolvers.js'
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { RunningHost } from '../../src/host/index.js'
import { CLI } from '../helpers/cli.js'
import { deadUrl } from '../helpers/fault-proxy.js'
import { ROOT, tempDirs } from '../helpers/fs.js'
import { startTestHost } from '../helpers/host.js'

interface Step {
  name?: string
  uses?: string
  run?: string
  env?: Record<string, string>
  if?: string
  with?: Record<string, unknown>
}
const workflow = parse(await fs.readFile(path.join(ROOT, 'examples/github-actions/deploy.yml'), 'utf8')) as {
  on: { push: { branches: string[] } }
  jobs: { deploy: { steps: Step[] } }
}
const steps = workflow.jobs.deploy.steps
const publishStep = steps.find((s) => s.run?.includes('p2pcdn publish')) as Step

const dirs = tempDirs()
let host: RunningHost
let token: string
beforeAll(async () => {
  ;({ host, token } = await startTestHost(await dirs.make('gha-host')))
})
afterAll(async () => {
  await host?.stop()
  await dirs.cleanup()
})

/** Runs a step's shell command in `cwd`, `npx p2pcdn` being the built CLI. */
function runStep(step: Step, cwd: string, env: Record<string, string>) {
  const command = (step.run as string).replace(
    'npx p2pcdn',
    `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)}`,
  )
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('examples/github-actions/deploy.yml', () => {
  it('publishes on push to main, tokens only from secrets, the result kept as an artifact even on failure', () => {
    expect(workflow.on.push.branches).toEqual(['main'])
    expect(publishStep.run).toMatch(/p2pcdn publish dist .*--json/)
    for (const [name, value] of Object.entries(publishStep.env ?? {})) {
      expect(value).toBe(`\${{ secrets.${name} }}`)
    }
    const artifact = steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))
    expect(artifact?.if).toBe('always()')
    expect(artifact?.with?.path).toBe('p2pcdn-result.json')
  })

  it('its publish step, run as written, fails on a replication shortfall and still writes the result; no token leaks', async () => {
    const cwd = await dirs.make('gha-project')
    await fs.mkdir(path.join(cwd, 'dist'))
    await fs.writeFile(path.join(cwd, 'dist', 'index.html'), '<!doctype html><img src="a.svg">')
    await fs.writeFile(path.join(cwd, 'dist', 'a.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    const tokenVar = Object.keys(publishStep.env ?? {})[0] as string
    const config = {
      origin: 'https://www.example.com',
      gateway: host.url,
      pushListen: ['/ip4/127.0.0.1/tcp/0'],
      pushTimeout: 5000,
      hosts: [
        { name: 'campus-1', url: host.url, type: 'p2pcdn', tokenEnv: tokenVar },
        { name: 'campus-2', url: await deadUrl(), type: 'p2pcdn', tokenEnv: tokenVar },
      ],
    }
    await fs.writeFile(path.join(cwd, 'p2pcdn.config.json'), JSON.stringify(config))
    const short = await runStep(publishStep, cwd, { [tokenVar]: token })
    expect(short.code).toBe(4)
    const result = JSON.parse(await fs.readFile(path.join(cwd, 'p2pcdn-result.json'), 'utf8')) as {
      push: { replication: { met: boolean }; hosts: Array<{ name: string; status: string }> }
    }
    expect(result.push.replication.met).toBe(false)
    expect(result.push.hosts.map((h) => [h.name, h.status])).toEqual([
      ['campus-1', 'pinned'],
      ['campus-2', 'failed'],
    ])
    expect(short.stdout + short.stderr).not.toContain(token)
    expect(await fs.readFile(path.join(cwd, 'p2pcdn-result.json'), 'utf8')).not.toContain(token)

    // With the down host removed, the same step succeeds.
    await fs.writeFile(
      path.join(cwd, 'p2pcdn.config.json'),
      JSON.stringify({ ...config, hosts: config.hosts.slice(0, 1) }),
    )
    const ok = await runStep(publishStep, cwd, { [tokenVar]: token })
    expect(ok.code, ok.stderr).toBe(0)
  })
})
