/**
 * The messages of `p2pcdn report`, kept together like `src/errors.ts` (whose codes they use: a
 * results file that is not valid counts as an unreadable input, exit code 3).
 */
import { P2pcdnError } from '../errors.js'

const show = (value: unknown): string => {
  if (value === undefined) return 'nothing'
  try {
    const text = JSON.stringify(value) ?? String(value)
    return text.length > 60 ? `${text.slice(0, 57)}...` : text
  } catch {
    return String(value)
  }
}

const FORMAT_HINT =
  'A results file holds `curl.<asset>.samples.total` (seconds) and `ipfs_<source>.<asset>.gets` (seconds), as the paper’s experiment.py and `p2pcdn bench` write them.'

export const reportErrors = {
  pathMissing: (input: string) =>
    new P2pcdnError(
      'ERR_INPUT_MISSING',
      `The results path ${input} does not exist. Pass results files or the folders that hold them, e.g. experiments/results.`,
    ),
  noResults: (input: string) =>
    new P2pcdnError(
      'ERR_INPUT_EMPTY',
      `The folder ${input} holds no results files (*.json, searched recursively, dotfiles skipped). Pass the folder the results were written to.`,
    ),
  unreadable: (file: string, cause: unknown) =>
    new P2pcdnError(
      'ERR_FILE_UNREADABLE',
      `Cannot read the results file ${file}: ${(cause as NodeJS.ErrnoException)?.code ?? String(cause)}. Check its permissions.`,
      { cause },
    ),
  notJson: (file: string, cause: unknown) =>
    new P2pcdnError(
      'ERR_RESULTS_INVALID',
      `The results file ${file} is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}. Fix or remove the file.`,
      { cause },
    ),
  /** `where` is a JSON path inside the file, e.g. `curl.iphone.samples.total[2]`. */
  invalid: (file: string, where: string, expected: string, value: unknown) =>
    new P2pcdnError(
      'ERR_RESULTS_INVALID',
      `The results file ${file} is not valid: \`${where}\` must be ${expected}, got: ${show(value)}. ${FORMAT_HINT}`,
    ),
  duplicateClient: (group: string, client: string, first: string, second: string) =>
    new P2pcdnError(
      'ERR_CONFIG_INVALID',
      `Two results files give client "${client}" of test "${group}": ${first} and ${second}. A test's files are grouped by their folder name and named by their file name; pass only one of them, or rename one.`,
    ),
}
