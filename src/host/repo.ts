import { constants } from 'node:fs'
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { errors } from '../errors.js'
import { writeFileAtomic } from '../utils/write-file-atomic.js'
import { QuotaBlockstore } from './quota-blockstore.js'

/** Version of the repo layout, in `repo.json`. */
export const REPO_VERSION = 1

/**
 * The host repo: everything a host keeps between runs.
 *
 * ```
 * <repo>/repo.json     layout version
 * <repo>/blocks/       blockstore-fs (one file per block, written atomically)
 * <repo>/datastore/    datastore-level (LevelDB, with its write-ahead log): peer key, Helia pins, pin requests
 * <repo>/tokens.json   bearer tokens (SHA-256 digests only)
 * <repo>/tmp/          CAR uploads being checked; emptied at start
 * <repo>/repo.lock     pid of the host that has the repo open
 * <repo>/api           the running host's HTTP address (removed at exit)
 * ```
 */
export interface HostRepo {
  readonly path: string
  readonly blockstore: QuotaBlockstore
  readonly datastore: LevelDatastore
  readonly tmpDir: string
  close(): Promise<void>
}

export interface OpenRepoOptions {
  /** Take the repo lock (a running host). `gc` takes it too. @default true */
  lock?: boolean
  /** Storage quota in bytes; 0 = none. @default 0 */
  storageMax?: number
}

/** `$P2PCDN_HOST_REPO`, else `$XDG_DATA_HOME/p2pcdn/host`, else `~/.local/share/p2pcdn/host`. */
export function defaultRepoPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.P2PCDN_HOST_REPO) return resolve(env.P2PCDN_HOST_REPO)
  const data = env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(data, 'p2pcdn', 'host')
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The pid in `<repo>/repo.lock` if that process is alive, else undefined. */
export async function lockHolder(repo: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(join(repo, 'repo.lock'), 'utf8'), 10)
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

async function acquireLock(repo: string): Promise<() => Promise<void>> {
  const file = join(repo, 'repo.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644)
      await handle.writeFile(String(process.pid))
      await handle.close()
      return async () => {
        await rm(file, { force: true })
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw errors.repoUnusable(repo, err)
      const holder = await lockHolder(repo)
      if (holder !== undefined && holder !== process.pid) throw errors.repoLocked(repo, holder)
      // A host killed with kill -9 left its lock behind: take the repo over.
      await rm(file, { force: true })
    }
  }
  throw errors.repoUnusable(repo, new Error('the lock file keeps coming back'))
}

/** Creates the repo if the folder is new or empty, checks it otherwise. */
export async function initRepo(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 })
    const entries = await readdir(path)
    if (entries.includes('repo.json')) {
      const meta = JSON.parse(await readFile(join(path, 'repo.json'), 'utf8')) as { version?: unknown }
      if (meta.version !== REPO_VERSION) {
        throw new Error(
          `repo.json has layout version ${String(meta.version)}, this p2pcdn reads ${REPO_VERSION}`,
        )
      }
      return
    }
    if (entries.some((name) => !name.startsWith('.'))) throw errors.repoNotARepo(path)
    await writeFileAtomic(join(path, 'repo.json'), `${JSON.stringify({ version: REPO_VERSION }, null, 2)}\n`)
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_REPO') throw err
    throw errors.repoUnusable(path, err)
  }
}

/**
 * Opens (creating when new) a host repo: the block and data stores, the lock, an empty `tmp/`.
 */
export async function openRepo(path: string, options: OpenRepoOptions = {}): Promise<HostRepo> {
  const repo = resolve(path)
  await initRepo(repo)
  const release = options.lock === false ? async () => {} : await acquireLock(repo)
  try {
    const tmpDir = join(repo, 'tmp')
    if (options.lock !== false) {
      // Uploads a killed host was checking: never pinned, so nothing refers to them.
      await rm(tmpDir, { recursive: true, force: true })
      await mkdir(tmpDir, { recursive: true })
    }
    const blockstore = await QuotaBlockstore.open(join(repo, 'blocks'), options.storageMax ?? 0)
    const datastore = new LevelDatastore(join(repo, 'datastore'))
    await datastore.open()
    return {
      path: repo,
      blockstore,
      datastore,
      tmpDir,
      async close() {
        await blockstore.close()
        await datastore.close()
        if (options.lock !== false) await rm(join(repo, 'api'), { force: true })
        await release()
      },
    }
  } catch (err) {
    await release()
    if ((err as { code?: string }).code?.startsWith('ERR_REPO')) throw err
    throw errors.repoUnusable(repo, err)
  }
}

/** What a running host writes to `<repo>/api`. */
export interface RunningHostInfo {
  pid: number
  url: string
}

export async function writeApiFile(repo: string, info: RunningHostInfo): Promise<void> {
  await writeFileAtomic(join(repo, 'api'), `${JSON.stringify(info)}\n`)
}

/** The running host's HTTP address from `<repo>/api`, if that host is alive. */
export async function readApiFile(repo: string): Promise<RunningHostInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(join(resolve(repo), 'api'), 'utf8')) as RunningHostInfo
    return isAlive(info.pid) ? info : undefined
  } catch {
    return undefined
  }
}
