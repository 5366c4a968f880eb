import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../utils/write-file-atomic.js'
import { initRepo } from './repo.js'

/**
 * Bearer tokens for the host's write APIs (Pinning Service API, CAR upload).
 *
 * Only a SHA-256 digest of each token is kept, in `<repo>/tokens.json` (mode 0600); the token itself
 * is printed once, by `p2pcdn host token create`. A running host re-reads the file when it changes,
 * so a token created or revoked while it runs takes effect at once.
 */
export interface TokenRecord {
  id: string
  label: string
  created: string
  sha256: string
}

const TOKEN_PREFIX = 'p2pcdn_'

const digest = (token: string): string => createHash('sha256').update(token).digest('hex')

const tokensFile = (repo: string) => join(repo, 'tokens.json')

async function readTokens(repo: string): Promise<TokenRecord[]> {
  try {
    const parsed = JSON.parse(await readFile(tokensFile(repo), 'utf8')) as { tokens?: TokenRecord[] }
    return Array.isArray(parsed.tokens) ? parsed.tokens : []
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new Error(`${tokensFile(repo)} is not valid JSON; fix or delete it and create new tokens`, {
      cause: err,
    })
  }
}

async function writeTokens(repo: string, tokens: TokenRecord[]): Promise<void> {
  await writeFileAtomic(tokensFile(repo), `${JSON.stringify({ tokens }, null, 2)}\n`, 0o600)
}

/** Makes a new token, stores its digest, and returns it: the only time the token is seen. */
export async function createToken(repo: string, label = ''): Promise<{ id: string; token: string }> {
  await initRepo(repo)
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  const id = randomBytes(4).toString('hex')
  const tokens = await readTokens(repo)
  tokens.push({ id, label, created: new Date().toISOString(), sha256: digest(token) })
  await writeTokens(repo, tokens)
  return { id, token }
}

/** The stored tokens (ids, labels, dates; never the tokens). */
export async function listTokens(repo: string): Promise<Array<Omit<TokenRecord, 'sha256'>>> {
  return (await readTokens(repo)).map(({ id, label, created }) => ({ id, label, created }))
}

/** Revokes a token by id; false when there is no such id. */
export async function revokeToken(repo: string, id: string): Promise<boolean> {
  const tokens = await readTokens(repo)
  const kept = tokens.filter((token) => token.id !== id)
  if (kept.length === tokens.length) return false
  await writeTokens(repo, kept)
  return true
}

/** Checks `Authorization: Bearer …` values against the repo's tokens, re-reading the file when it changes. */
export class TokenVerifier {
  #repo: string
  #cache: { mtimeMs: number; size: number; tokens: TokenRecord[] } | undefined

  constructor(repo: string) {
    this.#repo = repo
  }

  async #tokens(): Promise<TokenRecord[]> {
    let info: { mtimeMs: number; size: number }
    try {
      info = await stat(tokensFile(this.#repo))
    } catch {
      return []
    }
    if (this.#cache?.mtimeMs !== info.mtimeMs || this.#cache.size !== info.size) {
      this.#cache = { mtimeMs: info.mtimeMs, size: info.size, tokens: await readTokens(this.#repo) }
    }
    return this.#cache.tokens
  }

  /** The token's record when `authorization` carries a valid bearer token, else undefined. */
  async verify(authorization: string | undefined): Promise<TokenRecord | undefined> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (!match?.[1]) return undefined
    const presented = Buffer.from(digest(match[1]), 'hex')
    let found: TokenRecord | undefined
    for (const record of await this.#tokens()) {
      const stored = Buffer.from(record.sha256, 'hex')
      // Compare every record in constant time so timing tells nothing about which one matched.
      if (stored.length === presented.length && timingSafeEqual(stored, presented)) found = record
    }
    return found
  }
}
