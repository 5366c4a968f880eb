/**
 * Network emulation for experiments: namespaces per node, shaped and delayed access links, the
 * paper's profiles and test configurations. Linux and root only; `checkNetem()` says why not.
 *
 * @packageDocumentation
 */

export type { CommandResult, RunOptions } from './commands.js'
export { NetemError, type NetemErrorCode } from './errors.js'
export {
  cleanupStaleNetworks,
  listNamespaces,
  NETNS_PREFIX,
  namespacePids,
  ownerOf,
} from './namespaces.js'
export { createNetwork, type Network } from './network.js'
export type { NetworkNode } from './node-handle.js'
export {
  type ExperimentClient,
  experimentNodes,
  NETEM_PROFILES,
  type NetemExperiment,
  type NetemProfile,
  type NetemProfileName,
  PAPER_ASSETS,
  PAPER_EXPERIMENTS,
  PARALLEL_HOSTS_EXPERIMENT,
  type PaperAsset,
} from './profiles.js'
export { formatRate, parseRate, type Rate } from './rate.js'
export {
  type RelayConfig,
  type RelayRoute,
  type RelayStats,
  type RunningRelay,
  runDelayRelay,
  VXLAN_PORT,
} from './relay.js'
export { type TbfParameters, tbfParameters } from './shaping.js'
export {
  DEFAULT_QUEUE_MS,
  gatewayAddress,
  type LinkSpec,
  MAX_NODES,
  type NetworkOptions,
  NODE_ROLES,
  type NodeRole,
  type NodeSpec,
  nodeAddress,
  type ResolvedLink,
  type ResolvedNode,
  resolveNodes,
} from './spec.js'
export { checkNetem, type NetemSupport, requireNetem } from './support.js'
