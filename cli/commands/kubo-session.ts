import { type KuboFollow, P2pcdnError, startKuboFollow, startKuboSession } from '../../src/index.js'
import { invalidFlag as invalid, flagSeconds as seconds } from '../flags.js'

export interface KuboSessionFlags {
  api: string
  tokenEnv?: string
  session?: string
  sessionPeriod?: string
  json?: boolean
  /** IPNS names the Kubo node follows (pins each new version, holds the record). */
  follow?: string[]
  followFrom?: string[]
  followInterval?: string
  followGrace?: string
}

/** `--follow`: the Kubo node follows the names; each new root served and each problem is reported. */
async function followOnKubo(
  flags: KuboSessionFlags,
  token: string | undefined,
  json: (value: unknown) => void,
): Promise<KuboFollow | undefined> {
  if (!flags.follow || flags.follow.length === 0) return undefined
  const intervalMs = seconds('follow-interval', flags.followInterval, false)
  const graceMs = seconds('follow-grace', flags.followGrace, true)
  const follow = await startKuboFollow({
    api: flags.api,
    names: flags.follow,
    ...(token !== undefined ? { token } : {}),
    ...(flags.followFrom ? { from: flags.followFrom } : {}),
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(graceMs !== undefined ? { graceMs } : {}),
  })
  follow.events.addEventListener('update', ({ detail }) => {
    if (flags.json) json({ event: 'follow', ...detail })
    else process.stderr.write(`${detail.name}: serving ${detail.root} (sequence ${detail.sequence})\n`)
  })
  let last = ''
  follow.events.addEventListener('error', ({ detail }) => {
    if (detail.message === last) return
    last = detail.message
    process.stderr.write(`p2pcdn host kubo-session: ${detail.message}\n`)
  })
  return follow
}

function readToken(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
    throw invalid('token-env', variable, 'must name an environment variable, e.g. KUBO_TOKEN')
  }
  const token = process.env[variable]
  if (!token) {
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `The environment variable ${variable} (--token-env) is not set: set it to one of the Kubo node's API.Authorizations secrets, e.g. bearer:<token>.`,
    )
  }
  return token
}

/**
 * `p2pcdn host kubo-session`: runs the paper's session discovery on a Kubo node through its RPC API
 * until Ctrl-C or SIGTERM. Members as they connect and leave go to stderr (to stdout as JSON lines
 * with `--json`), errors of a round to stderr, each new message once.
 */
export async function runKuboSession(flags: KuboSessionFlags): Promise<void> {
  const token = readToken(flags.tokenEnv)
  let periodMs: number | undefined
  if (flags.sessionPeriod !== undefined) {
    periodMs = Number(flags.sessionPeriod)
    if (!Number.isFinite(periodMs) || periodMs <= 0) {
      throw invalid('session-period', flags.sessionPeriod, 'must be a positive number of milliseconds')
    }
  }
  if (flags.session === '') throw invalid('session', flags.session, 'must be a non-empty name')
  const stopped = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`p2pcdn host kubo-session: ${signal}, stopping…\n`)
    stopped.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    // Ctrl-C while Kubo is still being asked for its ID: stop quietly.
    const session = await startKuboSession({
      api: flags.api,
      signal: stopped.signal,
      ...(token !== undefined ? { token } : {}),
      ...(flags.session !== undefined ? { name: flags.session } : {}),
      ...(periodMs !== undefined ? { periodMs } : {}),
    })
    const json = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`)
    const info = {
      event: 'start',
      peerId: session.peerId,
      api: session.api,
      session: flags.session ?? null,
      periodMs: periodMs ?? 60_000,
    }
    process.stderr.write(
      [
        `p2pcdn host kubo-session: Kubo node ${info.peerId} at ${info.api}`,
        `  session  ${info.session ?? 'the paper’s (no name)'}, every ${info.periodMs} ms`,
        'Ctrl-C stops it.',
        '',
      ].join('\n'),
    )
    if (flags.json) json(info)
    const follow = await followOnKubo(flags, token, json)
    session.events.addEventListener('connect', ({ detail }) => {
      if (flags.json) json({ event: 'member', peerId: detail.peerId, multiaddrs: detail.multiaddrs })
      else process.stderr.write(`member ${detail.peerId} connected\n`)
    })
    session.events.addEventListener('leave', ({ detail }) => {
      if (flags.json) json({ event: 'left', peerId: detail })
      else process.stderr.write(`member ${detail} left\n`)
    })
    let last = ''
    session.events.addEventListener('error', ({ detail }) => {
      if (detail.message === last) return
      last = detail.message
      process.stderr.write(`p2pcdn host kubo-session: ${detail.message}\n`)
    })
    if (!stopped.signal.aborted) {
      await new Promise((resolve) => stopped.signal.addEventListener('abort', resolve, { once: true }))
    }
    await follow?.stop()
    await session.stop()
  } catch (error) {
    if (!stopped.signal.aborted) throw error
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
