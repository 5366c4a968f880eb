import JSON5 from 'json5'

/** Where a JSON text stops being valid: 1-based line and column. */
export interface JsonErrorLocation {
  line: number
  column: number
}

function locationOfOffset(text: string, offset: number): JsonErrorLocation {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}

/**
 * Where `JSON.parse(text)` fails, as line and column: from the engine's "at position N" when it
 * gives one (Node 20 does for most errors), else from JSON5's parser, which stops at the same
 * character for anything JSON5 does not allow either.
 */
export function jsonErrorLocation(text: string, error: unknown): JsonErrorLocation | undefined {
  const message = error instanceof Error ? error.message : ''
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message)
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) }
  const position = /at position (\d+)/.exec(message)
  if (position) return locationOfOffset(text, Number(position[1]))
  if (/Unexpected end of JSON input/.test(message)) return locationOfOffset(text, text.length)
  try {
    JSON5.parse(text)
  } catch (json5Error) {
    const { lineNumber, columnNumber } = json5Error as { lineNumber?: number; columnNumber?: number }
    if (lineNumber !== undefined && columnNumber !== undefined)
      return { line: lineNumber, column: columnNumber }
  }
  return undefined
}

/**
 * `JSON.parse` whose error names the line and column (and `file:line:column`, which editors open)
 * and the engine's reason, e.g. `invalid JSON at line 3, column 14 (p2pcdn.config.json:3:14): Unexpected token '}'`.
 */
export function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    const at = jsonErrorLocation(text, error)
    const reason = (error instanceof Error ? error.message : String(error))
      .replace(/, (\.\.\.)?"[\s\S]*" is not valid JSON$/, '')
      .replace(/ in JSON at position \d+( \(line \d+ column \d+\))?$/, '')
    const where = at ? ` at line ${at.line}, column ${at.column} (${file}:${at.line}:${at.column})` : ''
    throw new SyntaxError(`invalid JSON${where}: ${reason}`, { cause: error })
  }
}
