/**
 * The real IPFS programs the interop tests talk to: Kubo (`ipfs`) and IPFS Cluster
 * (`ipfs-cluster-service`, `ipfs-cluster-ctl`, `ipfs-cluster-follow`), built by
 * `scripts/install-ipfs-peers.sh`. Each is found by its environment variable, else in the script's
 * cache folder, else on PATH. Without it the tests skip, saying why in their titles; under CI
 * (`CI=true`), where `.ci/run` installs them, they run anyway and fail on the missing program, so
 * CI can never pass by skipping interop.
 */
import { accessSync, constants } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export type PeerProgram = 'ipfs' | 'ipfs-cluster-service' | 'ipfs-cluster-ctl' | 'ipfs-cluster-follow'

const ENV: Record<PeerProgram, string> = {
  ipfs: 'P2PCDN_KUBO_BIN',
  'ipfs-cluster-service': 'P2PCDN_CLUSTER_SERVICE_BIN',
  'ipfs-cluster-ctl': 'P2PCDN_CLUSTER_CTL_BIN',
  'ipfs-cluster-follow': 'P2PCDN_CLUSTER_FOLLOW_BIN',
}

export interface PeerCheck {
  /** The binary, when found. */
  path: string
  ok: boolean
  /** Why not, and how to get it; `''` when `ok`. */
  reason: string
  /** Skip: the program is missing and this is not CI. */
  skip: boolean
  /** A suite or test title, with the reason appended when the program is missing. */
  title(name: string): string
}

/** The install script's cache folder (`P2PCDN_PEERS_DIR`, default `~/.cache/p2pcdn-peers`). */
export function peersDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.P2PCDN_PEERS_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'p2pcdn-peers')
  )
}

const executable = (file: string) => {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Looks for one program: its variable, the cache folder, PATH. */
export function checkPeer(program: PeerProgram, env: NodeJS.ProcessEnv = process.env): PeerCheck {
  const fromEnv = env[ENV[program]]
  const candidates = fromEnv
    ? [fromEnv]
    : [
        path.join(peersDir(env), 'bin', program),
        ...(env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, program)),
      ]
  const found = candidates.find(executable)
  const ci = env.CI === 'true' || env.CI === '1'
  const reason = found
    ? ''
    : `no ${program}${fromEnv ? ` at ${fromEnv} (${ENV[program]})` : ` in ${path.join(peersDir(env), 'bin')} or on PATH`}: run scripts/install-ipfs-peers.sh (needs Go), or set ${ENV[program]}`
  const note = ci ? `failing: ${program} is required under CI, ${reason}` : `skipped: ${reason}`
  return {
    path: found ?? fromEnv ?? program,
    ok: found !== undefined,
    reason,
    skip: found === undefined && !ci,
    title: (name) => (found ? name : `${name} (${note})`),
  }
}

export const kubo = checkPeer('ipfs')
export const clusterService = checkPeer('ipfs-cluster-service')
export const clusterCtl = checkPeer('ipfs-cluster-ctl')
export const clusterFollow = checkPeer('ipfs-cluster-follow')
