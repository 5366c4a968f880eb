import { Worker } from 'node:worker_threads'

/**
 * Writes block files off the main thread: a small pool of worker threads, each taking blocks in
 * batches and writing each with plain synchronous calls (folder made once, skipped when the file
 * exists, else written beside its name and renamed: a kill -9 leaves a whole block or none).
 *
 * Why: a block is five small system calls (look-up, open, write, close, rename). Through
 * `fs/promises` each is a trip to libuv's thread pool and back, and on a busy two-core machine
 * those trips, not the disk, took most of a 5,000-block upload. Here a batch of blocks is one
 * message each way, and the main thread meanwhile parses and hashes the next blocks.
 *
 * The worker's code is a string (`eval`), so it runs the same from `src/` under the tests and from
 * `dist/`, with nothing to resolve.
 */
export class BlockFiles {
  #workers: Worker[] = []
  #next = 0
  #jobs = new Map<number, { resolve: (added: boolean) => void; reject: (err: Error) => void }>()
  #batch: WriteJob[] = []
  #timer: NodeJS.Timeout | undefined
  #id = 0

  constructor(private readonly size = POOL_SIZE) {}

  /** Writes `bytes` to `<folder>/<file>` unless that file exists; true when this call wrote it. */
  write(folder: string, file: string, bytes: Uint8Array): Promise<boolean> {
    const id = this.#id++
    this.#batch.push({ id, folder, file, bytes })
    // A full batch goes at once; a partial one a moment later, with what has come meanwhile.
    if (this.#batch.length >= BATCH_BLOCKS) this.#send()
    else this.#timer ??= setTimeout(() => this.#send(), BATCH_WAIT_MS)
    return new Promise((resolve, reject) => this.#jobs.set(id, { resolve, reject }))
  }

  /** Stops the workers (writes in flight fail). */
  async close(): Promise<void> {
    const workers = this.#workers.splice(0)
    await Promise.all(workers.map((worker) => worker.terminate()))
  }

  /** Sends a batch as one buffer (the blocks copied into it) moved to the worker, and their places in it. */
  #send(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = this.#batch
    this.#batch = []
    if (batch.length === 0) return
    const data = new Uint8Array(batch.reduce((sum, job) => sum + job.bytes.byteLength, 0))
    let offset = 0
    const jobs = batch.map(({ id, folder, file, bytes }) => {
      data.set(bytes, offset)
      offset += bytes.byteLength
      return { id, folder, file, end: offset }
    })
    this.#worker().postMessage({ jobs, data }, [data.buffer])
  }

  #worker(): Worker {
    if (this.#workers.length < this.size) {
      const worker = new Worker(WORKER_CODE, { eval: true })
      worker.unref()
      worker.on('message', (results: WriteResult[]) => this.#settle(results))
      worker.on('error', (err) => this.#failAll(err))
      this.#workers.push(worker)
      return worker
    }
    return this.#workers[this.#next++ % this.#workers.length] as Worker
  }

  #settle(results: WriteResult[]): void {
    for (const { id, added, error } of results) {
      const job = this.#jobs.get(id)
      this.#jobs.delete(id)
      if (error === undefined) job?.resolve(added)
      else job?.reject(Object.assign(new Error(error.message), { code: error.code }))
    }
  }

  #failAll(err: Error): void {
    for (const job of this.#jobs.values()) job.reject(err)
    this.#jobs.clear()
  }
}

/** Worker threads per store: block writes spread over them (file creation gains little beyond two). */
const POOL_SIZE = 2
/** Blocks sent to a worker in one message, at most. */
const BATCH_BLOCKS = 32
/** How long a partial batch waits for more blocks. */
const BATCH_WAIT_MS = 1

interface WriteJob {
  id: number
  folder: string
  file: string
  bytes: Uint8Array
}

interface WriteResult {
  id: number
  added: boolean
  error?: { message: string; code?: string }
}

const WORKER_CODE = `
const { parentPort } = require('node:worker_threads')
const fs = require('node:fs')
const made = new Set()
function writeBlock({ folder, file }, bytes) {
  if (!made.has(folder)) {
    fs.mkdirSync(folder, { recursive: true })
    made.add(folder)
  }
  const path = folder + '/' + file
  if (fs.existsSync(path)) return false
  const temp = folder + '/.' + file + '.tmp'
  const fd = fs.openSync(temp, 'w')
  try {
    let done = 0
    while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(temp, path)
  return true
}
parentPort.on('message', ({ jobs, data }) => {
  let start = 0
  parentPort.postMessage(jobs.map((job) => {
    const bytes = data.subarray(start, job.end)
    start = job.end
    try {
      return { id: job.id, added: writeBlock(job, bytes) }
    } catch (err) {
      return { id: job.id, added: false, error: { message: err.message, code: err.code } }
    }
  }))
})
`
