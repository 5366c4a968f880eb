import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/**
 * The worker's code (CommonJS, evaluated: it runs the same from the sources and from the build).
 * Each request hashes a range of a file (SHA-256 through OpenSSL, as on the main thread), reading
 * it itself, so no bytes cross threads.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const fs = require('node:fs')
const { createHash } = require('node:crypto')
const piece = Buffer.allocUnsafe(1 << 20)
parentPort.on('message', (m) => {
  let fd
  try {
    fd = fs.openSync(m.file, 'r')
    const hash = createHash('sha256')
    const end = m.length < 0 ? Number.POSITIVE_INFINITY : m.length
    let done = 0
    while (done < end) {
      const n = fs.readSync(fd, piece, 0, Math.min(piece.length, end - done), m.offset + done)
      if (n === 0) break
      hash.update(piece.subarray(0, n))
      done += n
    }
    parentPort.postMessage({ id: m.id, digest: hash.digest(), read: done })
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message), code: err && err.code, path: m.file })
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
})
`

interface Job {
  resolve: (result: { digest: Uint8Array; read: number }) => void
  reject: (err: Error) => void
  bytes: number
  worker: number
}

/**
 * Threads that hash large files beside the main thread: a whole file's SHA-256 (its SRI digest)
 * on one, its leaves' on the others, so a large file is hashed on every core at once. Each job
 * goes to the thread with the fewest bytes queued. Started on first use; `close()` ends them (they
 * keep the process alive until then, as their pending results must).
 */
export class HashPool {
  private workers: Worker[] = []
  private readonly queued: number[] = []
  private readonly jobs = new Map<number, Job>()
  private nextId = 0

  constructor(private readonly size = Math.max(1, availableParallelism())) {}

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true })
      worker.on(
        'message',
        (m: {
          id: number
          digest?: Uint8Array
          read?: number
          error?: string
          code?: string
          path?: string
        }) => {
          const job = this.jobs.get(m.id)
          if (job === undefined) return
          this.jobs.delete(m.id)
          this.queued[job.worker] = (this.queued[job.worker] ?? 0) - job.bytes
          if (m.error !== undefined)
            job.reject(Object.assign(new Error(m.error), { code: m.code, path: m.path }))
          else job.resolve({ digest: new Uint8Array(m.digest as Uint8Array), read: m.read as number })
        },
      )
      worker.on('error', (err) => {
        for (const [id, job] of this.jobs) {
          if (job.worker !== i) continue
          this.jobs.delete(id)
          job.reject(err)
        }
      })
      this.workers.push(worker)
      this.queued.push(0)
    }
  }

  /** SHA-256 of `length` bytes of `file` from `offset` (`length` -1: to the end); `read` is how many there were. */
  hash(
    file: string,
    offset: number,
    length: number,
    expected: number,
  ): Promise<{ digest: Uint8Array; read: number }> {
    if (this.workers.length === 0) this.start()
    let worker = 0
    for (let i = 1; i < this.workers.length; i++)
      if ((this.queued[i] ?? 0) < (this.queued[worker] ?? 0)) worker = i
    this.queued[worker] = (this.queued[worker] ?? 0) + expected
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, bytes: expected, worker })
      this.workers[worker]?.postMessage({ id, file, offset, length })
    })
  }

  async close(): Promise<void> {
    const workers = this.workers
    this.workers = []
    await Promise.all(workers.map((w) => w.terminate()))
  }
}
