/**
 * `p2pcdn host` as a process (the built CLI): start-up output, tokens, status, gc, HTTPS with
 * --tls-cert/--tls-key, health and metrics, and kill -9 during and after an upload.
 */
import { type ChildProcess, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { get as httpsGet, request as httpsRequest } from 'node:https'
import { type AddressInfo, createServer } from 'node:net'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { CAR_UPLOAD_PATH, DEFAULT_LISTEN } from '../../src/host/index.js'
import { publish } from '../../src/index.js'
import { finished, runCli, startCli } from '../helpers/cli.js'
import { tempDirs } from '../helpers/fs.js'
import { eventually } from '../helpers/host.js'

const dirs = tempDirs()
const running: ChildProcess[] = []

interface StartInfo {
  peerId: string
  multiaddrs: string[]
  http: string
  gateway: string
  repo: string
}

/** Starts `p2pcdn host --json` on loopback and waits for its start-up line. */
function startHostCli(
  repo: string,
  extra: string[] = [],
): Promise<{ child: ChildProcess; info: StartInfo; stderr: () => string }> {
  return startHostWith([
    '--repo',
    repo,
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '/ip4/127.0.0.1/tcp/0/ws',
    ...extra,
  ])
}

/** Starts `p2pcdn host --json --http 127.0.0.1:0` without session discovery or DHT, with `args`, and waits for its start-up line. */
async function startHostWith(
  args: string[],
): Promise<{ child: ChildProcess; info: StartInfo; stderr: () => string }> {
  const child = startCli(['host', '--http', '127.0.0.1:0', '--no-session', '--dht', 'off', '--json', ...args])
  running.push(child)
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const info = await new Promise<StartInfo>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      stdout += d
      const line = stdout.split('\n')[0]
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as StartInfo)
    })
    child.on('exit', (code) => reject(new Error(`host exited (${code}) before it started: ${stderr}`)))
  })
  return { child, info, stderr: () => stderr }
}

function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill(signal)
  })
}

async function makeCar(
  label: string,
  files: Record<string, Uint8Array | string>,
): Promise<{ car: Buffer; root: string }> {
  const dir = await dirs.make(label)
  for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(dir, name), content)
  const result = await publish({ dir, out: `${dir}-out`, cacheDir: false, car: true })
  return { car: await fs.readFile(result.car as string), root: result.root }
}

async function createTokenCli(repo: string): Promise<string> {
  const run = await runCli(['host', 'token', 'create', '--repo', repo, '--label', 'ci'])
  expect(run.code).toBe(0)
  return run.stdout.trim()
}

/** How many block files the repo holds. */
async function blockFiles(repo: string): Promise<number> {
  const names = await fs.readdir(path.join(repo, 'blocks'), { recursive: true }).catch(() => [])
  return names.filter((name) => String(name).endsWith('.data')).length
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((child) => killed(child, 'SIGKILL')))
})
afterAll(() => dirs.cleanup())

describe('p2pcdn host (CLI)', () => {
  it('prints its addresses, answers /healthz, /metrics and status, and stops cleanly on SIGTERM', async () => {
    const repo = await dirs.make('cli')
    const { child, info, stderr } = await startHostCli(repo)
    expect(info.peerId).toMatch(/^12D3Koo/)
    expect(info.multiaddrs.some((a) => a.includes('/tcp/') && a.endsWith(`/p2p/${info.peerId}`))).toBe(true)
    expect(info.multiaddrs.some((a) => a.includes('/ws/'))).toBe(true)
    expect(info.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(stderr()).toContain(info.peerId)

    const health = await fetch(`${info.http}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })

    const metrics = await (await fetch(`${info.http}/metrics`)).text()
    expect(metrics).toMatch(/^p2pcdn_pins\{status="pinned"\} 0$/m)
    expect(metrics).toMatch(/^p2pcdn_http_requests_total\{route="healthz",status="200"\} 1$/m)
    expect(metrics).toMatch(/^p2pcdn_storage_bytes 0$/m)

    const status = await runCli(['host', 'status', '--repo', repo, '--json'])
    expect(status.code).toBe(0)
    const parsed = JSON.parse(status.stdout) as {
      running: boolean
      peerId: string
      pins: Record<string, number>
    }
    expect(parsed.running).toBe(true)
    expect(parsed.peerId).toBe(info.peerId)
    expect(parsed.pins).toEqual({ queued: 0, pinning: 0, pinned: 0, failed: 0 })

    const text = await runCli(['host', 'status', '--repo', repo])
    expect(text.stdout).toContain(`peer ID   ${info.peerId}`)

    const exit = finished(child)
    child.kill('SIGTERM')
    const result = await exit
    expect(result.code).toBe(0)
    await expect(fs.access(path.join(repo, 'repo.lock'))).rejects.toThrow()
    await expect(fs.access(path.join(repo, 'api'))).rejects.toThrow()

    const offline = JSON.parse((await runCli(['host', 'status', '--repo', repo, '--json'])).stdout) as {
      running: boolean
      peerId: string
    }
    expect(offline).toMatchObject({ running: false, peerId: info.peerId })
  })

  it('`host token create` prints only the token on stdout; the token authorises, list never shows it, revoke ends it', async () => {
    const repo = await dirs.make('tokens')
    const token = await createTokenCli(repo)
    expect(token).toMatch(/^p2pcdn_[A-Za-z0-9_-]{43}$/)
    const stored = await fs.readFile(path.join(repo, 'tokens.json'), 'utf8')
    expect(stored).not.toContain(token)
    expect((await fs.stat(path.join(repo, 'tokens.json'))).mode & 0o777).toBe(0o600)

    const { info } = await startHostCli(repo)
    const auth = { Authorization: `Bearer ${token}` }
    expect((await fetch(`${info.http}/pins`, { headers: auth })).status).toBe(200)

    const list = await runCli(['host', 'token', 'list', '--repo', repo, '--json'])
    expect(list.stdout).not.toContain(token)
    const [record] = JSON.parse(list.stdout) as Array<{ id: string; label: string }>
    expect(record?.label).toBe('ci')

    expect((await runCli(['host', 'token', 'revoke', record?.id ?? '', '--repo', repo])).code).toBe(0)
    expect((await fetch(`${info.http}/pins`, { headers: auth })).status).toBe(401)

    const unknown = await runCli(['host', 'token', 'revoke', 'nope', '--repo', repo])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('No token with id "nope"')
  })

  it('refuses a second host on the same repo, naming the running one', async () => {
    const repo = await dirs.make('locked')
    const { child } = await startHostCli(repo)
    const second = await runCli([
      'host',
      '--repo',
      repo,
      '--http',
      '127.0.0.1:0',
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--dht',
      'off',
    ])
    expect(second.code).toBe(2)
    expect(second.stderr).toContain(`in use by a running host (pid ${child.pid})`)
    const gc = await runCli(['host', 'gc', '--repo', repo])
    expect(gc.code).toBe(2)
    expect(gc.stderr).toContain('Stop that host first')
  })

  it.each([
    [['--http', 'localhost'], '`http`'],
    [['--storage-max', 'lots'], '--storage-max'],
    [['--session-period', '-5'], '--session-period'],
    [['--tls-cert', 'cert.pem'], 'tls-key'],
    [['--dht', 'global'], '--dht'],
  ])('bad option %j is a usage error naming %s', async (args, name) => {
    const repo = await dirs.make('badopt')
    const run = await runCli(['host', '--repo', repo, '--listen', '/ip4/127.0.0.1/tcp/0', ...args])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(name)
  })

  it('a folder that is not a host repo is refused, not taken over', async () => {
    const dir = await dirs.make('notrepo')
    await fs.writeFile(path.join(dir, 'precious.txt'), 'keep me')
    const run = await runCli([
      'host',
      '--repo',
      dir,
      '--http',
      '127.0.0.1:0',
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
    ])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('is not a p2pcdn host repo')
    expect(await fs.readdir(dir)).toEqual(['precious.txt'])
  })

  it('serves the gateway over HTTPS with --tls-cert/--tls-key', async () => {
    const repo = await dirs.make('tls')
    const certDir = await dirs.make('cert')
    const cert = path.join(certDir, 'cert.pem')
    const key = path.join(certDir, 'key.pem')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    const token = await createTokenCli(repo)
    const { info } = await startHostCli(repo, [
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--listen',
      '/ip4/127.0.0.1/tcp/0/tls/ws',
    ])
    expect(info.http).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    // Secure WebSockets for in-browser libp2p: the /tls/ws port completes a TLS handshake with the
    // certificate (a WebSocket upgrade is what it wants next, so a plain GET is refused).
    const wss = info.multiaddrs.find((a) => a.includes('/tls/ws/')) as string
    expect(wss).toBeDefined()
    const wssPort = Number(/\/tcp\/(\d+)\//.exec(wss)?.[1])
    const { car, root } = await makeCar('tls-site', { 'index.html': '<h1>over TLS</h1>' })
    const certPem = await fs.readFile(cert)
    const uploaded = await postHttps(`${info.http}${CAR_UPLOAD_PATH}`, token, car, certPem)
    expect(uploaded.status).toBe(201)
    const body = await new Promise<{ status: number; text: string; cors: string | undefined }>(
      (resolve, reject) => {
        httpsGet(`${info.http}/ipfs/${root}/index.html`, { ca: certPem }, (res) => {
          let text = ''
          res.on('data', (d) => {
            text += d
          })
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              text,
              cors: res.headers['access-control-allow-origin'] as string,
            }),
          )
        }).on('error', reject)
      },
    )
    expect(body).toEqual({ status: 200, text: '<h1>over TLS</h1>', cors: '*' })
    const handshake = await new Promise<{ authorized: boolean; status: number }>((resolve, reject) => {
      const req = httpsGet({ host: '127.0.0.1', port: wssPort, path: '/', ca: certPem }, (res) => {
        res.resume()
        resolve({
          authorized: (res.socket as import('node:tls').TLSSocket).authorized,
          status: res.statusCode ?? 0,
        })
      })
      req.on('error', reject)
    })
    expect(handshake.authorized).toBe(true)
    expect(handshake.status).toBeGreaterThanOrEqual(400)
  })

  it('loses nothing acknowledged to a kill -9, and a kill -9 during an upload leaves a repo that starts again', async () => {
    const repo = await dirs.make('kill9')
    const token = await createTokenCli(repo)
    const auth = { Authorization: `Bearer ${token}` }
    const small = await makeCar('small-site', { 'index.html': '<p>acknowledged</p>' })
    const big = await makeCar('big-site', { 'video.bin': randomBytes(48 * 1024 * 1024) })

    let { child, info } = await startHostCli(repo)
    const acked = await fetch(`${info.http}${CAR_UPLOAD_PATH}`, {
      method: 'POST',
      headers: auth,
      body: new Uint8Array(small.car),
    })
    expect(acked.status).toBe(201)
    // kill -9 right after the acknowledgement.
    await killed(child, 'SIGKILL')

    ;({ child, info } = await startHostCli(repo))
    expect(await (await fetch(`${info.http}/ipfs/${small.root}/index.html`)).text()).toBe(
      '<p>acknowledged</p>',
    )

    // Half a big upload, then kill -9 while the host is storing its blocks (they go to the store
    // as they arrive, and are pinned only once the whole DAG is there).
    const before = await blockFiles(repo)
    const url = new URL(`${info.http}${CAR_UPLOAD_PATH}`)
    const req = httpRequest(url, { method: 'POST', headers: { ...auth, 'Content-Length': big.car.length } })
    req.on('error', () => {})
    req.write(big.car.subarray(0, big.car.length / 2))
    await eventually(
      async () => ((await blockFiles(repo)) > before ? true : undefined),
      20_000,
      'the upload to reach the host',
    )
    await killed(child, 'SIGKILL')
    req.destroy()

    ;({ child, info } = await startHostCli(repo))
    expect(await fs.readdir(path.join(repo, 'tmp'))).toEqual([])
    expect(await (await fetch(`${info.http}/ipfs/${small.root}/index.html`)).text()).toBe(
      '<p>acknowledged</p>',
    )
    expect((await fetch(`${info.http}/ipfs/${big.root}?format=raw`)).status).toBe(404)
    const status = JSON.parse((await runCli(['host', 'status', '--repo', repo, '--json'])).stdout) as {
      pins: { pinned: number }
    }
    expect(status.pins.pinned).toBe(1)
    // The same upload now goes through.
    const retry = await fetch(`${info.http}${CAR_UPLOAD_PATH}`, {
      method: 'POST',
      headers: auth,
      body: new Uint8Array(big.car),
    })
    expect(retry.status).toBe(201)
    const head = await fetch(`${info.http}/ipfs/${big.root}/video.bin`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(Number(head.headers.get('content-length'))).toBe(48 * 1024 * 1024)
  })

  it('`host gc` removes the blocks of a deleted pin and keeps the pinned ones', async () => {
    const repo = await dirs.make('gc')
    const token = await createTokenCli(repo)
    const auth = { Authorization: `Bearer ${token}` }
    const keep = await makeCar('keep', { 'a.txt': 'kept' })
    const drop = await makeCar('drop', { 'b.bin': randomBytes(300_000) })
    let { child, info } = await startHostCli(repo)
    await fetch(`${info.http}${CAR_UPLOAD_PATH}`, {
      method: 'POST',
      headers: auth,
      body: new Uint8Array(keep.car),
    })
    const dropped = (await (
      await fetch(`${info.http}${CAR_UPLOAD_PATH}`, {
        method: 'POST',
        headers: auth,
        body: new Uint8Array(drop.car),
      })
    ).json()) as {
      pins: Array<{ requestid: string }>
    }
    expect(
      (await fetch(`${info.http}/pins/${dropped.pins[0]?.requestid}`, { method: 'DELETE', headers: auth }))
        .status,
    ).toBe(202)
    const exit = finished(child)
    child.kill('SIGINT')
    expect((await exit).code).toBe(0)

    const gc = await runCli(['host', 'gc', '--repo', repo, '--json'])
    expect(gc.code).toBe(0)
    const result = JSON.parse(gc.stdout) as { removed: number; freed: number }
    expect(result.removed).toBeGreaterThan(0)
    expect(result.freed).toBeGreaterThanOrEqual(300_000)

    ;({ child, info } = await startHostCli(repo))
    expect(await (await fetch(`${info.http}/ipfs/${keep.root}/a.txt`)).text()).toBe('kept')
    expect((await fetch(`${info.http}/ipfs/${drop.root}?format=raw`)).status).toBe(404)
  })
})

function postHttps(url: string, token: string, body: Buffer, ca: Buffer): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'POST', ca, headers: { Authorization: `Bearer ${token}`, 'Content-Length': body.length } },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** A TCP server on 127.0.0.1 holding `port` (0: a free one) until closed, as another program would. */
async function occupy(port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** A failure on stderr is one message: no stack trace, no libp2p advice. */
function expectOneLineError(stderr: string): void {
  expect(stderr).not.toContain('faultTolerance')
  expect(stderr).not.toMatch(/^\s+at /m)
  expect(stderr.trim().split('\n')).toHaveLength(1)
}

describe('p2pcdn host: ports already taken (issue 13, item 4)', () => {
  it('a taken --listen port exits 2 naming the address, the port and --listen; no stack trace', async () => {
    const repo = await dirs.make('taken-listen')
    const blocker = await occupy()
    try {
      const address = `/ip4/127.0.0.1/tcp/${blocker.port}`
      const run = await runCli([
        'host',
        '--repo',
        repo,
        '--http',
        '127.0.0.1:0',
        '--listen',
        address,
        '/ip4/127.0.0.1/tcp/0/ws',
        '--no-session',
        '--dht',
        'off',
      ])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`port ${blocker.port} of the --listen address ${address}`)
      expect(run.stderr).toContain('already in use')
      expect(run.stderr).toContain('Pass another with --listen')
      expectOneLineError(run.stderr)
      // The repo is let go: a host starts on it at once.
      await expect(fs.access(path.join(repo, 'repo.lock'))).rejects.toThrow()
    } finally {
      await blocker.close()
    }
  })

  it('a taken --http port exits 2 naming it and --http; no stack trace', async () => {
    const repo = await dirs.make('taken-http')
    const blocker = await occupy()
    try {
      const run = await runCli([
        'host',
        '--repo',
        repo,
        '--http',
        `127.0.0.1:${blocker.port}`,
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--no-session',
        '--dht',
        'off',
      ])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`the HTTP port 127.0.0.1:${blocker.port} is already in use`)
      expect(run.stderr).toContain('Pass another with --http')
      expectOneLineError(run.stderr)
    } finally {
      await blocker.close()
    }
  })

  it('with the default --listen addresses, a taken default port is swapped for a free one, and it says so', async () => {
    // The defaults listen on all interfaces (DEFAULT_LISTEN); holding 4011 on 127.0.0.1 is enough
    // to make 0.0.0.0:4011 EADDRINUSE. Already held by something else is as good.
    const [tcpDefault] = DEFAULT_LISTEN
    const port = Number(/\/tcp\/(\d+)/.exec(tcpDefault)?.[1])
    const blocker = await occupy(port).catch(() => undefined)
    try {
      const repo = await dirs.make('taken-default')
      // Listening on all interfaces is the point here; nothing is dialled (no DHT, no session, no peers).
      const { child, info, stderr } = await startHostWith(['--repo', repo, '--dht', 'off', '--no-session'])
      expect(stderr()).toMatch(
        new RegExp(
          `default libp2p port ${port} \\(${tcpDefault}\\) is taken.*listening on /ip4/0\\.0\\.0\\.0/tcp/\\d+ instead\\. Choose the ports with --listen\\.`,
        ),
      )
      expect(stderr()).not.toContain('faultTolerance')
      const tcp = info.multiaddrs.filter((a) => !a.includes('/ws'))
      expect(tcp.length).toBeGreaterThan(0)
      expect(tcp.every((a) => !a.includes(`/tcp/${port}/`))).toBe(true)
      // It is a working host on its new port.
      expect((await fetch(`${info.http}/healthz`)).status).toBe(200)
      const exit = finished(child)
      child.kill('SIGTERM')
      expect((await exit).code).toBe(0)
    } finally {
      await blocker?.close()
    }
  })
})
