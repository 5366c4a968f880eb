import fs from 'node:fs/promises'
import path from 'node:path'
import { MANIFEST_FILE } from '../constants.js'
import { P2pcdnError } from '../errors.js'
import type { Manifest } from './write-manifest.js'

/**
 * Reads the `p2pcdn-manifest.json` that `p2pcdn publish` wrote: the file itself, or the output
 * folder holding it. Errors name the file and say how to get a good one.
 */
export async function readManifest(fileOrDir: string): Promise<Manifest> {
  let file = path.resolve(fileOrDir)
  let text: string
  try {
    if ((await fs.stat(file)).isDirectory()) file = path.join(file, MANIFEST_FILE)
    text = await fs.readFile(file, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT')
      throw new P2pcdnError(
        'ERR_INPUT_MISSING',
        `${file} does not exist, so ${fileOrDir} is not a folder that \`p2pcdn publish\` wrote (nor its ${MANIFEST_FILE}). Publish the site first (p2pcdn publish <site> --gateway <url>) and pass its output folder.`,
      )
    throw new P2pcdnError(
      'ERR_FILE_UNREADABLE',
      `Cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}. Fix its permissions, or publish the site again.`,
      { cause },
    )
  }
  let manifest: Manifest
  try {
    manifest = JSON.parse(text) as Manifest
  } catch (cause) {
    throw new P2pcdnError(
      'ERR_FILE_UNREADABLE',
      `${file} is not valid JSON (${(cause as Error).message}). Publish the site again to rewrite it.`,
      { cause },
    )
  }
  if (manifest === null || typeof manifest !== 'object' || !Array.isArray(manifest.assets))
    throw new P2pcdnError(
      'ERR_FILE_UNREADABLE',
      `${file} has no \`assets\` list, so it is not a p2pcdn manifest. Publish the site again to rewrite it.`,
    )
  return manifest
}
