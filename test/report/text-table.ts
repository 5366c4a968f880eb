/**
 * Reads a paper table back from `p2pcdn report`'s text, cell by cell, checking its alignment: label
 * columns (`Client`, `Location` and Table 5's unnamed test column) start under their header, every
 * other cell ends exactly under its header's end. Throws when a cell sits between columns.
 */

const LABEL_HEADERS = new Set(['', 'Client', 'Location'])

interface Column {
  name: string
  start: number
  end: number
}

/** The header and the body lines (up to the first empty line or sentence) of `Table <n>:`. */
export function readTextTable(text: string, table: number): string[][] {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => l.startsWith(`Table ${table}: `))
  if (at < 0) throw new Error(`no "Table ${table}:" in the text`)
  const header = lines[at + 1] ?? ''
  const columns: Column[] = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({
    name: m[0],
    start: m.index,
    end: m.index + m[0].length,
  }))
  // Table 5's test column has no header: it starts at the indent, before the first named column.
  const indent = 2
  if ((columns[0]?.start ?? 0) > indent) columns.unshift({ name: '', start: indent, end: indent })
  const body: string[] = []
  for (const line of lines.slice(at + 2)) {
    if (line === '' || line.endsWith('.')) break
    body.push(line)
  }
  return [columns.map((c) => c.name), ...body.map((line) => columns.map((c) => cellAt(line, c)))]
}

function cellAt(line: string, column: Column): string {
  if (LABEL_HEADERS.has(column.name)) {
    if (line[column.start - 1] !== undefined && line[column.start - 1] !== ' ')
      throw new Error(`a cell runs into the ${JSON.stringify(column.name)} column: ${JSON.stringify(line)}`)
    return /^\S+(?: \S+)*/.exec(line.slice(column.start))?.[0] ?? ''
  }
  const last = line[column.end - 1]
  if (last === undefined || last === ' ') return ''
  if (line[column.end] !== undefined && line[column.end] !== ' ')
    throw new Error(`a cell overruns the ${column.name} column: ${JSON.stringify(line)}`)
  return (/\S+(?: \S+)*$/.exec(line.slice(0, column.end)) as RegExpExecArray)[0]
}
