/**
 * `siteIdentity()`: the default pin name must tell two sites apart and stay the same for one site
 * wherever it is published from. Repositories here are folders with a `.git/config` written by
 * hand, as `git clone` leaves them (a directory), and as `git worktree add` does (a `.git` file).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { normaliseRemote, siteIdentity } from '../../src/push/site-identity.js'
import { tempDirs } from '../helpers/fs.js'

const dirs = tempDirs()
afterAll(() => dirs.cleanup())

/** A clone of a repository whose `origin` remote is `url`. */
async function clone(url: string, label = 'clone'): Promise<string> {
  const root = await dirs.make(label)
  await fs.mkdir(path.join(root, '.git'))
  await fs.writeFile(
    path.join(root, '.git', 'config'),
    `[core]\n\trepositoryformatversion = 0\n[remote "upstream"]\n\turl = https://example.org/other.git\n[remote "origin"]\n\turl = ${url}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch "main"]\n\tremote = origin\n`,
  )
  return root
}

describe('normaliseRemote', () => {
  it.each([
    ['git@github.com:acme/blog.git', 'github.com/acme/blog'],
    ['https://github.com/acme/blog', 'github.com/acme/blog'],
    ['https://x-access-token:secret@GitHub.com/acme/blog.git/', 'github.com/acme/blog'],
    ['ssh://git@github.com:22/acme/blog.git', 'github.com/acme/blog'],
    [
      'https://gitlab-ci-token:secret@gitlab.example.com/group/sub/site.git',
      'gitlab.example.com/group/sub/site',
    ],
    ['/srv/git/site.git', 'srv/git/site'],
  ])('%s → %s', (url, expected) => {
    expect(normaliseRemote(url)).toBe(expected)
  })
})

describe('siteIdentity', () => {
  const origin = 'https://www.example.com'
  it('is the same for an SSH and a CI (HTTPS, token) clone of one repository, wherever they are', async () => {
    const laptop = await clone('git@github.com:acme/blog.git')
    const ci = await clone('https://x-access-token:secret@github.com/acme/blog')
    // The output does not exist yet in the fresh clone; cwd (the config's folder) does not matter.
    await fs.mkdir(path.join(laptop, 'dist-p2p'))
    const a = siteIdentity({ folder: path.join(laptop, 'dist-p2p'), cwd: laptop, origin })
    const b = siteIdentity({ folder: path.join(ci, 'dist-p2p'), cwd: path.join(ci, 'site'), origin })
    expect(a).toMatchObject({ repository: 'github.com/acme/blog', path: 'dist-p2p', origin })
    expect(b.id).toBe(a.id)
    expect(b.name).toBe(a.name)
    expect(a.name).toBe(`www.example.com-${a.id.slice(0, 8)}`)
    expect(JSON.stringify(b)).not.toContain('secret')
  })

  it('differs for another repository, another folder in it, or another origin', async () => {
    const repo = await clone('git@github.com:acme/blog.git')
    const other = await clone('git@github.com:acme/docs.git')
    const base = siteIdentity({ folder: path.join(repo, 'dist-p2p'), cwd: repo, origin })
    const ids = [
      siteIdentity({ folder: path.join(other, 'dist-p2p'), cwd: other, origin }),
      siteIdentity({ folder: path.join(repo, 'docs', 'dist-p2p'), cwd: repo, origin }),
      siteIdentity({ folder: path.join(repo, 'dist-p2p'), cwd: repo, origin: 'https://blog.example.com' }),
      siteIdentity({ folder: path.join(repo, 'dist-p2p'), cwd: repo }),
    ].map((identity) => identity.id)
    expect(new Set([base.id, ...ids]).size).toBe(5)
  })

  it('finds the repository of a worktree through its `.git` file and `commondir`', async () => {
    const main = await clone('git@github.com:acme/blog.git')
    const gitDir = path.join(main, '.git', 'worktrees', 'feature')
    await fs.mkdir(gitDir, { recursive: true })
    await fs.writeFile(path.join(gitDir, 'commondir'), '../..\n')
    const worktree = await dirs.make('worktree')
    await fs.writeFile(path.join(worktree, '.git'), `gitdir: ${gitDir}\n`)
    const inMain = siteIdentity({ folder: path.join(main, 'dist-p2p'), cwd: main, origin })
    const inWorktree = siteIdentity({ folder: path.join(worktree, 'dist-p2p'), cwd: worktree, origin })
    expect(inWorktree.repository).toBe('github.com/acme/blog')
    expect(inWorktree.id).toBe(inMain.id)
  })

  it('outside a repository, takes the path from cwd (the config file’s folder)', async () => {
    const project = await dirs.make('no-git')
    const moved = await dirs.make('no-git-moved')
    const a = siteIdentity({ folder: path.join(project, 'out', 'site'), cwd: project })
    const b = siteIdentity({ folder: path.join(moved, 'out', 'site'), cwd: moved })
    expect(a).toMatchObject({ repository: undefined, path: 'out/site', origin: undefined })
    expect(a.name).toBe(`site-${a.id.slice(0, 8)}`)
    expect(b.id).toBe(a.id)
  })
})
