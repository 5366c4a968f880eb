/**
 * The site of the service worker tests, laid out the way publish lays out
 * its output: under `<dir>/site/` the pages, the assets at their site paths
 * (the origin's copies), `p2pcdn-sw.js` (the built worker) and
 * `p2pcdn-sw.json`. The assets are imported with ipfs-unixfs-importer into
 * a MemoryBlockstore, which the test hosts serve:
 *
 * - image: a PNG, one raw block (CIDv1);
 * - wav: a 3 MiB WAV of noise, 256 KiB raw leaves under a dag-pb root (CIDv1);
 * - deep: 1 MiB, CIDv0, 64 KiB dag-pb leaves, at most 4 links a node: a tree
 *   three levels deep, listed in the config under its `Qm…` CID;
 * - text: a small text file, a single dag-pb block with its data (CIDv0).
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { type ImporterOptions, importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import type { CID } from 'multiformats/cid'
import type { ServiceWorkerConfig } from '../../src/runtime/sw/config.js'
import { ROOT } from '../helpers/fs.js'
import { pcmWav, solidPng } from './media-files.js'
import { readBlock } from './sw-hosts.js'

export const SW_FILE = path.join(ROOT, 'dist/runtime/p2pcdn-sw.js')

export interface SwAsset {
  /** Site path. */
  path: string
  cid: CID
  bytes: Buffer
  type: string
  /** Every block of its DAG, root first. */
  blocks: string[]
  /** Its leaf blocks, in file order. */
  leaves: string[]
}

export type AssetName = 'image' | 'wav' | 'deep' | 'text'

export interface SwSite {
  /** The origin's folder; the site root is its `site/`. */
  dir: string
  siteDir: string
  blockstore: MemoryBlockstore
  assets: Record<AssetName, SwAsset>
  /** Writes `p2pcdn-sw.json`. */
  writeConfig(config: Omit<ServiceWorkerConfig, 'assets'>): Promise<void>
  /** Copies the built worker, with `suffix` appended (a byte change makes the browser update it). */
  writeWorker(suffix?: string): Promise<void>
}

/** Deterministic noise, so that a block put in the wrong place shows. */
function noise(length: number, seed: number, around?: number): Buffer {
  const bytes = Buffer.alloc(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    bytes[i] = around === undefined ? x & 0xff : around + ((x >>> 0) % 41) - 20
  }
  return bytes
}

/** An 8-bit mono 8 kHz WAV of `length` bytes in all (noise around silence). */
function noiseWav(length: number): Buffer {
  return pcmWav(noise(length - 44, 7, 128))
}

/** Every block of a DAG, root first, and its leaves in order. */
async function walk(
  store: MemoryBlockstore,
  cid: CID,
  out = { blocks: [] as string[], leaves: [] as string[] },
) {
  out.blocks.push(cid.toString())
  const links = cid.code === dagPb.code ? dagPb.decode(await readBlock(store, cid)).Links : []
  if (links.length === 0) out.leaves.push(cid.toString())
  for (const link of links) await walk(store, link.Hash, out)
  return out
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

export { sha256 }

export async function buildSwSite(dir: string): Promise<SwSite> {
  const siteDir = path.join(dir, 'site')
  const blockstore = new MemoryBlockstore()
  const add = async (sitePath: string, bytes: Buffer, type: string, options: ImporterOptions) => {
    let cid: CID | undefined
    for await (const entry of importer([{ content: bytes }], blockstore, options)) cid = entry.cid
    await fs.mkdir(path.dirname(path.join(siteDir, sitePath)), { recursive: true })
    await fs.writeFile(path.join(siteDir, sitePath), bytes)
    const { blocks, leaves } = await walk(blockstore, cid as CID)
    return { path: sitePath, cid: cid as CID, bytes, type, blocks, leaves }
  }
  const v1 = { cidVersion: 1, rawLeaves: true, reduceSingleLeafToSelf: true } as const
  const assets: Record<AssetName, SwAsset> = {
    image: await add('img/café dot.png', solidPng(40, 30, [30, 90, 200]), 'image/png', v1),
    wav: await add('media/noise.wav', noiseWav(3 * 1024 * 1024), 'audio/wav', {
      ...v1,
      chunker: fixedSize({ chunkSize: 256 * 1024 }),
    }),
    deep: await add('data/deep.bin', noise(1024 * 1024, 3), 'application/octet-stream', {
      cidVersion: 0,
      rawLeaves: false,
      chunker: fixedSize({ chunkSize: 64 * 1024 }),
      layout: balanced({ maxChildrenPerNode: 4 }),
    }),
    text: await add('js/hello.txt', Buffer.from('hello from a dag-pb block\n'), 'text/plain', {
      cidVersion: 0,
      rawLeaves: false,
      reduceSingleLeafToSelf: true,
    }),
  }
  const site: SwSite = {
    dir,
    siteDir,
    blockstore,
    assets,
    async writeConfig(config) {
      const full: ServiceWorkerConfig = {
        ...config,
        assets: Object.fromEntries(
          Object.values(assets).map((a) => [
            a.cid.toString(),
            { path: a.path, size: a.bytes.length, type: a.type },
          ]),
        ),
      }
      await fs.writeFile(path.join(siteDir, 'p2pcdn-sw.json'), JSON.stringify(full))
    },
    async writeWorker(suffix = '') {
      await fs.writeFile(path.join(siteDir, 'p2pcdn-sw.js'), `${await fs.readFile(SW_FILE, 'utf8')}${suffix}`)
    },
  }
  await site.writeWorker()
  // The registration the fallback runtime will do: the site root as the scope.
  await fs.writeFile(
    path.join(siteDir, 'register.js'),
    `window.swControlled = navigator.serviceWorker
  .register('p2pcdn-sw.js', { scope: './' })
  .then(() => navigator.serviceWorker.controller || new Promise((resolve) =>
    navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })))
  .then(() => true)
`,
  )
  await fs.writeFile(
    path.join(siteDir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><script src="register.js"></script><p>p2pcdn service worker test</p>',
  )
  return site
}

/** A page with an `<img>` of `src`, registering the worker too. */
export async function writeImagePage(site: SwSite, name: string, src: string): Promise<void> {
  await fs.writeFile(
    path.join(site.siteDir, name),
    `<!doctype html><meta charset="utf-8"><script src="register.js"></script><img id="img" src="${src}">`,
  )
}
