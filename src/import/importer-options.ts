import type { ImporterOptions } from 'ipfs-unixfs-importer'
import type { ProfileName } from '../constants.js'

/**
 * Importer options for a profile. A fresh object each call: the importer
 * writes its profile defaults into the options object it is given.
 */
export function importerOptions(profile: ProfileName, extra: ImporterOptions = {}): ImporterOptions {
  return { profile, fileImportConcurrency: 16, blockWriteConcurrency: 16, ...extra }
}
