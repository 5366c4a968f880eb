/** Checks of flag values shared by the commands: one error shape naming the flag, the fix and the value. */
import { P2pcdnError } from '../src/index.js'

/** ``The `--<option>` option <fix>, got: <value>.`` (exit code 2). */
export const invalidFlag = (option: string, value: unknown, fix: string) =>
  new P2pcdnError('ERR_CONFIG_INVALID', `The \`--${option}\` option ${fix}, got: ${JSON.stringify(value)}.`)

/** A number of seconds given to `--<option>`, in ms; undefined when not given. */
export function flagSeconds(
  option: string,
  value: string | undefined,
  allowZero: boolean,
): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) {
    throw invalidFlag(option, value, `must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds`)
  }
  return n * 1000
}
