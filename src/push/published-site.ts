import fs from 'node:fs/promises'
import path from 'node:path'
import { CID } from 'multiformats/cid'
import { IPNS_RECORD_FILE, MANIFEST_FILE, PROFILES, type ProfileName } from '../constants.js'
import { P2pcdnError } from '../errors.js'
import type { IpnsRecordJob, SiteBlocks } from '../hosts/types.js'
import { openFileIndex } from '../import/file-index.js'
import { importAssets } from '../import/import-assets.js'
import { buildSiteRoot } from '../import/site-root.js'
import { SourceBlockstore } from '../import/source-blocks.js'
import type { Manifest } from '../manifest/write-manifest.js'
import { siteBlocks } from './site-blocks.js'

/** A published output folder, ready to push: its manifest and its blocks, read from its files. */
export interface PublishedSite {
  folder: string
  manifest: Manifest
  blocks: SiteBlocks
  /** The site's IPNS record (`p2pcdn-ipns-record`), when publish signed one (the manifest's `ipns`). */
  record: IpnsRecordJob | undefined
}

async function readManifest(folder: string): Promise<Manifest> {
  const file = path.join(folder, MANIFEST_FILE)
  let manifest: Manifest
  try {
    manifest = JSON.parse(await fs.readFile(file, 'utf8')) as Manifest
  } catch (err) {
    throw new P2pcdnError(
      'ERR_INPUT_MISSING',
      `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Pass the folder \`p2pcdn publish\` wrote, e.g. \`p2pcdn push dist-p2p\`.`,
    )
  }
  const valid =
    typeof manifest?.root === 'string' &&
    Array.isArray(manifest.assets) &&
    (PROFILES as readonly string[]).includes(manifest.profile as string)
  if (!valid) {
    throw new P2pcdnError(
      'ERR_INPUT_MISSING',
      `${file} is not a p2pcdn manifest (no root, profile or assets). Pass the folder \`p2pcdn publish\` wrote.`,
    )
  }
  return manifest
}

/**
 * Opens an output folder `publish` wrote: every asset its manifest lists is read and hashed
 * (nothing is copied), and the root they make must be the manifest's, or the folder changed
 * since it was published and pushing it would send a site nobody published.
 */
export async function openPublishedSite(folder: string, signal?: AbortSignal): Promise<PublishedSite> {
  const manifest = await readManifest(folder)
  const profile = manifest.profile as ProfileName
  const store = new SourceBlockstore(folder)
  const index = await openFileIndex({ cacheDir: false, dir: folder, profile })
  const sources = manifest.assets.map((a) => ({ path: a.path, source: path.join(folder, a.path) }))
  const { assets } = await importAssets(sources, { profile, index, store, ...(signal ? { signal } : {}) })
  const root = await buildSiteRoot(assets, store, profile, manifest.directories ?? [])
  if (!root.equals(CID.parse(manifest.root))) {
    const changed = assets.find((a, i) => a.cid.toString() !== manifest.assets[i]?.cid)
    throw new P2pcdnError(
      'ERR_OUTPUT_CHANGED',
      `The files in ${folder} no longer make the root its manifest names (${manifest.root}; they make ${root})${changed ? `: ${changed.path} changed` : ''}. Run \`p2pcdn publish\` again, then push.`,
    )
  }
  const record = await readRecord(folder, manifest)
  return { folder, manifest, blocks: siteBlocks(root, store), record }
}

/**
 * The record publish wrote beside the manifest, checked: signed by the manifest's `ipns` name,
 * still valid, naming the manifest's root. Hosts would refuse it otherwise, so it fails here first.
 */
async function readRecord(folder: string, manifest: Manifest): Promise<IpnsRecordJob | undefined> {
  if (manifest.ipns === undefined) return undefined
  const file = path.join(folder, IPNS_RECORD_FILE)
  let bytes: Uint8Array
  try {
    bytes = await fs.readFile(file)
  } catch (err) {
    throw new P2pcdnError(
      'ERR_OUTPUT_CHANGED',
      `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}), though the manifest names the IPNS name ${manifest.ipns}. Run \`p2pcdn publish\` again, then push.`,
    )
  }
  const { verifySiteRecord } = await import('../ipns/site-record.js')
  let root: CID
  try {
    root = (await verifySiteRecord(manifest.ipns, bytes)).root
  } catch (err) {
    throw new P2pcdnError(
      'ERR_OUTPUT_CHANGED',
      `${file} cannot be pushed: ${(err as Error).message} Run \`p2pcdn publish\` again (it signs a new record), then push.`,
    )
  }
  if (!root.equals(CID.parse(manifest.root))) {
    throw new P2pcdnError(
      'ERR_OUTPUT_CHANGED',
      `${file} names ${root}, not the root its manifest names (${manifest.root}). Run \`p2pcdn publish\` again, then push.`,
    )
  }
  return { name: manifest.ipns, bytes }
}
