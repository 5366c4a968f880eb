/**
 * p2pcdn: deliver a website's static assets through a peer-to-peer CDN on IPFS.
 *
 * @packageDocumentation
 */
export { BadBlockError, encodeCar, type WriteCarResult, walkDag, writeCar } from './car/write-car.js'
export { type LoadedConfig, loadConfig } from './config/load-config.js'
export {
  CAR_FILE,
  DEFAULT_CACHE_MAX_SIZE,
  DEFAULT_PROFILE,
  IPNS_RECORD_FILE,
  MANIFEST_FILE,
  MANIFEST_SCHEMA_VERSION,
  PROFILES,
  type ProfileName,
  RUNTIME_DATA_FILE,
  RUNTIME_FILE,
} from './constants.js'
export {
  type KuboFollow,
  type KuboFollowEvents,
  type KuboFollowedSite,
  type KuboFollowOptions,
  startKuboFollow,
} from './discovery/kubo-follow.js'
export {
  type KuboSession,
  type KuboSessionEvents,
  type KuboSessionOptions,
  startKuboSession,
} from './discovery/kubo-session.js'
export { type ErrorCode, P2pcdnError } from './errors.js'
export { HostError, hostRequest, type RetryPolicy } from './hosts/http.js'
export {
  addHost,
  hostsConfigFile,
  listHosts,
  removeHost,
  resolveTargets,
  validateHosts,
} from './hosts/registry.js'
export {
  HOST_TYPES,
  type HostCheck,
  type HostEntry,
  type HostTarget,
  type HostType,
  type SiteBlocks,
} from './hosts/types.js'
export {
  type CachedSite,
  type CacheUsage,
  cacheUsage,
  type PruneResult,
  pruneCache,
} from './import/cache-folder.js'
export { type CidOfPathOptions, cidOfPath } from './import/cid-of-path.js'
export { type ImportAssetsResult, type ImportedAsset, importAssets } from './import/import-assets.js'
export { buildSiteRoot, type SiteEntry } from './import/site-root.js'
export { type FileLayout, type LeafLocation, SourceBlockstore } from './import/source-blocks.js'
export {
  defaultKeyFile,
  IPNS_KEY_ENV,
  type LoadSiteKeyOptions,
  loadSiteKey,
  type SiteKey,
} from './ipns/site-key.js'
export {
  contentTypeOf,
  type Manifest,
  type ManifestAsset,
  serialiseManifest,
} from './manifest/write-manifest.js'
export {
  defaultCacheDir,
  defineConfig,
  type P2pcdnOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
export type { PublishProgressDetails, PublishProgressEvents } from './progress.js'
export { type PublishIpns, type PublishResult, publish } from './publish.js'
export { openPublishedSite, type PublishedSite } from './push/published-site.js'
export {
  adapterFor,
  type HostPushResult,
  type PushSiteOptions,
  type PushSiteResult,
  pushSite,
} from './push/push-site.js'
export { siteBlocks } from './push/site-blocks.js'
export { normaliseRemote, SITE_META_KEY, type SiteIdentity, siteIdentity } from './push/site-identity.js'
export {
  ASSET_NAMES,
  type ComputeTablesOptions,
  type ComputeTablesResult,
  type CurlAssetResult,
  type CurlTimings,
  chartFileName,
  computeTables,
  type DroppedGet,
  type ExcludedClient,
  formatTablesText,
  formatTableText,
  geometricMean,
  type IpfsAssetResult,
  isPaperFile,
  PAPER_EXCLUSIONS,
  PAPER_TABLES,
  parseResults,
  type ReadResultsResult,
  type ReportRow,
  type ReportTable,
  type ResultsEntry,
  type ResultsFile,
  readResults,
  renderTableSvg,
  SOURCE_NAMES,
  splitFailedGets,
  tableTitle,
  validateResults,
  writeSvgCharts,
} from './report/index.js'
export { findCssReferences, rewriteCss } from './rewrite/css-references.js'
export { findHtmlReferences, type HtmlReference, type HtmlReferences } from './rewrite/html-references.js'
export { type IpfsLinkFormat, type IpfsLinkOptions, ipfsLink, parseIpfsLink } from './rewrite/ipfs-link.js'
export type { PublishedAsset, RewriteContext } from './rewrite/plan-reference.js'
export { type ResolvedReference, resolveReference } from './rewrite/resolve-reference.js'
export { type RewriteHtmlOptions, type RewriteHtmlResult, rewriteHtml } from './rewrite/rewrite-html.js'
export { type RewriteScriptResult, rewriteScript } from './rewrite/rewrite-script.js'
export { type RewriteSiteResult, rewriteSite } from './rewrite/rewrite-site.js'
export { type RewriteStylesheetResult, rewriteStylesheet } from './rewrite/rewrite-stylesheet.js'
export { type ScriptReference, type ScriptScan, scanScript } from './rewrite/script-references.js'
export type { Edit, ElementInfo, Reference, ReferenceContext } from './rewrite/types.js'
export { type ScannedAsset, type ScanResult, scanSite } from './scan/scan-site.js'
export { parseSize } from './utils/parse-size.js'
export { packageVersion } from './version.js'
export type { Warning } from './warnings.js'
