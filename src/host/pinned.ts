import type { Datastore } from 'interface-datastore'
import { Key } from 'interface-datastore'
import { base36 } from 'multiformats/bases/base36'
import type { CID } from 'multiformats/cid'

/**
 * True when a block belongs to a DAG pinned on this node. Helia's pins keep, for every pinned
 * block, a reference count under `/pinned-block/<base36 multihash>` in the datastore (part of
 * its on-disk format, so it is stable across versions); a root's own pin is `helia.pins.isPinned`.
 */
export async function isPinnedBlock(datastore: Pick<Datastore, 'has'>, cid: CID): Promise<boolean> {
  return datastore.has(new Key(`/pinned-block/${base36.encode(cid.multihash.bytes)}`))
}
