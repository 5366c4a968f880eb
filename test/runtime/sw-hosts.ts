/**
 * The "hosts" of the service worker tests: node:http servers on 127.0.0.1
 * running the host node's real trustless gateway (`createGateway`, with its
 * CORS headers) over one MemoryBlockstore. A host can be up, tampering
 * (every raw block answered with one byte flipped), hanging (accepting and
 * never answering), or down (its port closed, so connecting is refused).
 * Each logs the CIDs asked of it, and can be told to miss some blocks (404).
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { MemoryBlockstore } from 'blockstore-core/memory'
import { CID } from 'multiformats/cid'
import { createGateway } from '../../src/host/http/gateway.js'

export type HostMode = 'up' | 'tampering' | 'hanging' | 'down'

export interface TestHost {
  url: string
  mode: HostMode
  /** CIDs of the `GET /ipfs/<cid>` requests received, in order. */
  gets: string[]
  /** CIDs answered with 404, as a host without them would. */
  missing: Set<string>
  setMode(mode: HostMode): Promise<void>
  close(): Promise<void>
}

/** Every chunk of a block from the store, joined. */
export async function readBlock(store: MemoryBlockstore, cid: CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of store.get(cid)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

export async function startHost(blockstore: MemoryBlockstore): Promise<TestHost> {
  const gateway = createGateway({ blockstore, isServable: async () => true })
  const sockets = new Set<Socket>()
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const cidText = /^\/ipfs\/([^/]+)/.exec(url.pathname)?.[1]
    if (req.method === 'GET' && cidText) host.gets.push(cidText)
    if (host.mode === 'hanging') return
    if (cidText && host.missing.has(cidText)) {
      res.writeHead(404, { 'Access-Control-Allow-Origin': '*' }).end()
      return
    }
    if (host.mode === 'tampering' && req.method === 'GET' && cidText) {
      const bytes = Buffer.from(await readBlock(blockstore, CID.parse(cidText)))
      bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0xff
      res.writeHead(200, {
        'Access-Control-Allow-Origin': '*',
        'Content-Type': 'application/vnd.ipld.raw',
        'Content-Length': bytes.length,
      })
      res.end(bytes)
      return
    }
    void gateway(req, res)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve((server.address() as AddressInfo).port)
      })
    })
  const shut = async () => {
    if (!server.listening) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }
  const port = await listen(0)
  const host: TestHost = {
    url: `http://127.0.0.1:${port}`,
    mode: 'up',
    gets: [],
    missing: new Set(),
    async setMode(mode) {
      if (mode === 'down') await shut()
      else if (!server.listening) await listen(port)
      for (const socket of sockets) socket.destroy()
      host.mode = mode
    },
    close: shut,
  }
  return host
}
