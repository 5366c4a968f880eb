/**
 * The speedtest's two folders and its page, checked before anything starts:
 * the P2P variant (what `p2pcdn publish` wrote, with its manifest) and the
 * origin variant (the input site folder, with the original references).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { DEFAULT_OUT_SUFFIX } from '../constants.js'
import { P2pcdnError } from '../errors.js'
import { readManifest } from '../manifest/read-manifest.js'
import type { Manifest } from '../manifest/write-manifest.js'

/** The page both variants are loaded at when none is given. */
export const DEFAULT_PAGE = 'index.html'

/** The checked folders and page, all paths absolute. */
export interface SpeedtestInputs {
  p2pDir: string
  originDir: string
  /** The page's path relative to both folders, `/`-separated. */
  page: string
  manifest: Manifest
}

const invalid = (option: string, value: unknown, fix: string) =>
  new P2pcdnError('ERR_CONFIG_INVALID', `The \`${option}\` option ${fix}, got: ${JSON.stringify(value)}.`)

/**
 * The origin folder: `originDir` when given, else the P2P folder's name
 * without its `-p2p` suffix (publish's default output name), else an error.
 */
export function defaultOriginDir(p2pDir: string, originDir: string | undefined): string {
  if (originDir !== undefined) return path.resolve(originDir)
  const resolved = path.resolve(p2pDir)
  const base = path.basename(resolved)
  if (base.endsWith(DEFAULT_OUT_SUFFIX) && base.length > DEFAULT_OUT_SUFFIX.length)
    return path.join(path.dirname(resolved), base.slice(0, -DEFAULT_OUT_SUFFIX.length))
  throw new P2pcdnError(
    'ERR_CONFIG_INVALID',
    `The origin folder is not known: ${resolved} does not end in "${DEFAULT_OUT_SUFFIX}", so it is not publish's default output beside its input. Pass the site folder you published with --origin-dir (option \`originDir\`).`,
  )
}

async function checkFolder(dir: string, what: string, fix: string): Promise<void> {
  let stat: Awaited<ReturnType<typeof fs.stat>>
  try {
    stat = await fs.stat(dir)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT')
      throw new P2pcdnError('ERR_INPUT_MISSING', `The ${what} ${dir} does not exist. ${fix}`)
    throw new P2pcdnError(
      'ERR_FILE_UNREADABLE',
      `Cannot read the ${what} ${dir}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}. Fix its permissions, or pass another folder.`,
      { cause },
    )
  }
  if (!stat.isDirectory())
    throw new P2pcdnError('ERR_INPUT_NOT_DIRECTORY', `The ${what} ${dir} is a file, not a folder. ${fix}`)
}

/** `page` as a `/`-separated path inside the site, or an error when it leaves it. */
export function normalisePage(page: string | undefined): string {
  const value = page ?? DEFAULT_PAGE
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid('page', value, 'must be the path of an HTML page inside the site, e.g. "index.html"')
  const normal = path.posix.normalize(value.replaceAll('\\', '/').replace(/^\/+/, ''))
  if (normal === '..' || normal.startsWith('../') || normal.includes('\0'))
    throw invalid('page', value, 'must be a path inside the site folder, e.g. "index.html"')
  return normal === '.' || normal.endsWith('/') ? `${normal === '.' ? '' : normal}${DEFAULT_PAGE}` : normal
}

async function checkPage(dir: string, page: string, what: string): Promise<void> {
  const file = path.join(dir, ...page.split('/'))
  const stat = await fs.stat(file).catch(() => undefined)
  if (stat?.isFile()) return
  throw new P2pcdnError(
    'ERR_INPUT_MISSING',
    `The page ${page} is not in the ${what} ${dir} (no file ${file}). Pass a page that both folders hold with --page (option \`page\`), e.g. "index.html".`,
  )
}

/** Checks both folders, the manifest and the page; the absolute paths and the manifest. */
export async function resolveSpeedtestInputs(options: {
  p2pDir: string
  originDir?: string | undefined
  page?: string | undefined
}): Promise<SpeedtestInputs> {
  if (typeof options.p2pDir !== 'string' || options.p2pDir === '')
    throw invalid('p2pDir', options.p2pDir, 'must be the folder `p2pcdn publish` wrote, e.g. "dist-p2p"')
  const p2pDir = path.resolve(options.p2pDir)
  const page = normalisePage(options.page)
  await checkFolder(
    p2pDir,
    'P2P folder',
    'Pass the output folder of `p2pcdn publish` (by default <site>-p2p beside the site).',
  )
  const manifest = await readManifest(p2pDir)
  const originDir = defaultOriginDir(p2pDir, options.originDir)
  await checkFolder(
    originDir,
    'origin folder',
    'Pass the site folder you published (the one with the original references) with --origin-dir.',
  )
  await checkPage(p2pDir, page, 'P2P folder')
  await checkPage(originDir, page, 'origin folder')
  return { p2pDir, originDir, page, manifest }
}
