/**
 * The site's IPNS key: made once (mode 0600, outside the site), reused, the environment variable
 * winning over the default file, bad keys named by where they came from and never printed, and
 * key files exchanged with a real Kubo (`ipfs key import` / `ipfs key export`) giving one name.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { afterAll, describe, expect, it } from 'vitest'
import { P2pcdnError } from '../../src/errors.js'
import { defaultKeyFile, IPNS_KEY_ENV, loadSiteKey } from '../../src/ipns/site-key.js'
import { parseDuration } from '../../src/utils/parse-duration.js'
import { tempDirs } from '../helpers/fs.js'
import { initKubo } from '../helpers/kubo-daemon.js'
import { kubo } from '../helpers/peers.js'

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

/** An environment whose config folder is a fresh temp folder, and nothing else. */
async function freshEnv(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  return { XDG_CONFIG_HOME: await dirs.make('config'), ...extra }
}

/** A P2pcdnError thrown by `run`, checked to never contain `secret`. */
async function failure(run: () => Promise<unknown>, secret: string): Promise<P2pcdnError> {
  const error = await run().then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(P2pcdnError)
  expect((error as Error).message).not.toContain(secret)
  return error as P2pcdnError
}

describe('loadSiteKey', () => {
  it('makes the site key on first use (0600, in $XDG_CONFIG_HOME/p2pcdn/keys) and reuses it', async () => {
    const env = await freshEnv()
    const first = await loadSiteKey({ siteId: '0123456789abcdef', env })
    const file = path.join(env.XDG_CONFIG_HOME as string, 'p2pcdn', 'keys', '0123456789abcdef.key')
    expect(first).toMatchObject({ source: 'file', file, created: true })
    expect(first?.name).toMatch(/^k51[a-z0-9]{59}$/)
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
    expect((await fs.stat(path.dirname(file))).mode & 0o077).toBe(0)
    expect(await fs.readdir(path.dirname(file))).toEqual(['0123456789abcdef.key']) // no temp left
    const again = await loadSiteKey({ siteId: '0123456789abcdef', env })
    expect(again).toMatchObject({ name: first?.name, created: false })
    // Another site gets another key.
    const other = await loadSiteKey({ siteId: 'fedcba9876543210', env })
    expect(other?.name).not.toBe(first?.name)
  })

  it('makes one key when two publishes start at once', async () => {
    const env = await freshEnv()
    const keys = await Promise.all(
      Array.from({ length: 4 }, () => loadSiteKey({ siteId: 'aaaaaaaaaaaaaaaa', env })),
    )
    expect(new Set(keys.map((k) => k?.name)).size).toBe(1)
    expect(keys.filter((k) => k?.created)).toHaveLength(1)
  })

  it('makes nothing on a dry run', async () => {
    const env = await freshEnv()
    expect(await loadSiteKey({ siteId: '0123456789abcdef', env, create: false })).toBeUndefined()
    await expect(fs.stat(defaultKeyFile('0123456789abcdef', env))).rejects.toThrow(/ENOENT/)
  })

  it('takes the key from P2PCDN_IPNS_KEY (base64 or base64url, blanks trimmed) before the default file', async () => {
    const key = await generateKeyPair('Ed25519')
    const bytes = Buffer.from(privateKeyToProtobuf(key))
    const base64 = bytes.toString('base64')
    const env = await freshEnv()
    const made = await loadSiteKey({ siteId: '0123456789abcdef', env })
    for (const value of [base64, `  ${base64}\n`, bytes.toString('base64url')]) {
      const loaded = await loadSiteKey({ siteId: '0123456789abcdef', env: { ...env, [IPNS_KEY_ENV]: value } })
      expect(loaded).toMatchObject({ source: 'env', file: undefined, created: false })
      expect(loaded?.name).not.toBe(made?.name)
      expect(loaded?.privateKey.equals(key)).toBe(true)
    }
  })

  it('the ipnsKey file wins over the variable', async () => {
    const key = await generateKeyPair('Ed25519')
    const keyDir = await dirs.make('keys')
    const keyFile = path.join(keyDir, 'site.key')
    await fs.writeFile(keyFile, privateKeyToProtobuf(key))
    const other = Buffer.from(privateKeyToProtobuf(await generateKeyPair('Ed25519'))).toString('base64')
    const loaded = await loadSiteKey({
      keyFile,
      siteId: '0123456789abcdef',
      env: await freshEnv({ [IPNS_KEY_ENV]: other }),
    })
    expect(loaded).toMatchObject({ source: 'option', file: keyFile })
    expect(loaded?.privateKey.equals(key)).toBe(true)
  })

  it('a bad variable is named, with what to do, and never printed', async () => {
    const secret = 'c2VjcmV0LW5vdC1hLWtleS1hdC1hbGwtMTIzNDU2Nzg5MA'
    const error = await failure(
      async () =>
        loadSiteKey({ siteId: '0123456789abcdef', env: await freshEnv({ [IPNS_KEY_ENV]: secret }) }),
      secret,
    )
    expect(error.code).toBe('ERR_CONFIG_INVALID')
    expect(error.message).toContain('$P2PCDN_IPNS_KEY')
    expect(error.message).toMatch(/ipfs key export/)
    expect(error.message).toMatch(/base64/)
  })

  it('an RSA key is refused: the name needs Ed25519', async () => {
    const rsa = Buffer.from(privateKeyToProtobuf(await generateKeyPair('RSA', 1024))).toString('base64')
    const error = await failure(
      async () => loadSiteKey({ siteId: '0123456789abcdef', env: await freshEnv({ [IPNS_KEY_ENV]: rsa }) }),
      rsa,
    )
    expect(error.message).toMatch(/\$P2PCDN_IPNS_KEY holds a RSA key.*Ed25519/)
  })

  it('a bad key file is named (the option, or the default file) and its bytes are never printed', async () => {
    const keyDir = await dirs.make('keys')
    const keyFile = path.join(keyDir, 'broken.key')
    const secret = 'not a key but a secret 0123456789'
    await fs.writeFile(keyFile, secret)
    const env = await freshEnv()
    const fromOption = await failure(() => loadSiteKey({ keyFile, siteId: '0123456789abcdef', env }), secret)
    expect(fromOption.message).toContain(keyFile)
    expect(fromOption.message).toContain('`ipnsKey` option')

    const file = defaultKeyFile('0123456789abcdef', env)
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, secret)
    const fromDefault = await failure(() => loadSiteKey({ siteId: '0123456789abcdef', env }), secret)
    expect(fromDefault.message).toContain(file)
    expect(fromDefault.message).toMatch(/remove it/)

    const missing = await failure(
      () => loadSiteKey({ keyFile: path.join(keyDir, 'nope.key'), siteId: '0123456789abcdef', env }),
      secret,
    )
    expect(missing.message).toMatch(/nope\.key .*does not exist/)
  })

  it('refuses a key file inside the site or output folder (it would be published)', async () => {
    const site = await dirs.make('site')
    const keyFile = path.join(site, 'site.key')
    await fs.writeFile(keyFile, privateKeyToProtobuf(await generateKeyPair('Ed25519')))
    const error = await failure(
      async () =>
        loadSiteKey({ keyFile, siteId: '0123456789abcdef', env: await freshEnv(), forbidden: [site] }),
      'never',
    )
    expect(error.message).toMatch(/inside .*published with the site/)
  })
})

describe('parseDuration', () => {
  it.each([
    ['7d', 604_800_000],
    ['48h', 172_800_000],
    ['90m', 5_400_000],
    ['1h30m', 5_400_000],
    ['2w', 1_209_600_000],
    [' 30s ', 30_000],
    ['1500', 1500],
    ['1.5h', 5_400_000],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms))
  it.each(['', 'soon', '7 days', '-1d', '1y', 'd7'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  )
})

describe.skipIf(kubo.skip)(kubo.title('key files exchanged with Kubo'), () => {
  it('`ipfs key import` of our key file gives the same name, and ours reads what `ipfs key export` wrote', async () => {
    const repo = await initKubo()
    try {
      const env = await freshEnv()
      const ours = await loadSiteKey({ siteId: '0123456789abcdef', env })
      const imported = (await repo.ipfs(['key', 'import', 'site', ours?.file as string])).trim()
      expect(imported).toBe(ours?.name)
      const keys = async () =>
        new Map(
          (await repo.ipfs(['key', 'list', '-l']))
            .trim()
            .split('\n')
            .map((line) => line.trim().split(/\s+/).reverse() as [string, string]),
        )
      expect((await keys()).get('site')).toBe(ours?.name)

      await repo.ipfs(['key', 'gen', '--type=ed25519', 'theirs'])
      const exported = path.join(await dirs.make('export'), 'theirs.key')
      await repo.ipfs(['key', 'export', 'theirs', '-o', exported])
      const theirs = await loadSiteKey({ keyFile: exported, siteId: '0123456789abcdef', env })
      expect(theirs?.name).toBe((await keys()).get('theirs'))
      expect(theirs?.name).toMatch(/^k51/)
      // The same bytes in the variable.
      const viaEnv = await loadSiteKey({
        siteId: '0123456789abcdef',
        env: { ...env, [IPNS_KEY_ENV]: (await fs.readFile(exported)).toString('base64') },
      })
      expect(viaEnv?.name).toBe(theirs?.name)
    } finally {
      await repo.remove()
    }
  })
})
