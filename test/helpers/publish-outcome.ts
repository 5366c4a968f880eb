/**
 * Checks on what a publish run left behind, shared by the bad-input tests.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'vitest'
import { CAR_FILE, IPNS_RECORD_FILE, MANIFEST_FILE, type ProfileName } from '../../src/constants.js'
import { cidOfPath } from '../../src/import/cid-of-path.js'
import type { Manifest } from '../../src/manifest/write-manifest.js'
import { leftovers, tempDirs } from './fs.js'

/** Writes `files` (relative path → content) under `root`, creating folders as needed. */
export async function writeFiles(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel)
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, content)
  }
}

const exists = (p: string) =>
  fs.lstat(p).then(
    () => true,
    () => false,
  )

/**
 * Asserts a failed publish wrote nothing: no output folder `out`, and no temporary
 * (`.p2pcdn-tmp-*`) or swapped-out (`.p2pcdn-old-*`) folder beside it.
 */
export async function expectNothingWritten(out: string): Promise<void> {
  expect(await exists(out), `the output folder ${out} should not exist`).toBe(false)
  const parent = path.dirname(out)
  expect(
    (await exists(parent)) ? await leftovers(parent) : [],
    `temporary folders left in ${parent}`,
  ).toEqual([])
}

/** Reads `p2pcdn-manifest.json` from an output folder. */
export async function readManifest(out: string): Promise<Manifest> {
  return JSON.parse(await fs.readFile(path.join(out, MANIFEST_FILE), 'utf8')) as Manifest
}

/**
 * `cidOfPath` of a copy of the output folder without `p2pcdn-manifest.json` (and an old `p2pcdn.car`):
 * what `ipfs add -r` gives for the published site.
 */
export async function cidOfOutputCopy(out: string, profile: ProfileName): Promise<string> {
  const temp = tempDirs()
  try {
    const copy = path.join(await temp.make('output-copy'), 'site')
    const own = new Set([CAR_FILE, MANIFEST_FILE, IPNS_RECORD_FILE].map((name) => path.join(out, name)))
    await fs.cp(out, copy, { recursive: true, verbatimSymlinks: true, filter: (source) => !own.has(source) })
    return (await cidOfPath(copy, { profile })).toString()
  } finally {
    await temp.cleanup()
  }
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected the promise to reject, but it resolved')
}
