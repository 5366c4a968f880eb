/**
 * Small HTTP servers and timed clients that run inside emulated nodes (`node -e`, so they need no
 * files), for the network emulation tests.
 */
import type { ChildProcess } from 'node:child_process'
import type { NetworkNode } from '../../src/netem/index.js'

/**
 * `GET /bytes/<n>`: n bytes (zeros), streamed in 64 KB writes. `GET /hello`: `hello from <name>`.
 * Prints `listening` once bound.
 */
const SERVER = `
const http = require('node:http')
const [host, port, name] = process.argv.slice(1)
const chunk = Buffer.alloc(65536)
http.createServer((req, res) => {
  const bytes = /^\\/bytes\\/(\\d+)$/.exec(req.url)
  if (bytes) {
    let left = Number(bytes[1])
    res.writeHead(200, { 'content-length': left })
    const pump = () => {
      while (left > 0) {
        const piece = chunk.subarray(0, Math.min(left, chunk.length))
        left -= piece.length
        if (!res.write(piece)) return res.once('drain', pump)
      }
      res.end()
    }
    return pump()
  }
  res.end('hello from ' + name)
}).listen(Number(port), host, () => process.stdout.write('listening\\n'))
`

/**
 * Fetches each URL given (all at once), each on its own connection, and prints one JSON line:
 * per URL the status, body (if short), bytes, and times in ms from the start: connected, first
 * byte, half the bytes in, done. With `rtt`, after the first request it times `rounds` more
 * requests on the same kept-alive connection (each one round trip plus the server's time).
 */
const CLIENT = `
const http = require('node:http')
const [mode, roundsText, ...urls] = process.argv.slice(1)
const get = (agent, url) => new Promise((resolve, reject) => {
  const start = performance.now()
  let connected, firstByte, half, bytes = 0, body = ''
  const req = http.get(url, { agent }, (res) => {
    const total = Number(res.headers['content-length'])
    res.on('data', (data) => {
      if (firstByte === undefined) firstByte = performance.now() - start
      bytes += data.length
      if (half === undefined && bytes >= total / 2) half = performance.now() - start
      if (body.length < 200) body += data.toString('latin1').slice(0, 200)
    })
    res.on('end', () => resolve({ status: res.statusCode, body: bytes <= 200 ? body : undefined, bytes, connected, firstByte, half, done: performance.now() - start }))
  })
  req.on('socket', (socket) => {
    if (!socket.connecting) connected = 0
    else socket.once('connect', () => { connected = performance.now() - start })
  })
  req.on('error', reject)
})
const main = async () => {
  if (mode === 'rtt') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const first = await get(agent, urls[0])
    const rounds = []
    for (let i = 0; i < Number(roundsText); i++) rounds.push((await get(agent, urls[0])).done)
    agent.destroy()
    return { first, rounds }
  }
  return Promise.all(urls.map((url) => get(new http.Agent({ keepAlive: false }), url)))
}
main().then((result) => process.stdout.write(JSON.stringify(result) + '\\n'), (error) => {
  process.stderr.write(String(error && error.stack || error) + '\\n')
  process.exit(1)
})
`

export interface Fetched {
  status: number
  body?: string
  bytes: number
  /** ms from the request's start: TCP connected, first body byte, half the body, all of it. */
  connected: number
  firstByte: number
  half: number
  done: number
}

/** Starts the HTTP server inside a node and waits until it listens. */
export async function startServer(node: NetworkNode, port: number, host = '0.0.0.0'): Promise<ChildProcess> {
  const child = node.spawn(process.execPath, ['-e', SERVER, host, String(port), node.name], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (data) => {
    stderr += data
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`server in ${node.name} exited (${code}): ${stderr}`)))
  })
  return child
}

const runClient = async (node: NetworkNode, args: string[]) => {
  const result = await node.exec(process.execPath, ['-e', CLIENT, ...args], { timeoutMs: 30_000 })
  if (result.code !== 0) throw new Error(`client in ${node.name} failed (${result.code}): ${result.stderr}`)
  return JSON.parse(result.stdout)
}

/** Fetches the URLs in parallel from inside a node. */
export function fetchFrom(node: NetworkNode, urls: string[]): Promise<Fetched[]> {
  return runClient(node, ['get', '0', ...urls])
}

/** One request, then `rounds` more on the same connection: their times are round trips. */
export function roundTrips(
  node: NetworkNode,
  url: string,
  rounds: number,
): Promise<{ first: Fetched; rounds: number[] }> {
  return runClient(node, ['rtt', String(rounds), url])
}

/** Bits per second over the second half of a transfer (after TCP's slow start). */
export const secondHalfRate = (fetched: Fetched) =>
  ((fetched.bytes / 2) * 8) / ((fetched.done - fetched.half) / 1000)

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** TCP counters of a node (`/proc/net/snmp` inside its namespace). */
export async function tcpCounters(node: NetworkNode): Promise<Record<string, number>> {
  const { stdout } = await node.exec('cat', ['/proc/net/snmp'])
  const [names, values] = stdout.split('\n').filter((line) => line.startsWith('Tcp:'))
  const keys = names?.split(/\s+/).slice(1) ?? []
  const numbers = values?.split(/\s+/).slice(1).map(Number) ?? []
  return Object.fromEntries(keys.map((key, i) => [key, numbers[i] as number]))
}
