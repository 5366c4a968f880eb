/**
 * `p2pcdn/host`: the host node (`p2pcdn host`), a Helia node that pins, serves and finds its peers.
 * A separate entry point so that `p2pcdn` itself does not load libp2p.
 *
 * @packageDocumentation
 */

export type { SessionDiscovery, SessionDiscoveryOptions } from '../discovery/session.js'
export { sessionBlock, sessionContent, sessionNumber, startSessionDiscovery } from '../discovery/session.js'
export {
  CarUploadError,
  type ImportCarResult,
  type IngestCarResult,
  importCar,
  ingestCar,
} from './car-upload.js'
export type { DagIndex, DagNode } from './dag-index.js'
export {
  DEFAULT_FOLLOW_GRACE_MS,
  DEFAULT_FOLLOW_INTERVAL_MS,
  type FollowDeps,
  type FollowedSite,
  type Following,
  type FollowOptions,
  startFollowing,
} from './follow.js'
export { DEFAULT_HTTP, type HostOptions, type HostStatus, type RunningHost, startHost } from './host.js'
export {
  HOST_CONFIG_KEYS,
  type HostConfigValues,
  loadHostConfig,
  parseHostConfig,
  REPO_CONFIG_FILE,
  repoConfigFile,
} from './host-config.js'
export { HostPins, type PinChange } from './host-pins.js'
export { createGateway, type GatewayOptions } from './http/gateway.js'
export { CAR_UPLOAD_PATH, MISSING_BLOCKS_PATH, STATUS_PATH } from './http/router.js'
export { handleRouting, IPNS_RECORD_TYPE, isRoutingPath, type RoutingDeps } from './http/routing.js'
export { httpUrlToMultiaddr, isHttpMultiaddr, listeningHttpMultiaddrs } from './http-multiaddrs.js'
export { type ImportCarsOptions, type ImportedCar, importCars } from './import-cars.js'
export {
  type IpnsPutOutcome,
  type IpnsRouting,
  IpnsStore,
  type IpnsStoreEvents,
  type IpnsStoreOptions,
} from './ipns-store.js'
export { type GcResult, gcRepo, type RepoStatus, repoStatus } from './maintenance.js'
export { createHostNode, DEFAULT_LISTEN, DHT_PROTOCOLS, type DhtMode, type HostNodeOptions } from './node.js'
export { type Pin, PinRequests, type PinStatus } from './pin-requests.js'
export {
  MAX_PROVIDERS,
  type PeerRecord,
  ProviderFinder,
  type ProviderFinderOptions,
  peerRecord,
  TRANSPORT_BITSWAP,
  TRANSPORT_HTTP,
} from './providers.js'
export { QuotaExceededError } from './quota-blockstore.js'
export { defaultRepoPath, type HostRepo, openRepo } from './repo.js'
export { createToken, listTokens, revokeToken, TokenVerifier } from './tokens.js'
