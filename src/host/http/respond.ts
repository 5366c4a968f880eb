import type { IncomingMessage, ServerResponse } from 'node:http'

/** Sends a JSON body. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  })
  res.end(text)
}

/** Sends the Pinning Service API's `Failure` object: `{ error: { reason, details } }`. */
export function sendFailure(
  res: ServerResponse,
  status: number,
  reason: string,
  details: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { reason, details } }, headers)
}

/** Reads a JSON request body of at most `limit` bytes. */
export async function readJson(req: IncomingMessage, limit = 1 << 20): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > limit) throw new SyntaxError(`the request body is over ${limit} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') throw new SyntaxError('the request body is empty')
  return JSON.parse(text)
}
