/**
 * The body of a response built from many blocks: verified chunks pulled as
 * the page reads (so a paused video stops the fetching), optionally copied
 * into a second stream for Cache Storage. If the verified chunks fail part
 * way (every source failed for a block), the rest of the body comes from
 * `rest` (the origin) and the copy is errored, so nothing unverified is cached.
 */

/** Options of {@link bodyStream}. */
export interface BodyStreamOptions {
  /** The rest of the body, from byte `offset` of it, when the verified chunks fail. */
  rest(offset: number): Promise<ReadableStream<Uint8Array>>
  /** Also feed the verified bytes to a second stream, e.g. for `cache.put`. */
  copy?: boolean
}

/**
 * The response body, and the copy (if asked for): it gets every chunk the
 * body gets, closes when the body is complete and verified, and errors otherwise.
 */
export function bodyStream(
  chunks: AsyncGenerator<Uint8Array>,
  options: BodyStreamOptions,
): { body: ReadableStream<Uint8Array>; copy?: ReadableStream<Uint8Array> } {
  let copier: ReadableStreamDefaultController<Uint8Array> | undefined
  const copy = options.copy
    ? new ReadableStream<Uint8Array>({
        start(controller) {
          copier = controller
        },
        // The cache write gave up (quota): the body goes on alone.
        cancel() {
          copier = undefined
        },
      })
    : undefined
  const dropCopy = (reason: unknown) => {
    copier?.error(reason)
    copier = undefined
  }
  let offset = 0
  let rest: ReadableStreamDefaultReader<Uint8Array> | undefined
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!rest) {
          try {
            const { done, value } = await chunks.next()
            if (done) {
              controller.close()
              copier?.close()
              return
            }
            offset += value.length
            controller.enqueue(value)
            copier?.enqueue(value)
            return
          } catch (error) {
            dropCopy(error)
            rest = (await options.rest(offset)).getReader()
          }
        }
        const { done, value } = await rest.read()
        if (done) controller.close()
        else controller.enqueue(value)
      } catch (error) {
        dropCopy(error)
        controller.error(error)
      }
    },
    async cancel(reason) {
      dropCopy(reason)
      await Promise.all([chunks.return(undefined), rest?.cancel(reason)])
    },
  })
  return copy ? { body, copy } : { body }
}
