import os from 'node:os'
import path from 'node:path'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Publish signs an IPNS record with a key it creates on first use under $XDG_CONFIG_HOME: the
    // tests' keys go to a folder of their own, never the user's ~/.config.
    env: { XDG_CONFIG_HOME: path.join(os.tmpdir(), 'p2pcdn-test-config') },
  },
})
