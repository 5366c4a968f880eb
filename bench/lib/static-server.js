#!/usr/bin/env node
/**
 * The plain-HTTP reference of the host bench, in its own process:
 *
 *   node bench/lib/static-server.js --dir <folder> [--listen 127.0.0.1:0] [--tls-cert <pem> --tls-key <pem>]
 *
 * Serves the files of one folder (no subfolders) from disk with
 * `fs.createReadStream`, a `Content-Length` and a content type by extension, the way a static web
 * server does without sendfile. Prints one JSON line `{ "url": "http://…" }` on
 * stdout once listening; SIGTERM stops it. With a certificate it serves HTTPS (the paper's origin
 * was https, and its TLS handshake is part of every origin sample).
 */
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import path from 'node:path'
import { parseArgs } from 'node:util'
import mime from 'mime-types'

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1:0' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
})
if (!values.dir) {
  process.stderr.write('usage: static-server.js --dir <folder> [--listen 127.0.0.1:0]\n')
  process.exit(2)
}
const dir = path.resolve(values.dir)
const [host, port] = values.listen.split(':')

const tls = values['tls-cert'] && values['tls-key']
const handler = (req, res) => {
  const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1))
  if (name === '' || name.includes('/') || name.startsWith('.')) {
    res.writeHead(404).end()
    return
  }
  const file = path.join(dir, name)
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) {
      res.writeHead(404).end()
      return
    }
    // CORS, as the hosts' gateways send it: the visitor bench fetches from a page on another origin.
    res.writeHead(200, {
      // Pages and scripts by their type (the swarm bench loads a page and its service worker from it).
      'Content-Type': mime.contentType(path.extname(name)) || 'application/octet-stream',
      'Content-Length': stat.size,
      'Access-Control-Allow-Origin': '*',
    })
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    fs.createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res)
  })
}
const server = tls
  ? https.createServer(
      { cert: fs.readFileSync(values['tls-cert']), key: fs.readFileSync(values['tls-key']) },
      handler,
    )
  : http.createServer(handler)
server.listen(Number(port), host, () => {
  const { address, port: bound } = server.address()
  process.stdout.write(`${JSON.stringify({ url: `${tls ? 'https' : 'http'}://${address}:${bound}` })}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
