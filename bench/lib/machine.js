/** What the bench ran on: CPU, memory, the scratch file system, tool versions. */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { versionOf } from './proc.js'

const quiet = (command, args, cwd) => {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

/**
 * The scratch folder's file system, and for ext4 whether it has a journal:
 * without one, ext4 skips inodes deleted in the last minute (or more) when it
 * creates files, which makes file creation slow after mass deletes.
 */
function fileSystemOf(dir) {
  const [type, source] =
    (quiet('df', ['--output=fstype,source', dir]) ?? '').split('\n').pop()?.split(/\s+/) ?? []
  const device = source?.startsWith('/dev/') ? path.basename(source) : undefined
  const journal =
    type === 'ext4' && device && existsSync(`/proc/fs/ext4/${device}`)
      ? existsSync(`/proc/fs/jbd2/${device}-8`)
      : undefined
  return { type, device, journal }
}

export async function machineInfo(work, { repo, ipfsCar }) {
  const cpus = os.cpus()
  const statfs = await fs.statfs(work)
  return {
    hostname: os.hostname(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryBytes: os.totalmem(),
    tmpdir: os.tmpdir(),
    tmpFileSystem: fileSystemOf(work),
    tmpFreeBytes: statfs.bavail * statfs.bsize,
    tools: {
      openssl: versionOf('openssl', ['version']),
      sha256sum: versionOf('sha256sum'),
      ipfsCar: versionOf(ipfsCar, ['--version']),
    },
    p2pcdnCommit: quiet('git', ['rev-parse', '--short', 'HEAD'], repo),
  }
}
