/**
 * The bench tests' world on 127.0.0.1: a small site (a 22 KB image like the paper's `iphone`, a
 * 3 MB multi-block `ipad` video) published with `publish`, its CAR uploaded to real hosts, and a
 * plain HTTP origin serving the site folder.
 */
import '../../src/utils/promise-with-resolvers.js'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { CAR_UPLOAD_PATH, type RunningHost } from '../../src/host/index.js'
import { type Manifest, publish } from '../../src/index.js'
import { startTestHost } from '../helpers/host.js'

export const IPHONE_BYTES = randomBytes(22 * 1024 + 345)
export const IPAD_BYTES = randomBytes(3 * 1024 * 1024 + 4321)

/** Writes the site and publishes it; resolves to the output folder's manifest and CAR. */
export async function publishSite(dir: string) {
  const site = path.join(dir, 'site')
  await fs.mkdir(path.join(site, 'img'), { recursive: true })
  await fs.mkdir(path.join(site, 'video'), { recursive: true })
  await fs.writeFile(path.join(site, 'img/iphone.jpg'), IPHONE_BYTES)
  await fs.writeFile(path.join(site, 'video/ipad.mp4'), IPAD_BYTES)
  await fs.writeFile(
    path.join(site, 'index.html'),
    '<!doctype html><img src="img/iphone.jpg"><video src="video/ipad.mp4"></video>',
  )
  const out = path.join(dir, 'site-p2p')
  const result = await publish({ dir: site, out, cacheDir: false, car: true })
  const manifestFile = result.manifest as string
  const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as Manifest
  return { site, out, manifestFile, manifest, car: await fs.readFile(result.car as string) }
}

/** Starts a host on loopback and uploads the site's CAR to it (pinned). */
export async function startLoadedHost(repo: string, car: Uint8Array): Promise<RunningHost> {
  const { host, auth } = await startTestHost(repo)
  const res = await fetch(`${host.url}${CAR_UPLOAD_PATH}?name=bench-site`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/vnd.ipld.car' },
    body: new Uint8Array(car),
  })
  if (res.status !== 201) throw new Error(`CAR upload: HTTP ${res.status} ${await res.text()}`)
  return host
}

/** The host's TCP multiaddr with its peer ID (what the bitswap source dials). */
export function tcpAddr(host: RunningHost): string {
  const addr = host.multiaddrs().find((ma) => ma.includes('/tcp/') && !ma.includes('/ws'))
  if (!addr) throw new Error('the host has no TCP address')
  return addr.includes('/p2p/') ? addr : `${addr}/p2p/${host.peerId}`
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

/** A static origin for a folder; `alter` changes one byte of every file it serves. Counts requests and sockets. */
export async function startOrigin(root: string, options: { alter?: boolean } = {}) {
  const state = { requests: 0, connections: 0 }
  const server = createServer(async (req, res) => {
    state.requests++
    try {
      const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
      const body = await fs.readFile(file)
      if (options.alter) body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0x01
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length })
      res.end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  server.on('connection', () => state.connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () => close(server),
  }
}
