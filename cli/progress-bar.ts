import cliProgress from 'cli-progress'
import type { PublishProgressEvents } from '../src/index.js'

const mb = (bytes: number) => (bytes / 1e6).toFixed(1)

/**
 * A progress bar on stderr (files and bytes imported), fed by publish's
 * progress events. Returns `undefined` when stderr is not a terminal.
 */
export function createProgressBar():
  | { onProgress: (e: PublishProgressEvents) => void; stop(): void }
  | undefined {
  if (!process.stderr.isTTY) return undefined
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {step} [{bar}] {percentage}% | {files}/{totalFiles} files | {done}/{totalMb} MB',
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  )
  let files = 0
  let totalFiles = 0
  let bytes = 0
  let started = false
  return {
    onProgress(event) {
      switch (event.type) {
        case 'p2pcdn:scan:done':
          totalFiles = event.detail.files
          bar.start(Math.max(event.detail.bytes, 1), 0, {
            step: 'import',
            files: 0,
            totalFiles,
            done: mb(0),
            totalMb: mb(event.detail.bytes),
          })
          started = true
          break
        case 'p2pcdn:import:file':
          files++
          bytes += event.detail.bytes
          bar.update(bytes, { files, done: mb(bytes) })
          break
        case 'p2pcdn:import:root':
          bar.update({ step: 'car   ' })
          break
        default:
          break
      }
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
