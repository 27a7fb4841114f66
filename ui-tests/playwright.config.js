/**
 * Galata in Debian's Chromium: no browser download, no video (its encoder
 * would be downloaded), and a fake Ollama beside JupyterLab.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const chromium = process.env.JELAI_CHROMIUM || '/usr/bin/chromium';
const fakeOllamaPort = 11555;

module.exports = {
  ...baseConfig,
  timeout: 120 * 1000,
  workers: 1,
  retries: 0,
  reporter: [[process.env.CI ? 'line' : 'list']],
  use: {
    ...baseConfig.use,
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
      command: 'jlpm start',
      url: 'http://localhost:8888/lab',
      timeout: 120 * 1000,
      reuseExistingServer: false
    }
  ]
};
