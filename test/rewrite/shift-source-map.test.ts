/**
 * A rewritten script's source map, checked against a real one: esbuild
 * minifies a module (one long line, as bundlers ship), the rewrite lengthens
 * its strings, and every identifier after them must still map to the same
 * place in the original source.
 */
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'
import { transform } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { rewriteScript } from '../../src/rewrite/rewrite-script.js'
import { shiftMappings, shiftSourceMap } from '../../src/rewrite/shift-source-map.js'

const SOURCE = `import { more } from './more.js'
const photo = "/assets/photo-3f2a.png"
const badge = new URL('./badge-9c1d.png', import.meta.url).href
export function show(gallery) {
  const img = new Image()
  img.src = photo
  gallery.append(img, badge)
  more(gallery)
}
`

const context = {
  documentPath: 'assets/index.js',
  origins: [],
  assets: new Map([
    [
      'assets/photo-3f2a.png',
      { cid: 'bafkreidqqfxcgnrtmborwekfajsa2bp6cxyhvlm7iph7mnmyipgfuaqrm4', integrity: '' },
    ],
    [
      'assets/badge-9c1d.png',
      { cid: 'bafkreig27mcachpilum5jafus3buv3q3av3v77ki7fnxltw7ahkd3ghsvu', integrity: '' },
    ],
  ]),
  link: { format: 'path' as const, gateway: 'https://gw.example.com' },
}

/** Where each occurrence of `name` in `code` maps to in the original source. */
function origins(code: string, map: string, name: string) {
  const trace = new TraceMap(map)
  const lines = code.split('\n')
  const found: { line: number | null; column: number | null }[] = []
  lines.forEach((text, i) => {
    for (const m of text.matchAll(new RegExp(`\\b${name}\\b`, 'g'))) {
      const { line, column } = originalPositionFor(trace, { line: i + 1, column: m.index ?? 0 })
      found.push({ line, column })
    }
  })
  return found
}

describe('shiftSourceMap', () => {
  it('keeps every name after the rewritten strings mapped to its original place', async () => {
    const built = await transform(SOURCE, { minify: true, format: 'esm', sourcemap: 'external' })
    const result = rewriteScript(built.code, context)
    expect(result.rewritten).toHaveLength(2)
    const shifted = shiftSourceMap(built.map, built.code, result.edits)
    expect(shifted).toBeDefined()
    for (const name of ['Image', 'append', 'href']) {
      const before = origins(built.code, built.map, name)
      const after = origins(result.code, shifted as string, name)
      expect(before.length).toBeGreaterThan(0)
      expect(before.every((p) => p.line !== null)).toBe(true)
      expect(after, name).toEqual(before)
    }
    // And without the shift they would be off: the test can fail.
    expect(origins(result.code, built.map, 'append')).not.toEqual(origins(built.code, built.map, 'append'))
  })

  it('keeps every field but the mappings', async () => {
    const built = await transform(SOURCE, { minify: true, sourcemap: 'external', sourcefile: 'src/main.js' })
    const result = rewriteScript(built.code, context)
    const before = JSON.parse(built.map)
    const after = JSON.parse(shiftSourceMap(built.map, built.code, result.edits) as string)
    expect({ ...after, mappings: '' }).toEqual({ ...before, mappings: '' })
    expect(after.mappings).not.toBe(before.mappings)
  })

  it('leaves an index map or a file that is no source map to the caller', () => {
    expect(shiftSourceMap('{"version":3,"sections":[]}', 'x', [{ start: 0, end: 1, text: 'yy' }])).toBe(
      undefined,
    )
    expect(shiftSourceMap('not json', 'x', [])).toBe(undefined)
  })

  it('moves a mapping inside a replaced range to its start, and later lines not at all', () => {
    // Line 0: segments at columns 0, 5, 10; the edit replaces [4, 8) with 10 characters.
    const mappings = 'AAAA,KAAK,KAAK;AACA'
    const code = 'abcdefghijklmn\nxyz'
    const out = shiftMappings(mappings, code, [{ start: 4, end: 8, text: '0123456789' }])
    expect(out).toBe('AAAA,IAAK,YAAK;AACA')
  })
})
