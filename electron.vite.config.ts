import { resolve } from 'node:path'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'electron-vite'

export default defineConfig({
  main: {
    build: {
      // native TF backends are optional: keep them external so a missing one is a runtime choice
      externalizeDeps: { include: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] },
      // the engine workers are spawned from worker.js beside the main bundle (src/main/engine/spawn.ts)
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          worker: resolve(__dirname, 'src/main/engine/worker.ts')
        }
      }
    }
  },
  preload: {
    // a sandboxed preload cannot require() packages: bundle everything it imports
    build: { externalizeDeps: false }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: { rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') } },
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.mjs') })]
  }
})
