/**
 * Running iproute2 (`ip`, `tc`) and other programs, collecting their output.
 */
import { spawn, spawnSync } from 'node:child_process'
import { netemErrors } from './errors.js'

export interface CommandResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** Written to the process's stdin, which is then closed. */
  input?: string
  /** Kills the process (SIGKILL) after this long. */
  timeoutMs?: number
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** Runs a program to its end. Rejects only when it cannot be started (e.g. ENOENT). */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env,
      cwd: options.cwd,
      signal: options.signal,
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}

/** Runs a program that must succeed; its stdout. */
export async function must(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  let result: CommandResult
  try {
    result = await runCommand(file, args, options)
  } catch (error) {
    throw netemErrors.command(
      [file, ...args].join(' '),
      (error as NodeJS.ErrnoException).code ?? String(error),
      error,
    )
  }
  if (result.code !== 0) {
    throw netemErrors.command(
      [file, ...args].join(' '),
      result.stderr || `exit ${result.code ?? result.signal}`,
    )
  }
  return result.stdout
}

/** Synchronous variant for the exit handler, which cannot wait for promises. Never throws. */
export function runSync(file: string, args: readonly string[]): CommandResult {
  const result = spawnSync(file, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 10_000,
  })
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? result.error?.message ?? '',
  }
}
