// The JupyterLab preset (babel-preset-env for the running Node) as a plain object.
const config = require('@jupyterlab/testutils/lib/babel.config');

module.exports = config.default ?? config;
