/** A non-fatal problem, reported in a step's result rather than thrown or logged. */
export interface Warning {
  /** Stable machine-readable code, e.g. `W_ASSET_MISSING`. */
  code: string
  /** What happened and what to do. */
  message: string
  /** The file concerned, relative to the site folder, when there is one. */
  path?: string
  /** 1-based line in that file, when known. */
  line?: number
}
