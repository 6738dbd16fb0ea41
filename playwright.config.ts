import { defineConfig } from '@playwright/test'

// The UI is tested in browser mode (the same contract over a WebSocket), with Debian's chromium:
// `npx playwright install` cannot download browsers here. The global setup starts `thaw serve`
// on a throwaway config folder and hands its URL (with the token) to the tests.
export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    }
  }
})
