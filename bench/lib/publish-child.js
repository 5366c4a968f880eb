#!/usr/bin/env node
/**
 * One publish run in its own process, so its peak RSS is its own:
 *
 *   node bench/lib/publish-child.js --dir <site> --out <out> --cache-dir <cache>
 *
 * Prints one JSON object on stdout: the publish result's figures, the
 * process's peak RSS and CPU time, and a step timeline (scan, open, copy,
 * import, root, car, commit, close) built from publish's progress events.
 * The copy step is not an event: `fs.promises.copyFile` is wrapped to note
 * when the first copy starts and the last one ends (a few microseconds per
 * file, far below the noise).
 */
import fs from 'node:fs'
import { parseArgs } from 'node:util'

const loadStarted = performance.now()
const { publish } = await import('../../dist/src/index.js')
const loadMs = performance.now() - loadStarted

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    out: { type: 'string' },
    'cache-dir': { type: 'string' },
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
  onProgress,
})
mark('end')

/** Milliseconds between two marks, or null when one is missing. */
const span = (from, to) =>
  marks[from] === undefined || marks[to] === undefined ? null : Math.max(0, marks[to] - marks[from])
const copyEnd = marks.copyEnd ?? marks.scanDone
const steps = {
  // checkInput, recovery of interrupted runs, glob, access + stat of every file
  scan: span('start', 'scanDone'),
  // openBlockCache (index JSON) and the staging folder
  open: span('scanDone', marks.copyStart === undefined ? 'scanDone' : 'copyStart'),
  // copyInto: the whole site copied into the staging folder
  copy: marks.copyStart === undefined ? 0 : span('copyStart', 'copyEnd'),
  // importAssets: stat + cache lookups, reading, chunking, hashing, block writes
  import: marks.importLast === undefined ? null : Math.max(0, marks.importLast - copyEnd),
  // buildSiteRoot: directory blocks
  root: span('importLast', 'root'),
  // writeCar: every block read back, re-hashed and streamed into the CAR
  car: span('root', marks.carLast === undefined ? 'root' : 'carLast'),
  // manifest, rename into place, removal of the previous output, cache index save
  commit: span(marks.carLast === undefined ? 'root' : 'carLast', 'outputDone'),
  // cache close
  close: span('outputDone', 'end'),
}

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
    // process.resourceUsage().maxRSS is in kilobytes
    maxRssBytes: usage.maxRSS * 1024,
    userCpuMs: usage.userCPUTime / 1000,
    systemCpuMs: usage.systemCPUTime / 1000,
    warnings: result.warnings.length,
  })}\n`,
)
