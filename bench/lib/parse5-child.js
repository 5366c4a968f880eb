#!/usr/bin/env node
/**
 * Child process of the rewrite bench: reads the HTML pages of a site folder
 * (the paths on stdin, one per line) and, with `--parse`, parses and
 * serialises each once with parse5, as a fresh process that touches each page
 * once does: the parse5 counterpart of publish's rewrite cost, measured cold.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'

const [dir, mode] = process.argv.slice(2)
const files = readFileSync(0, 'utf8').split('\n').filter(Boolean)
const parse5 = mode === '--parse' ? await import('parse5') : undefined
let bytes = 0
for (const file of files) {
  const html = readFileSync(path.join(dir, file), 'utf8')
  bytes += html.length
  if (parse5) parse5.serialize(parse5.parse(html))
}
process.stdout.write(`${JSON.stringify({ pages: files.length, bytes })}\n`)
