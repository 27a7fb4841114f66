/**
 * Galata in Debian's Chromium: no browser download, no video (its encoder
 * would be downloaded), and a fake Ollama beside JupyterLab.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const chromium = process.env.JELAI_CHROMIUM || '/usr/bin/chromium';
// Other ports let a second copy of the suite run beside a developer's.
const labPort = Number(process.env.JELAI_UI_PORT || 8888);
const fakeOllamaPort = Number(process.env.JELAI_FAKE_OLLAMA_PORT || 11555);

module.exports = {
  ...baseConfig,
  timeout: 120 * 1000,
  // Assertions wait for the state they check; on a loaded machine that state
  // can take far longer than Playwright's 5 s default to arrive.
  expect: { timeout: 30 * 1000 },
  workers: 1,
  retries: 0,
  reporter: [[process.env.CI ? 'line' : 'list']],
  // Collaborative mode and the real model have their own servers:
  // playwright-collaborative.config.js and playwright-real-model.config.js.
  testIgnore: ['**/*.collaborative.spec.ts', '**/*.real-model.spec.ts'],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${labPort}`,
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: [
    {
      command: `python ../tests/fake_ollama.py --port ${fakeOllamaPort} --delay 0.02`,
      url: `http://127.0.0.1:${fakeOllamaPort}/api/version`,
      timeout: 30 * 1000,
      reuseExistingServer: false
    },
    {
      command: `jlpm start --port ${labPort} --JelaiTutor.ollama_url=http://127.0.0.1:${fakeOllamaPort}`,
      url: `http://localhost:${labPort}/lab`,
      timeout: 120 * 1000,
      // Assertions wait for the state they check; on a loaded machine that state
      // can take far longer than Playwright's 5 s default to arrive.
      expect: { timeout: 30 * 1000 },
      reuseExistingServer: false
    }
  ]
};
