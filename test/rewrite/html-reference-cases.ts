/**
 * Tables for test/rewrite/html-references.test.ts. Each row: sample markup and
 * every reference expected from it, in source order, as
 * `[label, url]` (the source slice is the URL itself) or `[label, url, slice]`.
 * A label is `element attribute [descriptor]` or `css origin syntax`.
 */
export type Found = [label: string, url: string, slice?: string]
export interface Row {
  name: string
  html: string
  found: Found[]
}

/** One row per item of issue 3's coverage list. */
export const COVERAGE: Row[] = [
  { name: 'img src', html: '<img src="a.png" alt="x">', found: [['img src', 'a.png']] },
  {
    name: 'img srcset',
    html: '<img srcset="a.png 1x, b.png 2x">',
    found: [
      ['img srcset 1x', 'a.png'],
      ['img srcset 2x', 'b.png'],
    ],
  },
  {
    name: 'picture > source srcset',
    html: '<picture><source srcset="a.webp 480w, b.webp 960w" type="image/webp"><img src="c.png"></picture>',
    found: [
      ['source srcset 480w', 'a.webp'],
      ['source srcset 960w', 'b.webp'],
      ['img src', 'c.png'],
    ],
  },
  {
    name: 'video > source src',
    html: '<video><source src="a.mp4"></video>',
    found: [['source src', 'a.mp4']],
  },
  {
    name: 'audio > source src',
    html: '<audio><source src="a.ogg"></audio>',
    found: [['source src', 'a.ogg']],
  },
  { name: 'stray source (no fetch)', html: '<div><source src="a.mp4" srcset="b.png"></div>', found: [] },
  {
    name: 'video src and poster',
    html: '<video src="a.mp4" poster="p.jpg"></video>',
    found: [
      ['video src', 'a.mp4'],
      ['video poster', 'p.jpg'],
    ],
  },
  { name: 'audio src', html: '<audio src="a.mp3"></audio>', found: [['audio src', 'a.mp3']] },
  {
    name: 'track src',
    html: '<video><track src="c.vtt" kind="captions"></video>',
    found: [['track src', 'c.vtt']],
  },
  {
    name: 'input type=image src',
    html: '<input type="Image" src="a.png"><input type="text" src="b.png"><input src="c.png">',
    found: [['input src', 'a.png']],
  },
  { name: 'embed src', html: '<embed src="a.swf">', found: [['embed src', 'a.swf']] },
  { name: 'object data', html: '<object data="a.svg"></object>', found: [['object data', 'a.svg']] },
  { name: 'link rel=icon', html: '<link rel="icon" href="f.png">', found: [['link href', 'f.png']] },
  {
    name: 'link rel="shortcut icon"',
    html: '<link rel="SHORTCUT\tIcon" href="f.ico">',
    found: [['link href', 'f.ico']],
  },
  {
    name: 'link rel=apple-touch-icon',
    html: '<link rel=apple-touch-icon href=t.png>',
    found: [['link href', 't.png']],
  },
  {
    name: 'link rel=apple-touch-icon-precomposed',
    html: '<link rel="apple-touch-icon-precomposed" href="t.png">',
    found: [['link href', 't.png']],
  },
  {
    name: 'link rel=mask-icon',
    html: '<link rel="mask-icon" href="m.svg">',
    found: [['link href', 'm.svg']],
  },
  {
    name: 'link rel=preload with imagesrcset',
    html: '<link rel="preload" as="image" href="a.png" imagesrcset="a.png 1x, b.png 2x">',
    found: [
      ['link href', 'a.png'],
      ['link imagesrcset 1x', 'a.png'],
      ['link imagesrcset 2x', 'b.png'],
    ],
  },
  {
    name: 'link rel=modulepreload',
    html: '<link rel="modulepreload" href="m.js">',
    found: [['link href', 'm.js']],
  },
  { name: 'link rel=prefetch', html: '<link rel="prefetch" href="n.js">', found: [['link href', 'n.js']] },
  {
    name: 'link rel=stylesheet',
    html: '<link rel="stylesheet" href="s.css">',
    found: [['link href', 's.css']],
  },
  {
    name: 'link rel="alternate stylesheet"',
    html: '<link rel="alternate stylesheet" href="p.css">',
    found: [['link href', 'p.css']],
  },
  {
    name: 'link rel=manifest',
    html: '<link rel="manifest" href="m.json">',
    found: [['link href', 'm.json']],
  },
  {
    name: 'link rel=canonical/alternate (not assets)',
    html: '<link rel="canonical" href="/x"><link rel="alternate" href="/y"><link href="/z">',
    found: [],
  },
  { name: 'script src', html: '<script src="app.js"></script>', found: [['script src', 'app.js']] },
  {
    name: 'SVG image href and xlink:href',
    html: '<svg><image href="a.png"/><image xlink:href="b.png"/></svg>',
    found: [
      ['image href', 'a.png'],
      ['image xlink:href', 'b.png'],
    ],
  },
  {
    name: 'SVG use href and xlink:href',
    html: '<svg><use href="s.svg#a"/><use xlink:href="s.svg#b"/></svg>',
    found: [
      ['use href', 's.svg#a'],
      ['use xlink:href', 's.svg#b'],
    ],
  },
  {
    name: 'SVG feImage href',
    html: '<svg><filter><feImage href="f.png"/><feimage xlink:href="g.png"/></filter></svg>',
    found: [
      ['feimage href', 'f.png'],
      ['feimage xlink:href', 'g.png'],
    ],
  },
  { name: 'SVG a href (not an asset)', html: '<svg><a href="/page"><text>x</text></a></svg>', found: [] },
  ...[
    'og:image',
    'og:image:url',
    'og:image:secure_url',
    'og:video',
    'og:audio',
    'twitter:image',
    'twitter:image:src',
  ].map(
    (property): Row => ({
      name: `meta ${property}`,
      html: `<meta ${property.startsWith('og:') ? 'property' : 'name'}="${property}" content="https://x.test/i.png">`,
      found: [['meta content', 'https://x.test/i.png']],
    }),
  ),
  { name: 'meta description (not an asset)', html: '<meta name="description" content="a.png">', found: [] },
  {
    name: 'template contents',
    html: '<template><img src="t.png"><div style="background:url(u.png)"></div></template>',
    found: [
      ['img src', 't.png'],
      ['css style-attribute url', 'u.png'],
    ],
  },
  {
    name: 'style element url()',
    html: '<style>.a { background: url("a.png") } @import "b.css";</style>',
    found: [
      ['css style-element url', 'a.png'],
      ['css style-element import', 'b.css'],
    ],
  },
  {
    name: 'style attribute url()',
    html: '<div style="background-image: url(a.png)"></div>',
    found: [['css style-attribute url', 'a.png']],
  },
]

/** Markup variations: case, quoting, character references, newlines, `/>`, duplicates. */
export const SYNTAX: Row[] = [
  {
    name: 'upper-case tags and attributes',
    html: '<IMG SRC="a.png" SrcSet="b.png 2x"><LINK REL=STYLESHEET HREF=s.css>',
    found: [
      ['img src', 'a.png'],
      ['img srcset 2x', 'b.png'],
      ['link href', 's.css'],
    ],
  },
  { name: 'double quotes', html: '<img src="a b.png">', found: [['img src', 'a b.png']] },
  { name: 'single quotes', html: `<img src='a"b.png'>`, found: [['img src', 'a"b.png']] },
  { name: 'unquoted', html: '<img src=a.png alt=x>', found: [['img src', 'a.png']] },
  { name: 'unquoted before />', html: '<img src=a.png/>', found: [['img src', 'a.png/']] },
  { name: 'quoted before />', html: '<img src="a.png"/>', found: [['img src', 'a.png']] },
  { name: 'spaces around =', html: '<img src = "a.png" >', found: [['img src', 'a.png']] },
  {
    name: 'newlines inside the tag',
    html: '<img\n  alt="x"\n  src="a.png"\n/>',
    found: [['img src', 'a.png']],
  },
  { name: 'whitespace around the value', html: '<img src=" \n a.png \t">', found: [['img src', 'a.png']] },
  {
    name: 'CRLF inside the value',
    html: '<img src="a\r\nb.png">',
    found: [['img src', 'a\nb.png', 'a\r\nb.png']],
  },
  {
    name: 'named reference',
    html: '<img src="a.png?x=1&amp;y=2">',
    found: [['img src', 'a.png?x=1&y=2', 'a.png?x=1&amp;y=2']],
  },
  {
    name: 'numeric references, first and last characters encoded',
    html: '<img src="&#97;/b&#x2F;c&#X2e;png">',
    found: [['img src', 'a/b/c.png', '&#97;/b&#x2F;c&#X2e;png']],
  },
  {
    name: 'legacy reference without semicolon',
    html: '<img src="a.png?x&copy">',
    found: [['img src', 'a.png?x©', 'a.png?x&copy']],
  },
  {
    name: 'attribute rules keep &ampx and &amp= as written',
    html: '<img src="a.png?b=1&ampx=2&amp=3">',
    found: [['img src', 'a.png?b=1&ampx=2&amp=3']],
  },
  {
    name: 'reference as the whitespace around the value',
    html: '<img src="&#32;a.png&#x20;">',
    found: [['img src', 'a.png']],
  },
  {
    name: 'style attribute with &quot; quotes (mapped through the decoding)',
    html: '<div style="background:url(&quot;a&amp;b.png&quot;)">',
    found: [['css style-attribute url', 'a&b.png', 'a&amp;b.png']],
  },
  {
    name: 'duplicate attributes: the first wins',
    html: '<img src="a.png" SRC="b.png" src=c.png>',
    found: [['img src', 'a.png']],
  },
  { name: 'empty values are skipped', html: '<img src="" srcset=" , "><script src=" "></script>', found: [] },
  { name: 'HTML <image> is read as img', html: '<image src="a.png">', found: [['img src', 'a.png']] },
  {
    name: 'img inside SVG breaks out to HTML',
    html: '<svg><img src="a.png"></svg>',
    found: [['img src', 'a.png']],
  },
  {
    name: 'data: and external URLs are included',
    html: '<img src="data:image/png;base64,AAAA" srcset="https://cdn.test/a.png 2x">',
    found: [
      ['img src', 'data:image/png;base64,AAAA'],
      ['img srcset 2x', 'https://cdn.test/a.png'],
    ],
  },
  {
    name: 'attributes after a missing value',
    html: '<img alt= src="a.png">',
    found: [],
  },
  {
    name: 'missing whitespace between attributes',
    html: '<img alt="x"src="a.png">',
    found: [['img src', 'a.png']],
  },
  {
    name: 'slash between attributes',
    html: '<img/src="a.png"/alt="x">',
    found: [['img src', 'a.png']],
  },
  {
    name: 'SVG style with CDATA',
    html: '<svg><style><![CDATA[ .a { fill: url(#g) } ]]></style></svg>',
    found: [['css style-element url', '#g']],
  },
]

/** `srcset` per the HTML standard's parsing rules; `[url, descriptor, slice?]`. */
export const SRCSET: {
  name: string
  srcset: string
  found: [url: string, descriptor?: string, slice?: string][]
}[] = [
  { name: 'no descriptor', srcset: 'a.png', found: [['a.png']] },
  {
    name: 'commas without spaces',
    srcset: 'a.png 1x,b.png 2x',
    found: [
      ['a.png', '1x'],
      ['b.png', '2x'],
    ],
  },
  {
    name: 'a comma inside a URL',
    srcset: 'a,b.png 1x, c.png 2x',
    found: [
      ['a,b.png', '1x'],
      ['c.png', '2x'],
    ],
  },
  { name: 'no space: one URL', srcset: 'a.png,b.png', found: [['a.png,b.png']] },
  { name: 'trailing commas end the URL', srcset: 'a.png,, b.png,', found: [['a.png'], ['b.png']] },
  {
    name: 'leading and repeated commas',
    srcset: ' ,, a.png 1x ,,, b.png',
    found: [['a.png', '1x'], ['b.png']],
  },
  {
    name: 'tabs and newlines',
    srcset: '\n\ta.png\n\t1x,\n\tb.png\t2x\n',
    found: [
      ['a.png', '1x'],
      ['b.png', '2x'],
    ],
  },
  { name: 'width and height descriptors', srcset: 'a.png 100w 50h', found: [['a.png', '100w 50h']] },
  {
    name: 'parentheses keep commas in a descriptor',
    srcset: 'a.png 1x (x, y), b.png 2x',
    found: [
      ['a.png', '1x (x, y)'],
      ['b.png', '2x'],
    ],
  },
  {
    name: 'data: URI with commas',
    srcset: 'data:image/svg+xml,%3Csvg%3E,%3C/svg%3E 1x, b.png 2x',
    found: [
      ['data:image/svg+xml,%3Csvg%3E,%3C/svg%3E', '1x'],
      ['b.png', '2x'],
    ],
  },
  {
    name: 'character references in a candidate',
    srcset: 'a.png?x=1&amp;y=2 1x, b&#44;c.png 2x',
    found: [
      ['a.png?x=1&y=2', '1x', 'a.png?x=1&amp;y=2'],
      ['b,c.png', '2x', 'b&#44;c.png'],
    ],
  },
  {
    name: 'encoded separators',
    srcset: 'a.png&#32;1x&#44;&#32;b.png',
    found: [['a.png', '1x'], ['b.png']],
  },
]

/** Places whose text must never be reported. */
export const NOTHING: { name: string; html: string }[] = [
  { name: 'comment', html: '<!-- <img src="a.png"> <style>a{background:url(b.png)}</style> -->' },
  { name: 'bogus comment', html: '<! <img src="a.png"> ><?php <img src="b.png"> ?>' },
  { name: 'script body', html: '<script>document.write(\'<img src="a.png">\'); x = "url(b.png)"</script>' },
  {
    name: 'script body with an escaped <!--',
    html: '<script><!-- <script> </script> <img src="a.png"> --></script>',
  },
  { name: 'textarea text', html: '<textarea><img src="a.png"></textarea>' },
  { name: 'title text', html: '<title><img src="a.png"> url(b.png)</title>' },
  {
    name: 'noscript (read as text: the fallback runtime needs scripts)',
    html: '<noscript><img src="a.png"></noscript>',
  },
  {
    name: 'attribute-looking text',
    html: '<p>src="a.png" srcset="b.png 2x" style="background:url(c.png)"</p>',
  },
  { name: 'other raw text', html: '<xmp><img src="a.png"></xmp><noembed><img src="b.png"></noembed>' },
  { name: 'an iframe is a document, not an asset', html: '<iframe src="page.html"></iframe>' },
  { name: 'an end tag with attributes', html: '<p></p src="a.png">' },
  { name: 'a tag cut off by the end of input', html: '<img src="a.png"' },
  { name: 'plaintext', html: '<plaintext><img src="a.png">' },
]
