/**
 * A strict XML 1.0 well-formedness check for the report's SVG, with the element tree it parses:
 * one root, matching end tags, quoted and unique attributes, only the five predefined entities and
 * character references, no `<` or stray `&` in text or attribute values. (Enough for our output:
 * no DTD, CDATA or processing instructions besides the XML declaration.)
 */
export interface XmlElement {
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  /** The element's own text, entities decoded. */
  text: string
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y
const SPACE = /[ \t\r\n]*/y
const REFERENCE = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

export function parseXml(source: string): XmlElement {
  let pos = 0
  const fail = (what: string): never => {
    const line = source.slice(0, pos).split('\n').length
    throw new Error(`not well-formed XML at line ${line} (offset ${pos}): ${what}`)
  }
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = pos
    const m = re.exec(source)
    if (!m) return undefined
    pos += m[0].length
    return m[0]
  }
  const space = () => match(SPACE)
  const name = () => match(NAME) ?? fail('a name was expected')
  const decode = (raw: string) =>
    raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_, ref: string) =>
      ref.startsWith('#x')
        ? String.fromCodePoint(Number.parseInt(ref.slice(2), 16))
        : ref.startsWith('#')
          ? String.fromCodePoint(Number(ref.slice(1)))
          : (ENTITIES[ref] as string),
    )
  /** Characters up to `stop`, rejecting `<` and `&` that starts no reference. */
  const chars = (stop: string): string => {
    const start = pos
    while (pos < source.length && !source.startsWith(stop, pos)) {
      const c = source[pos]
      if (c === '<') fail('"<" inside text or an attribute value')
      if (c === '&') {
        if (match(REFERENCE) === undefined) fail('"&" that starts no entity or character reference')
        continue
      }
      pos++
    }
    return decode(source.slice(start, pos))
  }
  const comments = () => {
    for (;;) {
      space()
      if (!source.startsWith('<!--', pos)) return
      const end = source.indexOf('-->', pos + 4)
      if (end < 0) fail('an unclosed comment')
      pos = end + 3
    }
  }
  const element = (): XmlElement => {
    if (source[pos] !== '<') fail('"<" was expected')
    pos++
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' }
    for (;;) {
      const gap = space()
      if (source.startsWith('/>', pos)) {
        pos += 2
        return el
      }
      if (source[pos] === '>') {
        pos++
        break
      }
      if (!gap) fail('whitespace before an attribute was expected')
      const attr = name()
      if (attr in el.attrs) fail(`the attribute "${attr}" twice`)
      space()
      if (source[pos] !== '=') fail('"=" was expected')
      pos++
      space()
      const quote = source[pos]
      if (quote !== '"' && quote !== "'") fail('a quoted attribute value was expected')
      pos++
      el.attrs[attr] = chars(quote as string)
      if (pos >= source.length) fail('an unclosed attribute value')
      pos++
    }
    for (;;) {
      el.text += chars('<')
      if (pos >= source.length) fail(`no end tag for <${el.name}>`)
      if (source.startsWith('<!--', pos)) comments()
      else if (source.startsWith('</', pos)) {
        pos += 2
        const end = name()
        if (end !== el.name) fail(`</${end}> closes <${el.name}>`)
        space()
        if (source[pos] !== '>') fail('">" was expected')
        pos++
        return el
      } else el.children.push(element())
    }
  }

  if (source.startsWith('<?xml', pos)) {
    const end = source.indexOf('?>', pos)
    if (end < 0) fail('an unclosed XML declaration')
    pos = end + 2
  }
  comments()
  const root = element()
  comments()
  if (pos !== source.length) fail('content after the root element')
  return root
}

/** Every element below (and including) `el`, depth first. */
export function allElements(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap(allElements)]
}
