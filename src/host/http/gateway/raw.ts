import { contentDisposition } from './content-type.js'
import { resolvePath } from './resolve.js'
import { contentLocation, type ServeContext, serveRanged, successHeaders } from './respond.js'

async function* once(bytes: Uint8Array) {
  yield bytes
}

/**
 * `application/vnd.ipld.raw`: exactly the bytes of the block at the end of
 * the path (the trustless gateway's block response), ranges allowed.
 */
export async function serveRaw(context: ServeContext, fromAccept: boolean): Promise<void> {
  const { blocks, request, exchange } = context
  const resolved = await resolvePath(blocks, request.cid, request.segments, exchange.signal)
  const cid = resolved.terminal
  const bytes = await blocks.read(cid, { signal: exchange.signal })
  const filename = request.url.searchParams.get('filename') ?? `${cid}.bin`
  const headers = {
    ...successHeaders(context, resolved, ''),
    'Content-Disposition': contentDisposition('attachment', filename),
    ...(fromAccept ? { 'Content-Location': contentLocation(context, 'raw') } : {}),
  }
  await serveRanged(context, {
    size: bytes.length,
    etag: `${cid}.raw`,
    headers,
    contentType: () => 'application/vnd.ipld.raw',
    read: (start, end) => once(bytes.subarray(start, end)),
  })
}
