/**
 * The site's IPNS key: the Ed25519 key whose name (`k51…`) the site keeps across publishes. Found,
 * in this order, in the `ipnsKey` option (a key file), in the `P2PCDN_IPNS_KEY` environment variable
 * (for CI), else in this site's own key file under the user's config folder
 * (`$XDG_CONFIG_HOME/p2pcdn/keys/<site id>.key`), made on first use. A key file holds the key the
 * way `ipfs key export` writes it (libp2p protobuf, `libp2p-protobuf-cleartext`), so `ipfs key
 * import` takes ours and we take Kubo's; the variable holds the same bytes in base64 (or base64url).
 * A key is never printed, never in an error message, never inside the site or its output.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { P2pcdnError } from '../errors.js'
import { xdgDir } from '../utils/xdg-dir.js'
import { ipnsNameOf } from './site-record.js'

/** The environment variable that holds the key for CI: base64 of its libp2p protobuf encoding. */
export const IPNS_KEY_ENV = 'P2PCDN_IPNS_KEY'

/** Where the site's key was found. */
export type SiteKeySource = 'option' | 'env' | 'file'

export interface SiteKey {
  privateKey: PrivateKey
  /** Its IPNS name, `k51…`. */
  name: string
  source: SiteKeySource
  /** The key file (`option` and `file` sources). */
  file: string | undefined
  /** The key file was made by this call. */
  created: boolean
}

export interface LoadSiteKeyOptions {
  /** The `ipnsKey` option: a key file, absolute. */
  keyFile?: string | undefined
  /** The site id (`siteIdentity().id`) naming the default key file. */
  siteId: string
  /** Make the default key file when it does not exist. A dry run does not. @default true */
  create?: boolean
  /** Folders a key file may not be in (the site folder, the output): whatever is there is published. */
  forbidden?: string[]
  env?: NodeJS.ProcessEnv
}

/** The user's p2pcdn config folder: `$XDG_CONFIG_HOME/p2pcdn`, else `~/.config/p2pcdn`. */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return xdgDir('XDG_CONFIG_HOME', '.config', env)
}

/** The key file made for a site on first use: `<config folder>/keys/<site id>.key`. */
export function defaultKeyFile(siteId: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultConfigDir(env), 'keys', `${siteId}.key`)
}

/**
 * The site's key, from the `ipnsKey` file, else `P2PCDN_IPNS_KEY`, else the site's default key
 * file (made, mode 0600, when `create` and it does not exist yet). `undefined` only when there is
 * no key and `create` is false. Throws a `P2pcdnError` (`ERR_CONFIG_INVALID`) naming the file or
 * variable that does not hold an Ed25519 key, and saying what to do; the key itself is never shown.
 */
export async function loadSiteKey(options: LoadSiteKeyOptions): Promise<SiteKey | undefined> {
  const env = options.env ?? process.env
  if (options.keyFile !== undefined) {
    const file = path.resolve(options.keyFile)
    checkOutside(file, options.forbidden ?? [], 'The `ipnsKey` option names')
    const bytes = await readKeyFile(file, 'option')
    if (bytes === undefined) throw keyFileMissing(file, options.siteId, env)
    return siteKey(decodeKey(bytes, `the key file ${file} (the \`ipnsKey\` option)`), 'option', file)
  }
  const fromEnv = env[IPNS_KEY_ENV]
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return siteKey(decodeKey(fromBase64(fromEnv), `$${IPNS_KEY_ENV}`), 'env', undefined)
  }
  const file = defaultKeyFile(options.siteId, env)
  checkOutside(file, options.forbidden ?? [], 'The default key file')
  const bytes = await readKeyFile(file, 'file')
  if (bytes !== undefined) return siteKey(decodeKey(bytes, `the key file ${file}`), 'file', file)
  if (options.create === false) return undefined
  return createKeyFile(file)
}

function siteKey(privateKey: PrivateKey, source: SiteKeySource, file: string | undefined): SiteKey {
  return { privateKey, name: ipnsNameOf(privateKey.publicKey), source, file, created: false }
}

/** A key file's bytes; `undefined` when it does not exist. */
async function readKeyFile(file: string, source: SiteKeySource): Promise<Uint8Array | undefined> {
  try {
    return await fs.readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `Cannot read the IPNS key file ${file}${source === 'option' ? ' (the `ipnsKey` option)' : ''}: ${code ?? (err as Error).message}. Fix its permissions (it should be readable by you only, mode 0600).`,
    )
  }
}

/** Base64 or base64url, blanks anywhere ignored. */
function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return new Uint8Array()
  return Buffer.from(clean, 'base64')
}

/**
 * A libp2p private key (protobuf) that must be Ed25519. A file may also hold the key as base64
 * text, as the variable does.
 */
function decodeKey(bytes: Uint8Array, where: string): PrivateKey {
  const attempts = [bytes]
  const text = Buffer.from(bytes).toString('latin1').trim()
  if (/^[A-Za-z0-9+/_=\s-]+$/.test(text)) attempts.push(fromBase64(text))
  for (const candidate of attempts) {
    let key: PrivateKey
    try {
      key = privateKeyFromProtobuf(candidate)
    } catch {
      continue
    }
    if (key.type !== 'Ed25519') {
      throw new P2pcdnError(
        'ERR_CONFIG_INVALID',
        `${capitalise(where)} holds a ${key.type} key; an IPNS site name needs an Ed25519 key. Make one with \`ipfs key gen --type=ed25519 site\` and \`ipfs key export site\`, or remove it to let p2pcdn make one.`,
      )
    }
    return key
  }
  throw new P2pcdnError(
    'ERR_CONFIG_INVALID',
    `${capitalise(where)} does not hold a libp2p private key. It takes what \`ipfs key export\` writes (libp2p-protobuf-cleartext)${where.startsWith('$') ? ', in base64 (e.g. `base64 -w0 site.key`)' : ''}; export it again, or remove it to let p2pcdn make a new key (the site then gets a new IPNS name).`,
  )
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

/** A key file in the site folder or the output would be published with the site. */
function checkOutside(file: string, folders: string[], what: string): void {
  for (const folder of folders) {
    const rel = path.relative(path.resolve(folder), file)
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) {
      throw new P2pcdnError(
        'ERR_CONFIG_INVALID',
        `${what} the IPNS key file ${file}, which is inside ${folder}: it would be published with the site. Move the key out of the site and output folders.`,
      )
    }
  }
}

function keyFileMissing(file: string, siteId: string, env: NodeJS.ProcessEnv): P2pcdnError {
  return new P2pcdnError(
    'ERR_CONFIG_INVALID',
    `The IPNS key file ${file} (the \`ipnsKey\` option) does not exist. Pass a key that \`ipfs key export\` wrote, or leave the option out: p2pcdn then makes one at ${defaultKeyFile(siteId, env)}.`,
  )
}

/**
 * Makes a new Ed25519 key at `file` (mode 0600, folder 0700), atomically and never over another:
 * written to a temporary sibling, flushed, then hard-linked into place, which fails when a
 * concurrent publish made the file first (its key is then used).
 */
async function createKeyFile(file: string): Promise<SiteKey> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const privateKey = await generateKeyPair('Ed25519')
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await fs.open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(privateKeyToProtobuf(privateKey))
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await fs.link(temp, file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const bytes = await fs.readFile(file)
    return siteKey(decodeKey(bytes, `the key file ${file}`), 'file', file)
  } finally {
    await fs.rm(temp, { force: true })
  }
  return { ...siteKey(privateKey, 'file', file), created: true }
}
