import type { ErrorCode } from '../src/index.js'

/** The CLI's exit codes; documented in the README. */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** An unexpected error (a bug, or an I/O failure such as a full disk). */
  INTERNAL: 1,
  /** Bad usage: an unknown flag, an invalid option value, a broken config file. */
  USAGE: 2,
  /** A problem with the input: missing or empty folder, unreadable file, bad symlink, output inside input, an output changed since its publish. */
  INPUT: 3,
  /** Pushing to hosts fell short: fewer hosts pinned the site than `--replication` asks. */
  REPLICATION: 4,
  /** Interrupted by Ctrl-C (SIGINT) or SIGTERM; nothing was changed. */
  INTERRUPTED: 130,
} as const

export function exitCodeFor(code: ErrorCode | undefined): number {
  switch (code) {
    case 'ERR_CONFIG_INVALID':
    case 'ERR_CONFIG_LOAD':
    case 'ERR_CACHE':
    case 'ERR_REPO':
    case 'ERR_REPO_LOCKED':
    case 'ERR_HOST_START':
    case 'ERR_NETEM_INVALID':
      return EXIT.USAGE
    case 'ERR_INPUT_MISSING':
    case 'ERR_CAR_INVALID':
    case 'ERR_INPUT_NOT_DIRECTORY':
    case 'ERR_INPUT_EMPTY':
    case 'ERR_OUTPUT_INSIDE_INPUT':
    case 'ERR_FILE_UNREADABLE':
    case 'ERR_RESULTS_INVALID':
    case 'ERR_SYMLINK_OUTSIDE_ROOT':
    case 'ERR_SYMLINK_LOOP':
    case 'ERR_OUTPUT_CHANGED':
      return EXIT.INPUT
    case 'ERR_HOST_UNREACHABLE':
    case 'ERR_HOST_AUTH':
    case 'ERR_HOST_REJECTED':
    case 'ERR_HOST_FAILED':
    case 'ERR_REPLICATION':
      return EXIT.REPLICATION
    case 'ERR_ABORTED':
      return EXIT.INTERRUPTED
    default:
      return EXIT.INTERNAL
  }
}
