import { describe, expect, it } from 'vitest'
import type { PublishedAsset, RewriteContext } from '../../src/rewrite/plan-reference.js'
import { rewriteScript } from '../../src/rewrite/rewrite-script.js'
import { escapeScriptString, scanScript } from '../../src/rewrite/script-references.js'

const PHOTO = 'bafkreidqqfxcgnrtmborwekfajsa2bp6cxyhvlm7iph7mnmyipgfuaqrm4'
const BADGE = 'bafkreig27mcachpilum5jafus3buv3q3av3v77ki7fnxltw7ahkd3ghsvu'
const DATA = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const asset = (cid: string): PublishedAsset => ({ cid, integrity: 'sha256-x' })

function context(documentPath = 'assets/index-1a2b.js'): RewriteContext {
  return {
    documentPath,
    origins: ['https://www.example.com'],
    assets: new Map([
      ['assets/photo-3f2a.png', asset(PHOTO)],
      ['assets/badge-9c1d.png', asset(BADGE)],
      ['assets/data-77aa.json', asset(DATA)],
      ['assets/more-5e6f.js', asset(DATA)],
      ['photo-root.png', asset(PHOTO)],
    ]),
    link: { format: 'path', gateway: 'https://gw.example.com' },
  }
}
const photoLink = (name = 'photo-3f2a.png') => `https://gw.example.com/ipfs/${PHOTO}?filename=${name}`
const badgeLink = `https://gw.example.com/ipfs/${BADGE}?filename=badge-9c1d.png`

describe('rewriteScript', () => {
  // Each row: a script as a bundler writes it, and the script after the rewrite.
  const cases: [string, string, string][] = [
    ['Vite (base /)', 'var e="/assets/photo-3f2a.png";', `var e="${photoLink()}";`],
    ['Vite 8 templates', 'var e=`/assets/photo-3f2a.png`;', `var e=\`${photoLink()}\`;`],
    [
      'Vite new URL with ``+import.meta.url',
      'new URL(`/assets/badge-9c1d.png`,``+import.meta.url).href',
      `new URL(\`${badgeLink}\`,\`\`+import.meta.url).href`,
    ],
    [
      'new URL relative to the script',
      "new URL('badge-9c1d.png', import.meta.url)",
      `new URL('${badgeLink}', import.meta.url)`,
    ],
    ['webpack r.p+"…"', 'e.exports=r.p+"assets/photo-3f2a.png"', `e.exports="${photoLink()}"`],
    [
      'webpack unminified',
      'module.exports = __webpack_require__.p + "photo-3f2a.png";',
      `module.exports = "${photoLink()}";`,
    ],
    ['esbuild file loader', 'var r="./photo-3f2a.png";', `var r="${photoLink()}";`],
    ['@rollup/plugin-url, bare', "var photo = 'photo-3f2a.png';", `var photo = '${photoLink()}';`],
    [
      'own origin, absolute',
      'x="https://www.example.com/photo-root.png"',
      `x="${photoLink('photo-root.png')}"`,
    ],
    ['query and fragment kept', 'x="/assets/photo-3f2a.png?v=2#a"', `x="${photoLink()}&v=2#a"`],
    ['escapes in the string', 'x="\\/assets\\/photo-3f2a.png"', `x="${photoLink()}"`],
  ]
  it.each(cases)('%s', (_, input, output) => {
    const result = rewriteScript(input, context())
    expect(result.code).toBe(output)
    expect(result.rewritten).toHaveLength(1)
    // Pure and idempotent: a second pass changes nothing.
    expect(rewriteScript(result.code, context()).code).toBe(result.code)
  })

  const untouched: [string, string][] = [
    ['a file that is not image, audio or video', 'fetch("/assets/data-77aa.json")'],
    ['a script chunk', 'var c="/assets/more-5e6f.js"'],
    ['a dynamic import', 'import("./more-5e6f.js")'],
    ['a file the site does not have', 'x="/assets/gone.png"'],
    ['another origin', 'x="https://cdn.example.net/assets/photo-3f2a.png"'],
    ['a comment', '// "/assets/photo-3f2a.png"\nx=1'],
    ['a regular expression', 'x=/\\/assets\\/photo-3f2a.png"/.test(y)'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the script's text holds a template
    ['a template with substitutions', 'x=`/assets/${name}.png`'],
    ['a property name', 'x.photo'],
    ['a data: URL', 'x="data:image/png;base64,AAAA"'],
  ]
  it.each(untouched)('leaves alone %s', (_, input) => {
    const result = rewriteScript(input, context())
    expect(result.code).toBe(input)
    expect(result.rewritten).toEqual([])
    expect(result.warnings).toEqual([])
  })

  it('rewrites every reference in a script, and reports them by line', () => {
    const code =
      'const a = "/assets/photo-3f2a.png"\nconst b = new URL("./badge-9c1d.png", import.meta.url)\n'
    const result = rewriteScript(code, context())
    expect(result.rewritten.map((r) => [r.path, r.line])).toEqual([
      ['assets/photo-3f2a.png', 1],
      ['assets/badge-9c1d.png', 2],
    ])
    expect(result.edits).toHaveLength(2)
  })

  describe('portable: can the script itself run from an IPFS link', () => {
    const portable: [string, string, boolean][] = [
      ['no imports', 'document.body.append("x")', true],
      ['an import by absolute URL', 'import x from "https://esm.example.com/x.js"', true],
      ['all its new URL(…, import.meta.url) rewritten', 'new URL("./badge-9c1d.png", import.meta.url)', true],
      ['a relative static import', 'import { x } from "./more-5e6f.js"', false],
      ['a root-relative side-effect import', 'import "/assets/more-5e6f.js"', false],
      ['a relative re-export', 'export * from "./more-5e6f.js"', false],
      ['a dynamic import', 'import("./more-5e6f.js")', false],
      ['a computed dynamic import', 'import(name)', false],
      ['import.meta left', 'new URL("./worker.js", import.meta.url)', false],
      ["webpack's publicPath: 'auto'", 'r.p=document.currentScript.src', false],
    ]
    it.each(portable)('%s → %s', (_, code, expected) => {
      expect(rewriteScript(code, context()).portable).toBe(expected)
    })
  })

  it('warns about a file that is not JavaScript, names it, and changes nothing', () => {
    // An unterminated string: no tokenizer reads past it.
    const code = 'x = "/assets/photo-3f2a.png" + "unterminated\ny = 1'
    const result = rewriteScript(code, context())
    expect(result.code).toBe(code)
    expect(result.portable).toBe(false)
    expect(result.warnings).toEqual([
      expect.objectContaining({ code: 'W_SCRIPT_SYNTAX', path: 'assets/index-1a2b.js', line: 1 }),
    ])
  })

  it('reads a classic script that is not a valid module (an HTML comment)', () => {
    const result = rewriteScript('<!-- old\nx = "/assets/photo-3f2a.png"', context())
    expect(result.code).toBe(`<!-- old\nx = "${photoLink()}"`)
  })

  it('finds the last sourceMappingURL comment', () => {
    const scan = scanScript('x=1\n//# sourceMappingURL=old.js.map\n//# sourceMappingURL=index-1a2b.js.map\n')
    expect(scan.sourceMappingUrl).toBe('index-1a2b.js.map')
  })
})

describe('escapeScriptString', () => {
  it.each([
    ['a"b', '"', 'a\\"b'],
    ["a'b", "'", "a\\'b"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text to escape holds `${`
    ['a`${b}', '`', 'a\\`\\${b}'],
    ['a\\b\nc', '"', 'a\\\\b\\nc'],
  ] as const)('%j in %s', (text, quote, expected) => {
    expect(escapeScriptString(text, quote)).toBe(expected)
    // What a JavaScript engine reads back is the text itself.
    expect(new Function(`return ${quote}${expected}${quote}`)()).toBe(text)
  })
})
