import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { CarReader } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { UnixFS } from 'ipfs-unixfs'
import { exporter, walkPath } from 'ipfs-unixfs-exporter'
import { type ImportCandidate, type ImporterOptions, importer } from 'ipfs-unixfs-importer'
import { base16 } from 'multiformats/bases/base16'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway } from '../../src/host/http/gateway.js'

const MiB = 1024 * 1024
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82])

const store = new MemoryBlockstore()
/** Every block of a pinned DAG (multihash-keyed, like a pin set covers blocks). */
const pinned = new Set<string>()
/** CIDs read from the store, in order. */
let reads: string[] = []
const responses: Array<{ status: number; bytes: number; format: string }> = []
let base = ''
let server: http.Server

const key = (cid: CID) => Buffer.from(cid.multihash.bytes).toString('hex')

async function importPinned(entries: ImportCandidate[], options: ImporterOptions = {}, pin = true) {
  const recording = {
    put: async (cid: CID, bytes: Uint8Array) => {
      if (pin) pinned.add(key(cid))
      return store.put(cid, bytes)
    },
  }
  const results = []
  for await (const result of importer(entries, recording, { profile: 'unixfs-v1-2025', ...options })) {
    results.push(result)
  }
  return results
}

async function importFile(content: Uint8Array, options: ImporterOptions = {}, pin = true): Promise<CID> {
  const [result] = await importPinned([{ content }], options, pin)
  if (result === undefined) throw new Error('nothing imported')
  return result.cid
}

async function blockOf(cid: CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of store.get(cid)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

const get = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init })
const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer())

/** Parses a CAR response, re-hashing every block against its CID. */
async function readCar(res: Response) {
  const reader = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()))
  const carStore = new MemoryBlockstore()
  const cids: CID[] = []
  for await (const { cid, bytes } of reader.blocks()) {
    const digest = await sha256.digest(bytes)
    expect(Buffer.compare(digest.digest, cid.multihash.digest), `block ${cid} matches its CID`).toBe(0)
    await carStore.put(cid, bytes)
    cids.push(cid)
  }
  return { roots: await reader.getRoots(), store: carStore, cids: cids.map(String) }
}

async function cat(blockstore: MemoryBlockstore, path: string | CID, offset?: number, length?: number) {
  const entry = await exporter(path, blockstore)
  if (entry.type !== 'file' && entry.type !== 'raw') throw new Error(`${path} is a ${entry.type}`)
  const chunks: Uint8Array[] = []
  for await (const chunk of entry.content({ offset, length })) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** The file DAG's CIDs in DFS order, straight from the store. */
async function dagCids(root: CID): Promise<string[]> {
  const out: string[] = []
  const visit = async (cid: CID) => {
    out.push(cid.toString())
    if (cid.code !== dagPb.code) return
    for (const link of dagPb.decode(await blockOf(cid)).Links) await visit(link.Hash)
  }
  await visit(root)
  return out
}

let hello: CID
let helloV0: CID
let big: CID
const bigBytes = randomBytes(5 * MiB + 12345)
let zeros: CID
let huge: CID
let site: CID
let siteFiles: Record<string, Uint8Array>
let hamt: CID
let hamtName = ''
let hamtShardsOnPath = 0
let unpinned: CID
let broken: CID
let brokenLeaf: CID
let pinnedButAbsent: CID

beforeAll(async () => {
  hello = await importFile(Buffer.from('hello world\n'))
  helloV0 = await importFile(Buffer.from('hello v0\n'), { profile: 'unixfs-v0-2015' })
  big = await importFile(bigBytes)
  zeros = await importFile(new Uint8Array(3 * MiB))
  huge = await importFile(new Uint8Array(64 * MiB))
  unpinned = await importFile(Buffer.from('stored here but not pinned\n'), {}, false)

  siteFiles = {
    'site/index.html': Buffer.from('<!doctype html><title>home</title>'),
    'site/sub/page.txt': Buffer.from('a page\n'),
    'site/big.bin': bigBytes,
    'site/picture': PNG,
    'site/blob': Buffer.from([0, 1, 2, 3, 255, 254]),
    'site/docs/a.txt': Buffer.from('a\n'),
    'site/docs/<b>&.txt': Buffer.from('b\n'),
    'site/docs/résumé.txt': Buffer.from('c\n'),
  }
  const siteResults = await importPinned(
    Object.entries(siteFiles).map(([path, content]) => ({ path, content })),
  )
  site = siteResults.find((result) => result.path === 'site')?.cid as CID

  const hamtEntries = Array.from({ length: 600 }, (_, i) => ({
    path: `h/f${i}.txt`,
    content: Buffer.from(`file ${i}\n`),
  }))
  hamtEntries.push({ path: 'h/nested/deep.txt', content: Buffer.from('deep\n') })
  const hamtResults = await importPinned(hamtEntries, { shardSplitThresholdBytes: 1 })
  hamt = hamtResults.find((result) => result.path === 'h')?.cid as CID
  // A name that sits in a sub-shard, so the path crosses more than one HAMT block.
  for (let i = 0; i < 600 && hamtName === ''; i++) {
    const entries = []
    for await (const entry of walkPath(`${hamt}/f${i}.txt`, store, { yieldSubShards: true }))
      entries.push(entry)
    if (entries.length > 2) {
      hamtName = `f${i}.txt`
      hamtShardsOnPath = entries.length - 1
    }
  }

  broken = await importFile(randomBytes(3 * MiB))
  brokenLeaf = dagPb.decode(await blockOf(broken)).Links[1]?.Hash as CID
  await store.delete(brokenLeaf)

  pinnedButAbsent = CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
  pinned.add(key(pinnedButAbsent))

  const counting = {
    get: (cid: CID, options?: { signal?: AbortSignal }) => {
      reads.push(cid.toString())
      return store.get(cid, options)
    },
    has: (cid: CID) => store.has(cid),
  }
  const gateway = createGateway({
    blockstore: counting,
    isServable: async (cid) => pinned.has(key(cid)),
    onResponse: (info) => responses.push(info),
  })
  server = http.createServer((req, res) => void gateway(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

describe('raw blocks', () => {
  it('returns exactly the block, whose hash is the CID', async () => {
    const res = await get(`/ipfs/${hello}?format=raw`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/vnd.ipld.raw')
    expect(res.headers.get('etag')).toBe(`"${hello}.raw"`)
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${hello}.bin"`)
    expect(res.headers.get('cache-control')).toBe('public, max-age=29030400, immutable')
    const body = await bytesOf(res)
    expect(createHash('sha256').update(body).digest()).toEqual(Buffer.from(hello.multihash.digest))
    expect(body.toString()).toBe('hello world\n')
  })

  it('accepts CIDv0 and CIDv1 in other multibases', async () => {
    const v0 = await bytesOf(await get(`/ipfs/${helloV0}?format=raw`))
    expect(helloV0.version).toBe(0)
    expect(Buffer.from((await sha256.digest(v0)).digest)).toEqual(Buffer.from(helloV0.multihash.digest))
    for (const text of [hello.toString(base36), hello.toString(base58btc), hello.toString(base16)]) {
      const res = await get(`/ipfs/${text}?format=raw`)
      expect(res.status, text).toBe(200)
      expect((await bytesOf(res)).toString()).toBe('hello world\n')
    }
  })

  it('serves a range of a block', async () => {
    const res = await get(`/ipfs/${hello}?format=raw`, { headers: { Range: 'bytes=6-10' } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe('bytes 6-10/12')
    expect((await bytesOf(res)).toString()).toBe('world')
  })

  it('resolves a path first', async () => {
    const page = (await walkLast(`${site}/sub/page.txt`)).cid
    const res = await get(`/ipfs/${site}/sub/page.txt?format=raw`)
    expect(res.headers.get('etag')).toBe(`"${page}.raw"`)
    expect((await bytesOf(res)).toString()).toBe('a page\n')
  })

  it('answers the identity probe bafkqaaa with an empty body', async () => {
    const res = await get('/ipfs/bafkqaaa?format=raw')
    expect(res.status).toBe(200)
    expect((await bytesOf(res)).length).toBe(0)
    const car = await readCar(await get('/ipfs/bafkqaaa?format=car'))
    expect(car.roots.map(String)).toEqual(['bafkqaaa'])
    expect(car.cids).toEqual([])
  })
})

async function walkLast(path: string) {
  let last: { cid: CID } | undefined
  for await (const entry of walkPath(path, store)) last = entry
  return last as { cid: CID }
}

describe('CAR responses', () => {
  it('streams a multi-block file in DFS order that reassembles to the input', async () => {
    const res = await get(`/ipfs/${big}?format=car`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1; order=dfs; dups=n')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${big}.car"`)
    expect(res.headers.get('etag')).toMatch(new RegExp(`^"${big}\\.car\\.[0-9a-f]+"$`))
    const car = await readCar(res)
    expect(car.roots.map(String)).toEqual([big.toString()])
    expect(car.cids).toEqual(await dagCids(big))
    expect(car.cids.length).toBeGreaterThan(5)
    expect(Buffer.compare(await cat(car.store, big), bigBytes)).toBe(0)
  })

  it('includes the blocks that verify a directory path', async () => {
    const res = await get(`/ipfs/${site}/sub/page.txt`, { headers: { Accept: 'application/vnd.ipld.car' } })
    expect(res.headers.get('content-location')).toBe(`/ipfs/${site}/sub/page.txt?format=car`)
    const car = await readCar(res)
    expect(car.roots.map(String)).toEqual([site.toString()])
    expect(car.cids[0]).toBe(site.toString())
    expect(car.cids).toHaveLength(3)
    expect((await cat(car.store, `${site}/sub/page.txt`)).toString()).toBe('a page\n')
  })

  it('dag-scope=block sends the path and the terminal block only', async () => {
    const car = await readCar(await get(`/ipfs/${site}/big.bin?format=car&dag-scope=block`))
    expect(car.cids).toEqual([site.toString(), (await walkLast(`${site}/big.bin`)).cid.toString()])
    await expect(cat(car.store, `${site}/big.bin`)).rejects.toThrow()
  })

  it('dag-scope=entity sends a whole file but only the block of a directory', async () => {
    const file = await readCar(await get(`/ipfs/${site}/big.bin?format=car&dag-scope=entity`))
    expect(Buffer.compare(await cat(file.store, `${site}/big.bin`), bigBytes)).toBe(0)
    const dir = await readCar(await get(`/ipfs/${site}/docs?format=car&dag-scope=entity`))
    const docs = (await walkLast(`${site}/docs`)).cid
    expect(dir.cids).toEqual([site.toString(), docs.toString()])
    const all = await readCar(await get(`/ipfs/${site}?format=car`))
    expect(all.cids.length).toBeGreaterThan(10)
    expect((await cat(all.store, `${site}/docs/a.txt`)).toString()).toBe('a\n')
  })

  it('entity-bytes sends only the blocks of the range', async () => {
    const from = MiB - 500
    const to = MiB + 499
    const car = await readCar(await get(`/ipfs/${big}?format=car&entity-bytes=${from}:${to}`))
    const leaves = dagPb.decode(await blockOf(big)).Links.map((link) => link.Hash.toString())
    expect(car.cids).toEqual([big.toString(), leaves[0], leaves[1]])
    expect(
      Buffer.compare(await cat(car.store, big, from, to - from + 1), bigBytes.subarray(from, to + 1)),
    ).toBe(0)
    const tail = await readCar(await get(`/ipfs/${big}?format=car&entity-bytes=-100:*`))
    expect(tail.cids).toEqual([big.toString(), leaves.at(-1)])
    const outside = await readCar(await get(`/ipfs/${big}?format=car&entity-bytes=${100 * MiB}:*`))
    expect(outside.cids).toEqual([big.toString()])
    expect((await get(`/ipfs/${big}?format=car&entity-bytes=9:3`)).status).toBe(400)
    expect((await get(`/ipfs/${big}?format=car&entity-bytes=nope`)).status).toBe(400)
    expect((await get(`/ipfs/${big}?format=car&dag-scope=sideways`)).status).toBe(400)
  })

  it('sends duplicate blocks only with dups=y', async () => {
    const once = await readCar(await get(`/ipfs/${zeros}?format=car`))
    expect(once.cids).toHaveLength(2)
    const res = await get(`/ipfs/${zeros}`, {
      headers: { Accept: 'application/vnd.ipld.car; version=1; order=dfs; dups=y' },
    })
    expect(res.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1; order=dfs; dups=y')
    const every = await readCar(res)
    expect(every.cids).toHaveLength(4)
    expect(new Set(every.cids.slice(1)).size).toBe(1)
    expect((await cat(every.store, zeros)).equals(Buffer.alloc(3 * MiB))).toBe(true)
  })

  it('cuts the stream when a block of a pinned DAG is missing, and keeps serving', async () => {
    const res = await get(`/ipfs/${broken}?format=car`)
    expect(res.status).toBe(200)
    await expect(res.arrayBuffer()).rejects.toThrow()
    const deserialised = await get(`/ipfs/${broken}`, { headers: { Range: `bytes=${MiB}-${MiB + 10}` } })
    expect(deserialised.status).toBe(404)
    expect(await deserialised.text()).toContain(brokenLeaf.toString())
    expect((await get(`/ipfs/${hello}`)).status).toBe(200)
  })
})

describe('deserialised responses', () => {
  it('serves files with a content type from the name, or sniffed', async () => {
    const cases: Array<[string, string]> = [
      ['site/index.html', 'text/html; charset=utf-8'],
      ['site/sub/page.txt', 'text/plain; charset=utf-8'],
      ['site/big.bin', 'application/octet-stream'],
      ['site/picture', 'image/png'],
      ['site/blob', 'application/octet-stream'],
    ]
    for (const [path, type] of cases) {
      const res = await get(`/ipfs/${site}/${path.slice('site/'.length)}`)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type'), path).toBe(type)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(Number(res.headers.get('content-length'))).toBe(siteFiles[path]?.length)
      expect(Buffer.compare(await bytesOf(res), siteFiles[path] as Uint8Array), path).toBe(0)
    }
    const sniffed = await get(`/ipfs/${hello}`)
    expect(sniffed.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(sniffed.headers.get('etag')).toBe(`"${hello}"`)
  })

  it('takes the type and name from ?filename=', async () => {
    const res = await get(`/ipfs/${hello}?filename=${encodeURIComponent('données.json')}`)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('content-disposition')).toBe(
      `inline; filename="donn_es.json"; filename*=UTF-8''donn%C3%A9es.json`,
    )
    const download = await get(`/ipfs/${site}/sub/page.txt?download=true`)
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="page.txt"')
  })

  it('sets X-Ipfs-Path and one X-Ipfs-Roots entry per segment', async () => {
    const res = await get(`/ipfs/${site}/sub/page.txt`)
    const sub = (await walkLast(`${site}/sub`)).cid
    const page = (await walkLast(`${site}/sub/page.txt`)).cid
    expect(res.headers.get('x-ipfs-path')).toBe(`/ipfs/${site}/sub/page.txt`)
    expect(res.headers.get('x-ipfs-roots')).toBe(`${site},${sub},${page}`)
  })

  it('redirects a directory to its trailing slash, then serves index.html', async () => {
    const redirect = await get(`/ipfs/${site}?x=1`)
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toBe(`/ipfs/${site}/?x=1`)
    const res = await get(`/ipfs/${site}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await res.text()).toBe('<!doctype html><title>home</title>')
  })

  it('lists a directory without index.html, names escaped', async () => {
    expect((await get(`/ipfs/${site}/docs`)).headers.get('location')).toBe(`/ipfs/${site}/docs/`)
    const res = await get(`/ipfs/${site}/docs/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toMatch(/^"DirIndex-.+_CID-/)
    const html = await res.text()
    expect(html).toContain('&lt;b&gt;&amp;.txt')
    expect(html).not.toContain('<b>&')
    expect(html).toContain(`href="/ipfs/${site}/docs/%3Cb%3E%26.txt"`)
    expect(html).toContain('résumé.txt')
    expect(html).toContain(`href="/ipfs/${site}/docs/.."`)
  })

  // As the IPFS gateway-conformance suite checks them (docs/gateway-conformance.md).
  it('lists with breadcrumbs, CID links with ?filename=, and a week-long Cache-Control', async () => {
    const res = await get(`/ipfs/${site}/docs/`)
    expect(res.headers.get('cache-control')).toBe('public, max-age=604800, stale-while-revalidate=2678400')
    const html = await res.text()
    expect(html).toContain(
      `Index of /ipfs/<a href="/ipfs/${site}">${site}</a>/<a href="/ipfs/${site}/docs">docs</a>`,
    )
    expect(html).toContain(`href="/ipfs/${site}/docs/r%C3%A9sum%C3%A9.txt">résumé.txt</a>`)
    expect(html).toMatch(
      /<a class="ipfs-hash" translate="no" href="\/ipfs\/\w+\?filename=r%25C3%25A9sum%25C3%25A9\.txt">/,
    )
    const root = await (await get(`/ipfs/${site}/`)).text()
    expect(root).not.toContain('>..</a>')
  })

  it('gives a directory served as its index.html the directory’s ETag', async () => {
    const res = await get(`/ipfs/${site}/`)
    expect(res.headers.get('etag')).toBe(`"${site}"`)
    const again = await get(`/ipfs/${site}/`, { headers: { 'If-None-Match': `"${site}"` } })
    expect(again.status).toBe(304)
  })

  it('serves a UnixFS symlink’s target as its body', async () => {
    const target = new UnixFS({ type: 'symlink', data: Buffer.from('foo') }).marshal()
    const linkBytes = dagPb.encode(dagPb.prepare({ Data: target, Links: [] }))
    const linkCid = CID.create(1, dagPb.code, await sha256.digest(linkBytes))
    const dirBytes = dagPb.encode(
      dagPb.prepare({
        Data: new UnixFS({ type: 'directory' }).marshal(),
        Links: [{ Name: 'bar', Hash: linkCid, Tsize: linkBytes.length }],
      }),
    )
    const dirCid = CID.create(1, dagPb.code, await sha256.digest(dirBytes))
    for (const [cid, bytes] of [
      [linkCid, linkBytes],
      [dirCid, dirBytes],
    ] as const) {
      await store.put(cid, bytes)
      pinned.add(key(cid))
    }
    const res = await get(`/ipfs/${dirCid}/bar`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('inode/symlink')
    expect(await res.text()).toBe('foo')
  })

  it('walks HAMT-sharded directories', async () => {
    expect(hamtShardsOnPath).toBeGreaterThan(1)
    const root = UnixFS.unmarshal(dagPb.decode(await blockOf(hamt)).Data as Uint8Array)
    expect(root.type).toBe('hamt-sharded-directory')
    const res = await get(`/ipfs/${hamt}/${hamtName}`)
    expect(await res.text()).toBe(`file ${hamtName.slice(1, -4)}\n`)
    expect(res.headers.get('x-ipfs-roots')?.split(',')).toHaveLength(2)
    expect(await (await get(`/ipfs/${hamt}/nested/deep.txt`)).text()).toBe('deep\n')
    const car = await readCar(await get(`/ipfs/${hamt}/${hamtName}?format=car`))
    expect(car.cids).toHaveLength(hamtShardsOnPath + 1)
    expect((await cat(car.store, `${hamt}/${hamtName}`)).toString()).toBe(`file ${hamtName.slice(1, -4)}\n`)
    const listing = await (await get(`/ipfs/${hamt}/`)).text()
    expect(listing).toContain('>f0.txt<')
    expect(listing).toContain('>f599.txt<')
  })

  it('sends every shard of a HAMT directory for dag-scope=entity, and no entry', async () => {
    const car = await readCar(await get(`/ipfs/${hamt}?format=car&dag-scope=entity`))
    expect(car.cids.every((cid) => CID.parse(cid).code === dagPb.code)).toBe(true)
    const dir = await exporter(hamt, car.store)
    if (dir.type !== 'directory') throw new Error('not a directory')
    const names = []
    for await (const entry of dir.entries()) names.push(entry.name)
    expect(names).toHaveLength(601)
    await expect(cat(car.store, `${hamt}/${hamtName}`)).rejects.toThrow()
  })
})

describe('ranges', () => {
  it('serves a range across block boundaries, reading only its blocks', async () => {
    reads = []
    const [first, last] = [2 * MiB - 1000, 2 * MiB + 999]
    // Named, so no leaf is read to sniff its type.
    const res = await get(`/ipfs/${big}?filename=big.bin`, { headers: { Range: `bytes=${first}-${last}` } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes ${first}-${last}/${bigBytes.length}`)
    expect(res.headers.get('content-length')).toBe('2000')
    expect(res.headers.get('etag')).toBe(`"${big}.${first}-${last}"`)
    expect(Buffer.compare(await bytesOf(res), bigBytes.subarray(first, last + 1))).toBe(0)
    const leaves = dagPb.decode(await blockOf(big)).Links.map((link) => link.Hash.toString())
    // The file's root and the two leaves that hold the range, nothing else.
    expect(new Set(reads)).toEqual(new Set([big.toString(), leaves[1], leaves[2]]))
  })

  it('serves open and suffix ranges, and 416 past the end', async () => {
    const size = bigBytes.length
    const suffix = await get(`/ipfs/${big}`, { headers: { Range: 'bytes=-1000' } })
    expect(suffix.headers.get('content-range')).toBe(`bytes ${size - 1000}-${size - 1}/${size}`)
    expect(Buffer.compare(await bytesOf(suffix), bigBytes.subarray(size - 1000))).toBe(0)
    const open = await get(`/ipfs/${big}`, { headers: { Range: `bytes=${size - 10}-` } })
    expect(open.status).toBe(206)
    expect(Buffer.compare(await bytesOf(open), bigBytes.subarray(size - 10))).toBe(0)
    const past = await get(`/ipfs/${big}`, { headers: { Range: `bytes=${size}-` } })
    expect(past.status).toBe(416)
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`)
  })
})

describe('HTTP semantics', () => {
  it('answers HEAD with headers only, reading no file leaves', async () => {
    reads = []
    const res = await get(`/ipfs/${site}/big.bin`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(bigBytes.length))
    expect((await bytesOf(res)).length).toBe(0)
    const leaves = dagPb.decode(await blockOf(big)).Links.map((link) => link.Hash.toString())
    expect(reads.some((cid) => leaves.includes(cid))).toBe(false)
  })

  it('answers If-None-Match with 304', async () => {
    for (const path of [
      `/ipfs/${big}`,
      `/ipfs/${hello}?format=raw`,
      `/ipfs/${big}?format=car`,
      `/ipfs/${site}/docs/`,
    ]) {
      const first = await get(path)
      await first.arrayBuffer()
      const etag = first.headers.get('etag') as string
      expect(etag, path).toMatch(/^".+"$/)
      const again = await get(path, { headers: { 'If-None-Match': etag } })
      expect(again.status, path).toBe(304)
      expect(again.headers.get('etag')).toBe(etag)
      expect((await bytesOf(again)).length).toBe(0)
      expect((await get(path, { headers: { 'If-None-Match': '"other"' } })).status, path).toBe(200)
    }
  })

  it('answers CORS preflights and sets CORS headers', async () => {
    const preflight = await get(`/ipfs/${hello}`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'GET' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Range')
    const res = await get(`/ipfs/${hello}`)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Ipfs-Roots')
    expect(res.headers.get('vary')).toBe('Accept')
  })

  it('negotiates the format from Accept, with ?format= winning', async () => {
    const raw = await get(`/ipfs/${hello}`, { headers: { Accept: 'application/vnd.ipld.raw' } })
    expect(raw.headers.get('content-type')).toBe('application/vnd.ipld.raw')
    expect(raw.headers.get('content-location')).toBe(`/ipfs/${hello}?format=raw`)
    const fallback = await get(`/ipfs/${hello}`, {
      headers: { Accept: 'application/vnd.ipld.car; version=2, application/vnd.ipld.raw;q=0.5' },
    })
    expect(fallback.headers.get('content-type')).toBe('application/vnd.ipld.raw')
    const refused = await get(`/ipfs/${hello}`, {
      headers: { Accept: 'application/vnd.ipld.car; version=2' },
    })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('version 2')
    const wins = await get(`/ipfs/${hello}?format=raw`, { headers: { Accept: 'application/vnd.ipld.car' } })
    expect(wins.headers.get('content-type')).toBe('application/vnd.ipld.raw')
    const browser = await get(`/ipfs/${hello}`, { headers: { Accept: 'text/html,*/*;q=0.8' } })
    expect(browser.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    const tar = await get(`/ipfs/${hello}?format=tar`)
    expect(tar.status).toBe(400)
    expect(await tar.text()).toContain('"tar" is not supported')
  })

  it('refuses what is not pinned here, bad CIDs, missing paths and other methods', async () => {
    const notPinned = await get(`/ipfs/${unpinned}`)
    expect(notPinned.status).toBe(404)
    expect(await notPinned.text()).toContain('only serves content pinned on it')
    expect((await get(`/ipfs/${unpinned}?format=raw`)).status).toBe(404)
    const bad = await get('/ipfs/not-a-cid/x')
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('"not-a-cid"')
    const missing = await get(`/ipfs/${site}/sub/nope.txt`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('no "nope.txt"')
    const post = await get(`/ipfs/${hello}`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
    expect((await get(`/ipfs/${pinnedButAbsent}`)).status).toBe(404)
    const cached = await get(`/ipfs/${pinnedButAbsent}`, { headers: { 'Cache-Control': 'only-if-cached' } })
    expect(cached.status).toBe(412)
    // Not pinned here either: still 412 for only-if-cached (a plain GET is 404).
    const notHere = await get(`/ipfs/${unpinned}`, { headers: { 'Cache-Control': 'only-if-cached' } })
    expect(notHere.status).toBe(412)
    const worker = await get(`/ipfs/${hello}`, { headers: { 'Service-Worker': 'script' } })
    expect(worker.status).toBe(400)
  })

  it('reports every response to onResponse', async () => {
    // Earlier tests' responses may still be finishing (their bodies unread): let them land first.
    await new Promise((resolve) => setTimeout(resolve, 200))
    responses.length = 0
    await (await get(`/ipfs/${hello}?format=raw`)).arrayBuffer()
    await (await get(`/ipfs/${unpinned}`)).arrayBuffer()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(responses).toEqual([
      { status: 200, bytes: 12, format: 'raw' },
      { status: 404, bytes: expect.any(Number), format: 'error' },
    ])
  })

  it.each([
    ['file', ''],
    ['CAR', '?format=car&dups=y'],
  ])('stops streaming a %s when the client leaves, and keeps serving', async (_, query) => {
    responses.length = 0
    reads = []
    const controller = new AbortController()
    const res = await get(`/ipfs/${huge}${query}`, { signal: controller.signal })
    expect(res.status).toBe(200)
    await res.body?.getReader().read()
    controller.abort()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(responses).toHaveLength(1)
    expect(responses[0]?.status).toBe(200)
    expect(responses[0]?.bytes).toBeLessThan(64 * MiB)
    // 64 links to the same leaf: the walk stopped well before reading it for each.
    const readsAfterAbort = reads.length
    expect(readsAfterAbort).toBeLessThan(40)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(reads.length).toBe(readsAfterAbort)
    expect((await get(`/ipfs/${hello}`)).status).toBe(200)
  })
})
