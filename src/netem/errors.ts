/**
 * The network emulation's errors: `P2pcdnError`s with the `ERR_NETEM_*` codes. Its failures are
 * about the machine (root, iproute2, kernel features), not a site.
 */
import { P2pcdnError } from '../errors.js'

export type NetemErrorCode = Extract<P2pcdnError['code'], `ERR_NETEM_${string}`>

/** A `P2pcdnError` with an `ERR_NETEM_*` code. */
export class NetemError extends P2pcdnError {
  declare readonly code: NetemErrorCode
}

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Message builders, kept together so the wording stays consistent. */
export const netemErrors = {
  unavailable: (reason: string) =>
    new NetemError('ERR_NETEM_UNAVAILABLE', `Network emulation is not available here: ${reason}`),
  invalid: (what: string, value: unknown, fix: string) =>
    new NetemError('ERR_NETEM_INVALID', `${what} ${fix}, got: ${show(value)}.`),
  command: (command: string, detail: string, cause?: unknown) =>
    new NetemError(
      'ERR_NETEM_SETUP',
      `\`${command}\` failed: ${detail.trim() || 'no error output'}. The network is removed again; check that nothing else manages these namespaces, and run with root.`,
      { cause },
    ),
  relay: (namespace: string, detail: string) =>
    new NetemError(
      'ERR_NETEM_SETUP',
      `The delay relay in namespace ${namespace} did not start: ${detail.trim() || 'it exited without output'}.`,
    ),
  aborted: () =>
    new NetemError('ERR_NETEM_SETUP', 'Building the network was aborted; what was built is removed.'),
}
