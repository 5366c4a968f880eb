import { unplugin } from './unplugin.js'

export type { P2pcdnPluginOptions } from './unplugin.js'

/** The p2pcdn webpack plugin: publishes the build output to the P2P CDN after a production build. */
export default unplugin.webpack
