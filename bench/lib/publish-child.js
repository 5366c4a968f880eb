#!/usr/bin/env node
/**
 * One publish run in its own process, so its peak RSS is its own:
 *
 *   node bench/lib/publish-child.js --dir <site> --out <out> --cache-dir <cache>
 *                                   [--gateway <url>] [--car <file>]
 *
 * Prints one JSON object on stdout: the publish result's figures, the
 * process's peak RSS and CPU time, and a step timeline (scan, open, copy,
 * import, root, car, commit, close) built from publish's progress events.
 * Two edges are not events, so fs calls are wrapped to note them (a few
 * microseconds per file, far below the noise): the copy (first
 * `fs.promises.copyFile` starts to last one ends) and the start of the
 * import (the first read of a site file through `fs.promises.readFile` or
 * `fs.createReadStream`). Copy and import may overlap: publish may run them
 * side by side.
 */
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const loadStarted = performance.now()
// P2PCDN_BENCH_DIST: another build's dist/src/index.js, to compare two versions on the same data.
const { publish } = await import(
  process.env.P2PCDN_BENCH_DIST
    ? pathToFileURL(process.env.P2PCDN_BENCH_DIST).href
    : '../../dist/src/index.js'
)
const loadMs = performance.now() - loadStarted

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    out: { type: 'string' },
    'cache-dir': { type: 'string' },
    // pages rewritten into IPFS links on this gateway (origin https://www.example.com)
    gateway: { type: 'string' },
    car: { type: 'string' },
  },
})
if (!values.dir || !values.out || !values['cache-dir']) {
  process.stderr.write('usage: publish-child.js --dir <site> --out <out> --cache-dir <cache>\n')
  process.exit(2)
}

const marks = {}
const mark = (name) => {
  marks[name] = performance.now()
}
const markFirst = (name) => {
  if (marks[name] === undefined) mark(name)
}

const copyFile = fs.promises.copyFile
fs.promises.copyFile = async (...args) => {
  markFirst('copyStart')
  try {
    return await copyFile(...args)
  } finally {
    mark('copyEnd')
  }
}
const siteDir = `${path.resolve(values.dir)}${path.sep}`
const fromSite = (file) => typeof file === 'string' && path.resolve(file).startsWith(siteDir)
const readFile = fs.promises.readFile
fs.promises.readFile = (file, ...rest) => {
  if (fromSite(file)) markFirst('readStart')
  return readFile(file, ...rest)
}
const createReadStream = fs.createReadStream
fs.createReadStream = (file, ...rest) => {
  if (fromSite(file)) markFirst('readStart')
  return createReadStream(file, ...rest)
}
// Named imports of node:fs (`import { createReadStream } from 'node:fs'`) follow the patch.
syncBuiltinESMExports()

let carBlocks = 0
const onProgress = (event) => {
  switch (event.type) {
    case 'p2pcdn:scan:done':
      mark('scanDone')
      break
    case 'p2pcdn:import:file':
      markFirst('importFirst')
      mark('importLast')
      break
    case 'p2pcdn:import:root':
      mark('root')
      break
    case 'p2pcdn:car:block':
      carBlocks++
      mark('carLast')
      break
    case 'p2pcdn:output:done':
      mark('outputDone')
      break
  }
}

mark('start')
const result = await publish({
  dir: values.dir,
  out: values.out,
  cacheDir: values['cache-dir'],
  ...(values.gateway ? { gateway: values.gateway, origin: 'https://www.example.com' } : { rewrite: false }),
  ...(values.car ? { car: values.car } : {}),
  onProgress,
})
mark('end')

/** Milliseconds between two marks (names or times), or null when one is missing. */
const at = (m) => (typeof m === 'number' ? m : marks[m])
const span = (from, to) =>
  at(from) === undefined || at(to) === undefined ? null : Math.max(0, at(to) - at(from))
const firstOf = (...names) => {
  const times = names.map((n) => marks[n]).filter((t) => t !== undefined)
  return times.length ? Math.min(...times) : undefined
}
const importStart = firstOf('readStart', 'importFirst')
const carEnd = marks.carLast ?? marks.root
const steps = {
  // checkInput, recovery of interrupted runs, glob, metadata of every file
  scan: span('start', 'scanDone'),
  // the cache's index and the staging folder, until the copy or the import starts
  open: span('scanDone', firstOf('copyStart', 'readStart', 'importFirst') ?? 'scanDone'),
  // copyInto: the site copied into the staging folder (may overlap the import)
  copy: marks.copyStart === undefined ? 0 : span('copyStart', 'copyEnd'),
  // importAssets: index lookups, reading, chunking, hashing (leaves located in the files, not stored)
  import: span(importStart, 'importLast'),
  // the rewrite (when --gateway) and buildSiteRoot: directory blocks
  root: span('importLast', 'root'),
  // writeCar (with --car): every leaf read back from the output's files and hashed, streamed into the CAR
  car: span('root', carEnd),
  // waiting for the copy, manifest, rename into place, removal of the previous output, cache index save
  commit: span(carEnd, 'outputDone'),
  // cache close
  close: span('outputDone', 'end'),
}
// True when the copy was still running once the import had started (publish runs them side by side).
const copyOverlapsImport =
  marks.copyEnd !== undefined && importStart !== undefined && importStart < marks.copyEnd

const usage = process.resourceUsage()
process.stdout.write(
  `${JSON.stringify({
    root: result.root,
    files: result.files,
    bytes: result.bytes,
    imported: result.imported,
    cached: result.cached,
    carBlocks: result.carBlocks,
    carBytes: result.carBytes,
    carBlockEvents: carBlocks,
    durationMs: result.durationMs,
    loadMs,
    steps,
    copyOverlapsImport,
    // process.resourceUsage().maxRSS is in kilobytes
    maxRssBytes: usage.maxRSS * 1024,
    userCpuMs: usage.userCPUTime / 1000,
    systemCpuMs: usage.systemCPUTime / 1000,
    warnings: result.warnings.length,
    rewritten: result.rewritten,
  })}\n`,
)
