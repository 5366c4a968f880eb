/**
 * The outline of the tree a browser builds from a page, kept as a light stack
 * of open elements instead of a tree: which start tags become elements (and
 * so fetch), in which namespace, under which parent, inside a `<template>` or
 * not, and which of them hold raw text. It follows the HTML standard's tree
 * construction where that decides any of these: foreign content (SVG, MathML,
 * the tags that break out of it, integration points), `template`, `select`,
 * table parts outside tables, the `html`/`head`/`body` start tags that only
 * merge into elements already made, `image` read as `img`.
 */
import { html as parse5Html } from 'parse5'
import type { Namespace } from './html-rules.js'
import type { ContentMode, TokenSink } from './html-tokenizer.js'
import {
  BREAKOUT,
  HEAD_CONTENT,
  IN_SELECT,
  lowerCase,
  MATHML_TEXT,
  RAW_TEXT,
  SCOPE,
  SELECT_END_TAGS,
  SPECIAL,
  TABLE_PARTS,
  TABLE_SCOPE,
  TABLE_TAGS,
  VOID,
} from './html-tree-rules.js'

/** An element the outline saw inserted, by its start tag. */
export interface OutlineElement {
  /** Lower-case name as the tree names it (`<image>` in HTML is `img`). */
  name: string
  namespace: Namespace
  /** Its start tag: `[start, end)`. */
  start: number
  end: number
  /** Lower-case name of the parent element, `undefined` at a template's top level. */
  parentName: string | undefined
  inTemplate: boolean
  /** The start tag has a `style` attribute. */
  styleAttribute: boolean
}

/** What the outline reports to the finder. */
export interface OutlineHandler {
  /** Whether the finder wants this start tag (its name, or a `style` attribute); only then is it reported. */
  wants(name: string, styleAttribute: boolean): boolean
  element(element: OutlineElement): void
  /** The attributes of a start tag the outline itself has to read (`annotation-xml`, `font` in foreign content). */
  attributesOf(start: number, end: number): Readonly<Record<string, string>>
  /** An open element left, with the text nodes and other children it held, when the finder asked to follow it. */
  closed?(followed: Followed): void
  /** The document's first `<html>` and `<head>` start tags, where they make the element. */
  htmlTag(end: number): void
  headTag(end: number): void
}

/** An element whose children the finder follows (SVG `<style>`). */
export interface Followed {
  element: OutlineElement
  /** Text and CDATA children in order: `[start, end, isCdata]`. */
  texts: Array<[number, number, boolean]>
  /** A comment or element child. */
  otherChild: boolean
}

const HTML = 0
const SVG = 1
const MATHML = 2
const NAMESPACES: Namespace[] = ['html', 'svg', 'other']

interface Open {
  name: string
  ns: number
  /** An HTML or MathML text integration point. */
  integration: boolean
  followed: Followed | undefined
}

/** Follows a document's tree construction over its tokens; see the file comment. */
export class HtmlOutline implements TokenSink {
  private readonly stack: Open[] = []
  private templates = 0
  /** Open HTML `select` elements: the stack is searched for one only when there is one. */
  private selects = 0
  private htmlMade = false
  private headMade = false
  private bodyMade = false

  constructor(
    private readonly source: string,
    private readonly handler: OutlineHandler,
  ) {}

  /** Whether `<![CDATA[` opens a CDATA section: under a foreign current node that is no integration point, as parse5 reads it. */
  inForeignContent(): boolean {
    const top = this.stack[this.stack.length - 1]
    return top !== undefined && top.ns !== HTML && !top.integration
  }

  startTag(written: string, start: number, end: number, selfClosing: boolean, style: boolean): ContentMode {
    const name = lowerCase(written)
    const top = this.stack[this.stack.length - 1]
    if (top !== undefined && top.ns !== HTML && this.foreignRules(top, name)) {
      if (!this.breaksOut(name, start, end)) {
        this.insert(name, top.ns, start, end, selfClosing, style)
        return 'markup'
      }
      this.popToHtml()
    }
    return this.htmlStartTag(name, start, end, selfClosing, style)
  }

  endTag(written: string): void {
    const name = lowerCase(written)
    const top = this.stack[this.stack.length - 1]
    if (top !== undefined && top.ns !== HTML) {
      if (name === 'p' || name === 'br') this.popToHtml()
      else {
        for (let i = this.stack.length - 1; i >= 0; i--) {
          const open = this.stack[i] as Open
          if (open.ns === HTML) break
          if (open.name === name) {
            this.popTo(i)
            return
          }
        }
      }
    }
    this.htmlEndTag(name)
  }

  text(start: number, end: number): void {
    const top = this.stack[this.stack.length - 1]
    if (top?.followed) top.followed.texts.push([start, end, false])
    if (this.bodyMade || this.templates > 0) return
    if (/[^\t\n\f\r ]/.test(this.source.slice(start, end))) this.makeBody()
  }

  comment(): void {
    const top = this.stack[this.stack.length - 1]
    if (top?.followed) top.followed.otherChild = true
  }

  cdata(start: number, end: number): void {
    const top = this.stack[this.stack.length - 1]
    if (top?.followed && start < end) top.followed.texts.push([start, end, true])
  }

  /** Closes every element still open, at the end of the document. */
  finish(): void {
    this.popTo(0)
  }

  /** Whether a start tag under a foreign current node is read by the foreign content rules. */
  private foreignRules(top: Open, name: string): boolean {
    if (!top.integration) return !(name === 'svg' && top.name === 'annotation-xml')
    return (name === 'mglyph' || name === 'malignmark') && top.ns === MATHML && MATHML_TEXT.has(top.name)
  }

  private breaksOut(name: string, start: number, end: number): boolean {
    if (BREAKOUT.has(name)) return true
    if (name !== 'font') return false
    const attributes = this.handler.attributesOf(start, end)
    return 'color' in attributes || 'face' in attributes || 'size' in attributes
  }

  private htmlStartTag(
    name: string,
    start: number,
    end: number,
    selfClosing: boolean,
    style: boolean,
  ): ContentMode {
    const made = this.documentTag(name, end)
    if (made !== 'element') {
      if (made === 'made') this.report(name, HTML, start, end, style, this.stack[this.stack.length - 1])
      return 'markup'
    }
    const select = this.selectMode()
    if (select !== undefined) {
      // A nested `select` only closes the open one; `input`, `keygen`, `textarea` (and table parts
      // in a table) close it and are inserted.
      const closes = name === 'select' || name === 'input' || name === 'keygen' || name === 'textarea'
      if (closes || (select === 'in-table' && TABLE_TAGS.has(name))) this.htmlEndTag('select')
      else if (!IN_SELECT.has(name)) return 'markup'
      if (name === 'select') return 'markup'
    }
    if (TABLE_PARTS.has(name) && !this.inTable()) return 'markup'
    if (name === 'frame') return 'markup'
    if (name === 'svg' || name === 'math') {
      this.insert(name, name === 'svg' ? SVG : MATHML, start, end, selfClosing, style)
      return 'markup'
    }
    const element = name === 'image' ? 'img' : name
    this.insert(element, HTML, start, end, VOID.has(element), style)
    if (element === 'template') this.templates++
    if (element === 'select') this.selects++
    if (element === 'plaintext') return 'plaintext'
    return RAW_TEXT.has(element) ? 'raw' : 'markup'
  }

  /**
   * The `html`, `head` and `body` start tags make their element only when it does not exist
   * yet (later ones merge attributes into it, or are ignored); any other tag makes those it implies.
   * Returns `element` for a tag inserted as usual, `made` for the tag that makes the
   * `html`, `head` or `body` element (which the outline does not keep open), `ignored` otherwise.
   */
  private documentTag(name: string, end: number): 'element' | 'made' | 'ignored' {
    const documentElement = name === 'html' || name === 'head' || name === 'body'
    if (this.templates > 0) return documentElement ? 'ignored' : 'element'
    if (name === 'html') {
      if (this.htmlMade) return 'ignored'
      this.htmlMade = true
      this.handler.htmlTag(end)
      return 'made'
    }
    this.htmlMade = true
    if (name === 'head') {
      if (this.headMade) return 'ignored'
      this.headMade = true
      this.handler.headTag(end)
      return 'made'
    }
    this.headMade = true
    if (name === 'body') {
      const made = !this.bodyMade
      this.bodyMade = true
      return made ? 'made' : 'ignored'
    }
    if (!HEAD_CONTENT.has(name)) this.bodyMade = true
    return 'element'
  }

  private makeBody(): void {
    this.htmlMade = true
    this.headMade = true
    this.bodyMade = true
  }

  private htmlEndTag(name: string): void {
    if (name === 'html' || name === 'body' || name === 'br') {
      if (this.templates === 0) this.makeBody()
      return
    }
    if (name === 'head') {
      if (this.templates === 0) {
        this.htmlMade = true
        this.headMade = true
      }
      return
    }
    const select = this.selectMode()
    if (select === 'in-table' && TABLE_TAGS.has(name) && this.has(name)) this.htmlEndTag('select')
    else if (select !== undefined && !SELECT_END_TAGS.has(name)) return
    const special = SPECIAL.has(parse5Html.getTagID(name))
    // Table end tags close cells and rows on their way (table scope); others stop at a cell.
    const scope = TABLE_TAGS.has(name) ? TABLE_SCOPE : SCOPE
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const open = this.stack[i] as Open
      if (open.ns === HTML && open.name === name) {
        this.popTo(i)
        return
      }
      if (open.ns !== HTML ? isForeignBoundary(open) : scope.has(open.name)) return
      if (!special && open.ns === HTML && SPECIAL.has(parse5Html.getTagID(open.name))) return
    }
  }

  /** Inserts an element: reported to the handler when it wants it, kept open unless void or self-closing. */
  private insert(name: string, ns: number, start: number, end: number, selfClosing: boolean, style: boolean) {
    const parent = this.stack[this.stack.length - 1]
    if (parent?.followed) parent.followed.otherChild = true
    const element = this.report(name, ns, start, end, style, parent)
    if (selfClosing) return
    const followed =
      element && ns === SVG && name === 'style' ? { element, texts: [], otherChild: false } : undefined
    this.stack.push({ name, ns, integration: this.isIntegrationPoint(name, ns, start, end), followed })
  }

  private report(
    name: string,
    ns: number,
    start: number,
    end: number,
    style: boolean,
    parent: Open | undefined,
  ): OutlineElement | undefined {
    if (!this.handler.wants(name, style)) return
    let parentName: string | undefined
    if (parent === undefined) parentName = this.templates > 0 ? undefined : this.bodyMade ? 'body' : 'head'
    else parentName = parent.ns === HTML && parent.name === 'template' ? undefined : parent.name
    const element: OutlineElement = {
      name,
      namespace: NAMESPACES[ns] as Namespace,
      start,
      end,
      parentName,
      inTemplate: this.templates > 0,
      styleAttribute: style,
    }
    this.handler.element(element)
    return element
  }

  private isIntegrationPoint(name: string, ns: number, start: number, end: number): boolean {
    if (ns === SVG) return name === 'foreignobject' || name === 'desc' || name === 'title'
    if (ns !== MATHML) return false
    if (MATHML_TEXT.has(name)) return true
    if (name !== 'annotation-xml') return false
    const encoding = lowerCase(this.handler.attributesOf(start, end).encoding ?? '')
    return encoding === 'text/html' || encoding === 'application/xhtml+xml'
  }

  private popToHtml(): void {
    let i = this.stack.length
    while (i > 0) {
      const open = this.stack[i - 1] as Open
      if (open.ns === HTML || open.integration) break
      i--
    }
    this.popTo(i)
  }

  /** Pops the elements at `index` and above. */
  private popTo(index: number): void {
    while (this.stack.length > index) {
      const open = this.stack.pop() as Open
      if (open.ns === HTML && open.name === 'template') this.templates--
      if (open.ns === HTML && open.name === 'select') this.selects--
      if (open.followed) this.handler.closed?.(open.followed)
    }
  }

  /** `in-select` or `in-table` (a select inside a table) when the current insertion mode is one of these. */
  private selectMode(): 'in-select' | 'in-table' | undefined {
    if (this.selects === 0) return
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const open = this.stack[i] as Open
      if (open.ns !== HTML || open.name === 'template') return
      if (open.name === 'select') return this.inTable(i) ? 'in-table' : 'in-select'
    }
    return
  }

  /** Whether an HTML element of this name is open. */
  private has(name: string): boolean {
    return this.stack.some((open) => open.ns === HTML && open.name === name)
  }

  /** Whether a `table` (or a `template`, whose content takes table parts) is open below `below`. */
  private inTable(below = this.stack.length): boolean {
    for (let i = below - 1; i >= 0; i--) {
      const open = this.stack[i] as Open
      if (open.ns === HTML && (open.name === 'table' || open.name === 'template')) return true
    }
    return false
  }
}

/** The foreign elements that bound a scope (and are special): MathML text integration points, `annotation-xml`, SVG `foreignObject`, `desc`, `title`. */
function isForeignBoundary(open: Open): boolean {
  if (open.ns === MATHML) return MATHML_TEXT.has(open.name) || open.name === 'annotation-xml'
  return open.name === 'foreignobject' || open.name === 'desc' || open.name === 'title'
}
