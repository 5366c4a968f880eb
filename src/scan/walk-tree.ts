import fs from 'node:fs/promises'
import path from 'node:path'

/** One entry met by {@link walkTree}. */
export interface TreeEntry {
  /** Relative to the walked folder, `/`-separated. */
  path: string
  kind: 'file' | 'dir' | 'link' | 'other'
}

/**
 * Every entry under `root`, folders before their contents, links not followed.
 * Unlike a glob, it sees every name, including names with line breaks.
 */
export async function* walkTree(root: string, options: { dot?: boolean } = {}): AsyncGenerator<TreeEntry> {
  const pending = ['']
  while (pending.length > 0) {
    const rel = pending.pop() as string
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true })
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      if (!options.dot && entry.name.startsWith('.')) continue
      const p = rel === '' ? entry.name : `${rel}/${entry.name}`
      const kind = entry.isSymbolicLink()
        ? 'link'
        : entry.isDirectory()
          ? 'dir'
          : entry.isFile()
            ? 'file'
            : 'other'
      yield { path: p, kind }
      if (kind === 'dir') pending.push(p)
    }
  }
}
