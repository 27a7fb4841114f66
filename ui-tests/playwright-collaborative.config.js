/**
 * The UI tests of collaborative mode: the same JupyterLab and fake Ollama as
 * playwright.config.js, with jupyter-collaboration's real-time collaboration
 * turned on (the default configuration turns it off).
 */
const base = require('./playwright.config');

const [fakeOllama, lab] = base.webServer;

module.exports = {
  ...base,
  testIgnore: undefined,
  testMatch: '**/*.collaborative.spec.ts',
  webServer: [
    fakeOllama,
    { ...lab, command: `${lab.command} --YDocExtension.disable_rtc=False` }
  ]
};
