/**
 * `engines` tells the truth (issue 13, item 9): every package that `npm ci` installs accepts every
 * Node version that p2pcdn's own `engines` accepts, so `npm ci` prints no EBADENGINE on a supported
 * Node. A dependency that raises its floor past ours fails here, before a user sees the warning.
 */
import fs from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import { describe, expect, it } from 'vitest'
import { ROOT } from './helpers/fs.js'

interface LockEntry {
  version?: string
  engines?: { node?: string } | string[]
  optional?: boolean
}

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string }
}
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>
}

describe('engines', () => {
  it('p2pcdn states a Node range, and this Node is in it', () => {
    expect(semver.validRange(pkg.engines.node)).not.toBeNull()
    expect(semver.satisfies(process.versions.node, pkg.engines.node)).toBe(true)
  })

  it('every installed package accepts every Node version p2pcdn accepts', () => {
    const ours = pkg.engines.node
    const refusing: string[] = []
    for (const [where, entry] of Object.entries(lock.packages)) {
      if (where === '' || entry.optional) continue
      const theirs = Array.isArray(entry.engines) ? undefined : entry.engines?.node
      if (theirs === undefined || semver.validRange(theirs) === null) continue
      if (!semver.subset(ours, theirs, { includePrerelease: false })) {
        refusing.push(`${where.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${theirs}`)
      }
    }
    expect(refusing, `engines.node is "${ours}"`).toEqual([])
  })
})
