import { writeFileAtomic } from '../utils/write-file-atomic.js'
import type { BenchResultsFile } from './types.js'

/** The results file's text: two-space JSON, a final newline. */
export function serialiseResults(results: BenchResultsFile): string {
  return `${JSON.stringify(results, null, 2)}\n`
}

/** Writes a results file so that a reader (or a kill) sees the old file or the new one, never a part. */
export async function writeResults(file: string, results: BenchResultsFile): Promise<void> {
  await writeFileAtomic(file, serialiseResults(results))
}
