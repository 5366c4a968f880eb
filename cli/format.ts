/** A byte count for people: `1.07 GB`, `42.7 MB`, `4.3 kB` (powers of ten, as the summaries print sizes). */
export const human = (bytes: number): string =>
  bytes >= 1e9
    ? `${(bytes / 1e9).toFixed(2)} GB`
    : bytes >= 1e6
      ? `${(bytes / 1e6).toFixed(1)} MB`
      : `${(bytes / 1e3).toFixed(1)} kB`
