/**
 * The UI test with a real model: the same JupyterLab as playwright.config.js,
 * whose tutor is answered by SmolLM2 on llama.cpp's OpenAI-compatible server
 * (tests/real_model.py; `bash scripts/real_model.sh` installs it) instead of
 * the fake Ollama.
 */
const base = require('./playwright.config');

const labPort = Number(process.env.JELAI_UI_PORT || 8888);
const modelPort = Number(process.env.JELAI_REAL_MODEL_PORT || 11556);

module.exports = {
  ...base,
  // A real model's reply takes seconds, more on a loaded machine.
  timeout: 240 * 1000,
  testIgnore: undefined,
  testMatch: '**/*.real-model.spec.ts',
  webServer: [
    {
      command: `python ../tests/real_model.py --port ${modelPort}`,
      url: `http://127.0.0.1:${modelPort}/v1/models`,
      timeout: 120 * 1000,
      reuseExistingServer: false
    },
    {
      command: `jupyter lab --config jupyter_server_real_model_config.py --port ${labPort}`,
      env: { ...process.env, JELAI_REAL_MODEL_PORT: String(modelPort) },
      url: `http://localhost:${labPort}/lab`,
      timeout: 120 * 1000,
      reuseExistingServer: false
    }
  ]
};
