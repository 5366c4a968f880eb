/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per
 * package or source file, and the hottest functions.
 */
import fs from 'node:fs/promises'
import path from 'node:path'

/** Where a function lives: a package, one of our own files, node internals, or a V8 pseudo-node. */
function ownerOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)'
  const clean = url.replace(/^file:\/\//, '')
  const nm = clean.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const rest = clean.slice(nm + '/node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  const dist = clean.indexOf('/dist/src/')
  if (dist !== -1) return `p2pcdn:${clean.slice(dist + '/dist/src/'.length)}`
  if (clean.startsWith('node:')) return clean
  return path.basename(clean)
}

/** Self time (ms) by owner and by function, largest first. */
export async function summariseProfile(file, top = 12) {
  const profile = JSON.parse(await fs.readFile(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map()
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const owners = new Map()
  const functions = new Map()
  let totalUs = 0
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)
    const owner = ownerOf(callFrame.url, callFrame.functionName)
    const fn = `${callFrame.functionName || '(anonymous)'} ${owner}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`
    owners.set(owner, (owners.get(owner) ?? 0) + us)
    functions.set(fn, (functions.get(fn) ?? 0) + us)
    totalUs += us
  }
  const rank = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / totalUs }))
  return { totalMs: totalUs / 1000, byOwner: rank(owners), byFunction: rank(functions) }
}
