#!/usr/bin/env bash
# Prepares a development environment in .venv: jelai installed in editable
# mode, its labextension built and linked into JupyterLab. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate

# The build tools go in first so the editable build can run without an
# isolated environment (which would download JupyterLab again every time).
pip install --quiet --disable-pip-version-check \
  "jupyterlab>=4.6,<4.7" "hatchling>=1.5" editables hatch-nodejs-version "hatch-jupyter-builder>=0.5"
# The extension is built below rather than by pip, so re-runs rebuild what changed.
SKIP_JUPYTER_BUILDER=1 pip install --quiet --disable-pip-version-check --no-build-isolation -e ".[test]"
jlpm install --silent
jlpm build
jupyter labextension develop . --overwrite >/dev/null
jupyter server extension enable jelai >/dev/null
