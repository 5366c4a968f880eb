import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import mime from 'mime-types'
import { FALLBACK_CONTENT_TYPE, type MANIFEST_SCHEMA_VERSION, type ProfileName } from '../constants.js'

/** One asset in `p2pcdn-manifest.json`. */
export interface ManifestAsset {
  /** Path relative to the site root, `/`-separated. */
  path: string
  /** CID of the published bytes. */
  cid: string
  /** Size of the published bytes. */
  size: number
  /** SHA-256 of the published bytes in Subresource Integrity form. */
  integrity: string
  /** Media type guessed from the file extension. */
  contentType: string
  /** For a file the rewrite changed: the CID of the input file, before the rewrite. */
  originalCid?: string
}

/** The whole manifest; its JSON Schema ships as `p2pcdn/manifest.schema.json`. */
export interface Manifest {
  schemaVersion: typeof MANIFEST_SCHEMA_VERSION
  profile: ProfileName
  /** The site's root directory CID: the whole site as `/ipfs/<root>/`. */
  root: string
  /**
   * The site's IPNS name (`k51…`), when publish signed a record (`p2pcdn-ipns-record` beside the
   * manifest) naming `root`; absent with `ipns: false`. Only the name: the manifest stays the same
   * for the same site and key.
   */
  ipns?: string
  /** The site's own origins, as configured. */
  origins: string[]
  assets: ManifestAsset[]
  /** The site's empty folders (part of its root, as `ipfs add -r` keeps them); absent when there are none. */
  directories?: string[]
}

/** The media type written for `path`: from its extension, else `application/octet-stream`. */
export function contentTypeOf(path: string): string {
  return mime.lookup(path) || FALLBACK_CONTENT_TYPE
}

/**
 * Serialises a manifest deterministically: fixed key order, assets sorted by
 * path, two-space indentation, a final newline. Same input, same bytes.
 */
export function serialiseManifest(manifest: Manifest): string {
  const assets = [...manifest.assets]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((a) => ({
      path: a.path,
      cid: a.cid,
      size: a.size,
      integrity: a.integrity,
      contentType: a.contentType,
      ...(a.originalCid === undefined ? {} : { originalCid: a.originalCid }),
    }))
  const ordered: Manifest = {
    schemaVersion: manifest.schemaVersion,
    profile: manifest.profile,
    root: manifest.root,
    ...(manifest.ipns === undefined ? {} : { ipns: manifest.ipns }),
    origins: manifest.origins,
    assets,
    ...(manifest.directories?.length ? { directories: [...manifest.directories].sort() } : {}),
  }
  return `${JSON.stringify(ordered, null, 2)}\n`
}

/** Writes the manifest to `file` through a temporary file and a rename. */
export async function writeManifest(manifest: Manifest, file: string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  await fs.writeFile(tmp, serialiseManifest(manifest))
  await fs.rename(tmp, file)
}
