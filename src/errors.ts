/**
 * One error class with stable codes; every message names the file, option or
 * host, the value received, and what to do.
 */

export type ErrorCode =
  | 'ERR_CONFIG_INVALID'
  | 'ERR_CONFIG_LOAD'
  | 'ERR_INPUT_MISSING'
  | 'ERR_INPUT_NOT_DIRECTORY'
  | 'ERR_INPUT_EMPTY'
  | 'ERR_OUTPUT_INSIDE_INPUT'
  /** An output folder's files no longer make the root its manifest names (`p2pcdn push`). */
  | 'ERR_OUTPUT_CHANGED'
  | 'ERR_FILE_UNREADABLE'
  | 'ERR_SYMLINK_OUTSIDE_ROOT'
  | 'ERR_SYMLINK_LOOP'
  | 'ERR_CACHE'
  | 'ERR_ABORTED'
  | 'ERR_REPO'
  | 'ERR_REPO_LOCKED'
  | 'ERR_HOST_START'
  | 'ERR_HOST_UNREACHABLE'
  | 'ERR_HOST_AUTH'
  | 'ERR_HOST_REJECTED'
  | 'ERR_HOST_FAILED'
  | 'ERR_REPLICATION'
  /** A host's pin of this site's default name was made by another site (set `siteName`). */
  | 'ERR_SITE_NAME_TAKEN'
  /** A results file (`p2pcdn report`) is not in the paper's format. */
  | 'ERR_RESULTS_INVALID'
  /** A CAR given to `p2pcdn host import` does not parse, or holds a block that does not match its CID. */
  | 'ERR_CAR_INVALID'
  /** This machine or process cannot build emulated networks (not root, no `ip`/`tc`, no netns). */
  | 'ERR_NETEM_UNAVAILABLE'
  /** A network description is invalid (a rate, a name, a delay). */
  | 'ERR_NETEM_INVALID'
  /** A command that builds or runs an emulated network failed. */
  | 'ERR_NETEM_SETUP'

export class P2pcdnError extends Error {
  override readonly name = 'P2pcdnError'
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Message builders, kept together so the wording stays consistent. */
export const errors = {
  optionInvalid: (option: string, value: unknown, fix: string) =>
    new P2pcdnError('ERR_CONFIG_INVALID', `The \`${option}\` option ${fix}, got: ${show(value)}.`),
  unknownOption: (option: string, source: string, known: readonly string[]) =>
    new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `Unknown option \`${option}\` in ${source}. Known options: ${known.join(', ')}.`,
    ),
  configLoad: (file: string, cause: unknown) =>
    new P2pcdnError(
      'ERR_CONFIG_LOAD',
      `Could not load the config file ${file}: ${cause instanceof Error ? cause.message : String(cause)}. Fix the file, or pass another one with --config.`,
      { cause },
    ),
  configMissing: (file: string) =>
    new P2pcdnError('ERR_CONFIG_LOAD', `The config file ${file} does not exist. Check the --config path.`),
  inputMissing: (dir: string) =>
    new P2pcdnError(
      'ERR_INPUT_MISSING',
      `The input folder ${dir} does not exist. Pass the folder your site build writes to, e.g. ./dist.`,
    ),
  pathMissing: (target: string) =>
    new P2pcdnError(
      'ERR_INPUT_MISSING',
      `${target} does not exist. Pass an existing file or folder, e.g. \`p2pcdn cid ./dist\` or \`p2pcdn cid logo.png\`.`,
    ),
  inputNotDirectory: (dir: string) =>
    new P2pcdnError(
      'ERR_INPUT_NOT_DIRECTORY',
      `The input ${dir} is a file, not a folder. Pass the folder that holds the site, e.g. ./dist.`,
    ),
  inputEmpty: (dir: string) =>
    new P2pcdnError(
      'ERR_INPUT_EMPTY',
      `The input folder ${dir} holds no files to publish (after include/exclude patterns and dotfile rules). Build the site first, or check the \`include\`, \`exclude\` and \`dotfiles\` options.`,
    ),
  outputInsideInput: (out: string, dir: string) =>
    new P2pcdnError(
      'ERR_OUTPUT_INSIDE_INPUT',
      `The output folder ${out} is inside the input folder ${dir}, so it would be published into itself. Choose an output folder outside the input, or use --in-place.`,
    ),
  inputInsideOutput: (out: string, dir: string) =>
    new P2pcdnError(
      'ERR_OUTPUT_INSIDE_INPUT',
      `The output folder ${out} contains the input folder ${dir}; replacing it would delete the input. Choose an output folder beside the input, or use --in-place.`,
    ),
  unreadable: (file: string, cause: unknown) =>
    new P2pcdnError(
      'ERR_FILE_UNREADABLE',
      `Cannot read ${file}: ${(cause as NodeJS.ErrnoException)?.code ?? String(cause)}. Fix its permissions (e.g. chmod a+rX), or move it out of the site folder.`,
      { cause },
    ),
  changedWhilePublishing: (file: string, expected: number, read: number) =>
    new P2pcdnError(
      'ERR_FILE_UNREADABLE',
      `${file} changed while it was being published (${expected} bytes at the scan, ${read} read). Publish again once the build has finished writing.`,
    ),
  lineBreakInName: (file: string) =>
    new P2pcdnError(
      'ERR_FILE_UNREADABLE',
      `The name of ${JSON.stringify(file)} contains a line break, which glob patterns cannot match and links cannot name reliably. Rename the file.`,
    ),
  symlinkOutside: (link: string, target: string, root: string) =>
    new P2pcdnError(
      'ERR_SYMLINK_OUTSIDE_ROOT',
      `The symlink ${link} points to ${target}, outside the site folder ${root}. Copy the file into the site, or exclude the link with the \`exclude\` option.`,
    ),
  symlinkLoop: (link: string) =>
    new P2pcdnError(
      'ERR_SYMLINK_LOOP',
      `The symlink ${link} is part of a loop (it resolves to itself or to a folder that contains it). Remove the loop, or exclude the link with the \`exclude\` option.`,
    ),
  aborted: () =>
    new P2pcdnError(
      'ERR_ABORTED',
      'Publish was interrupted; the input and any earlier output are unchanged.',
    ),
  repoUnusable: (repo: string, cause: unknown) =>
    new P2pcdnError(
      'ERR_REPO',
      `Cannot use the host repo ${repo}: ${(cause as NodeJS.ErrnoException)?.code ?? (cause instanceof Error ? cause.message : String(cause))}. Check that the folder is writable, or pass another one with --repo.`,
      { cause },
    ),
  repoNotARepo: (repo: string) =>
    new P2pcdnError(
      'ERR_REPO',
      `${repo} exists but is not a p2pcdn host repo (no repo.json). Pass an empty or new folder with --repo, or the folder a host created.`,
    ),
  repoLocked: (repo: string, pid: number) =>
    new P2pcdnError(
      'ERR_REPO_LOCKED',
      `The host repo ${repo} is in use by a running host (pid ${pid}). Stop that host first, or pass another folder with --repo.`,
    ),
  hostStart: (what: string, cause: unknown) =>
    new P2pcdnError(
      'ERR_HOST_START',
      `Could not start the host: ${what}: ${(cause as NodeJS.ErrnoException)?.code ?? (cause instanceof Error ? cause.message : String(cause))}.`,
      { cause },
    ),
  /** A port the host needs cannot be listened on: `what` names the address and port, `flag` the option that moves it. */
  listenUnavailable: (what: string, flag: '--listen' | '--http', cause: unknown) => {
    const code = (cause as NodeJS.ErrnoException)?.code
    const detail = (cause as Error)?.message?.split('\n')[0] ?? String(cause)
    const problem =
      code === 'EADDRINUSE'
        ? 'is already in use (EADDRINUSE), perhaps by another p2pcdn host'
        : code === 'EACCES'
          ? 'needs privileges this process does not have (EACCES; ports below 1024 usually do)'
          : code === 'EADDRNOTAVAIL'
            ? 'is on an IP address this machine does not have (EADDRNOTAVAIL)'
            : `cannot be listened on (${code ?? detail})`
    const example =
      flag === '--listen'
        ? '--listen /ip4/0.0.0.0/tcp/4021 /ip4/0.0.0.0/tcp/4022/ws'
        : '--http 127.0.0.1:4081'
    return new P2pcdnError(
      'ERR_HOST_START',
      `Could not start the host: ${what} ${problem}. Pass another with ${flag}, e.g. ${example} (port 0 picks a free one).`,
      { cause },
    )
  },
}
