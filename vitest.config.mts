import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // tfjs and its wasm backend must load as Node CommonJS, not through vite's transform.
    server: { deps: { inline: [] } },
    pool: 'forks'
  }
})
