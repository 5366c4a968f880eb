/**
 * Real Kubo repos and daemons for the interop tests (test/helpers/peers.ts finds the binary).
 * Every repo is made with Kubo's `test` profile (API, gateway and swarm on 127.0.0.1 port 0, no
 * bootstrap peers, no mDNS, no NAT port mapping, no delegated routers, no AutoTLS, no AutoConf)
 * plus the IPIP-499 profile asked for, and telemetry off (`IPFS_TELEMETRY=off` and the plugin's
 * config): nothing a test starts sends traffic beyond this machine.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { kubo } from './peers.js'

const run = promisify(execFile)

export type KuboUnixfsProfile = 'unixfs-v1-2025' | 'unixfs-v0-2015'

export interface KuboRepo {
  /** `IPFS_PATH`. */
  path: string
  /** The environment every `ipfs` command of this repo runs with. */
  env: NodeJS.ProcessEnv
  /** Runs `ipfs <args>` on this repo (no daemon needed for offline commands); resolves to stdout. */
  ipfs(args: string[], options?: { input?: Buffer | string; maxBuffer?: number }): Promise<string>
  /** Runs `ipfs <args>` and resolves to its stdout as bytes (`cat`, `dag export`). */
  ipfsBytes(args: string[], options?: { maxBuffer?: number }): Promise<Buffer>
  /** Sets a config key to a JSON value (`ipfs config --json`). */
  config(key: string, value: unknown): Promise<void>
  remove(): Promise<void>
}

/** One `API.Authorizations` entry (kubo's config/api.go `RPCAuthScope`). */
export interface KuboAuthScope {
  /** `bearer:<token>`, `basic:<user>:<password>` or `basic:<base64 of user:password>`. */
  AuthSecret: string
  /** RPC path prefixes this secret may call; `["/api/v0"]` is all of them (`version` always is). */
  AllowedPaths: string[]
}

export interface KuboDaemon {
  repo: KuboRepo
  /** RPC API base URL, e.g. `http://127.0.0.1:40123`. */
  api: string
  /**
   * The first `AuthSecret` allowed every RPC path (`/api/v0`) when `authorizations` were given,
   * for `ipfs --api-auth=…` and {@link KuboDaemon.rpc}; else undefined.
   */
  apiAuth?: string
  /**
   * `POST <api>/api/v0/<command>?<params>` with `apiAuth`'s `Authorization` header; resolves to the
   * response (any status).
   */
  rpc(command: string, params?: Array<[string, string]>): Promise<Response>
  /** Gateway base URL. */
  gateway: string
  peerId: string
  /** Swarm multiaddrs with `/p2p/<peerId>`. */
  multiaddrs: string[]
  process: ChildProcess
  stop(): Promise<void>
}

/** Makes a Kubo repo under the system's temp folder. */
export async function initKubo(options: { profile?: KuboUnixfsProfile } = {}): Promise<KuboRepo> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'p2pcdn-kubo-'))
  const env = { ...process.env, IPFS_PATH: dir, IPFS_TELEMETRY: 'off', LIBP2P_TCP_REUSEPORT: 'false' }
  const ipfs: KuboRepo['ipfs'] = async (args, opts = {}) => {
    if (opts.input === undefined) {
      const { stdout } = await run(kubo.path, args, { env, maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024 })
      return stdout
    }
    return await new Promise((resolve, reject) => {
      const child = execFile(
        kubo.path,
        args,
        { env, maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024 },
        (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr })) : resolve(stdout)),
      )
      child.stdin?.end(opts.input)
    })
  }
  const profiles = ['test', ...(options.profile ? [options.profile] : [])].join(',')
  await ipfs(['init', `--profile=${profiles}`, '--empty-repo'])
  const ipfsBytes: KuboRepo['ipfsBytes'] = async (args, opts = {}) => {
    const { stdout } = await run(kubo.path, args, {
      env,
      encoding: 'buffer',
      maxBuffer: opts.maxBuffer ?? 512 * 1024 * 1024,
    })
    return stdout
  }
  const repo: KuboRepo = {
    path: dir,
    env,
    ipfs,
    ipfsBytes,
    config: async (key, value) => {
      await ipfs(['config', '--json', key, JSON.stringify(value)])
    },
    remove: () => fs.rm(dir, { recursive: true, force: true }),
  }
  await repo.config('Plugins.Plugins.telemetry.Config', { Mode: 'off' })
  return repo
}

/** Reads the daemon's stdout until it is ready; resolves the RPC and gateway addresses it printed. */
function waitReady(child: ChildProcess): Promise<{ api: string; gateway: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const toUrl = (ma: string) => {
      const m = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(ma)
      return m ? `http://${m[1]}:${m[2]}` : ''
    }
    const timer = setTimeout(() => fail(new Error(`Kubo did not start in 60 s:\n${out}\n${err}`)), 60_000)
    const fail = (error: Error) => {
      clearTimeout(timer)
      reject(error)
    }
    child.stderr?.on('data', (d) => {
      err += d
    })
    child.stdout?.on('data', (d) => {
      out += d
      if (!out.includes('Daemon is ready')) return
      clearTimeout(timer)
      const api = /RPC API server listening on (\S+)/.exec(out)?.[1] ?? ''
      const gateway = /Gateway server listening on (\S+)/.exec(out)?.[1] ?? ''
      resolve({ api: toUrl(api), gateway: toUrl(gateway), stdout: out })
    })
    child.once('exit', (code) =>
      fail(new Error(`Kubo exited (${code}) before it was ready:\n${out}\n${err}`)),
    )
  })
}

/** Kubo's `Authorization` header for an `AuthSecret` (`config.ConvertAuthSecret` in config/api.go). */
export function kuboAuthHeader(secret: string): string {
  const colon = secret.indexOf(':')
  if (colon < 0) return `Bearer ${secret}`
  const type = secret.slice(0, colon)
  const value = secret.slice(colon + 1)
  if (type === 'basic') return `Basic ${value.includes(':') ? Buffer.from(value).toString('base64') : value}`
  if (type === 'bearer') return `Bearer ${value}`
  throw new Error(`Kubo does not know the AuthSecret type of ${JSON.stringify(type)}`)
}

/**
 * The peer ID and swarm addresses without the RPC API (which `API.Authorizations` closes to
 * `ipfs id`): the ID from the repo's config, the TCP ports from the daemon's "Swarm listening on
 * 127.0.0.1:<port> (TCP)" lines (the `test` profile listens on 127.0.0.1 TCP only).
 */
async function identityFromRepo(
  repo: KuboRepo,
  stdout: string,
): Promise<{ ID: string; Addresses: string[] }> {
  const config = JSON.parse(await fs.readFile(path.join(repo.path, 'config'), 'utf8')) as {
    Identity: { PeerID: string }
  }
  const ID = config.Identity.PeerID
  const Addresses = [...stdout.matchAll(/^Swarm listening on ([\d.]+):(\d+) \(([A-Z+]+)\)$/gm)]
    .filter((m) => (m[3] ?? '').split('+').includes('TCP'))
    .map((m) => `/ip4/${m[1]}/tcp/${m[2]}/p2p/${ID}`)
  return { ID, Addresses }
}

/**
 * Starts `ipfs daemon` on a repo (a new one with `profile` unless given). `configure` runs before
 * the start; `authorizations` sets `API.Authorizations` (the RPC API then answers 403 to a request
 * without one of their secrets, `ipfs id` included, so the peer ID and addresses are read from the
 * repo's config and the daemon's output instead).
 */
export async function startKubo(
  options: {
    repo?: KuboRepo
    profile?: KuboUnixfsProfile
    configure?: (repo: KuboRepo) => Promise<void>
    authorizations?: Record<string, KuboAuthScope>
    args?: string[]
  } = {},
): Promise<KuboDaemon> {
  const repo = options.repo ?? (await initKubo(options.profile ? { profile: options.profile } : {}))
  await options.configure?.(repo)
  if (options.authorizations) await repo.config('API.Authorizations', options.authorizations)
  const child = spawn(kubo.path, ['daemon', ...(options.args ?? [])], {
    env: repo.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const { api, gateway, stdout } = await waitReady(child)
  const id = options.authorizations
    ? await identityFromRepo(repo, stdout)
    : (JSON.parse(await repo.ipfs(['id', '--api', `/ip4/127.0.0.1/tcp/${new URL(api).port}`])) as {
        ID: string
        Addresses: string[] | null
      })
  const apiAuth = Object.values(options.authorizations ?? {}).find((scope) =>
    scope.AllowedPaths.includes('/api/v0'),
  )?.AuthSecret
  const rpc: KuboDaemon['rpc'] = (command, params = []) =>
    fetch(`${api}/api/v0/${command}?${new URLSearchParams(params)}`, {
      method: 'POST',
      headers: apiAuth ? { Authorization: kuboAuthHeader(apiAuth) } : {},
    })
  const stop = () => stopProcess(child)
  return {
    repo,
    api,
    ...(apiAuth ? { apiAuth } : {}),
    rpc,
    gateway,
    peerId: id.ID,
    multiaddrs: (id.Addresses ?? []).filter((a) => a.startsWith('/ip4/127.0.0.1/')),
    process: child,
    stop,
  }
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the daemon has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
