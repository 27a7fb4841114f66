#!/usr/bin/env bash
# Prepares a development environment in .venv: jelai installed in editable
# mode, its labextension built and linked into JupyterLab.
#
# Safe to re-run, and quick when nothing changed: each step keeps a hash of
# its inputs (pyproject.toml; package.json and yarn.lock; src/, style/,
# schema/...) in .venv/setup-stamps/ and is skipped while they are the same
# and its output is there. JELAI_SETUP_FORCE=1 runs every step.
#
# Quiet: one line per step that runs; what pip, yarn and webpack print goes
# to .venv/setup.log, whose end and path are shown if a step fails.
# JELAI_SETUP_VERBOSE=1 shows it as it comes as well.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/steps.sh
. scripts/steps.sh

python=${PYTHON:-python3}
mkdir -p .venv
STEPS_LOG=$PWD/.venv/setup.log
: >"$STEPS_LOG"
# pip's and yarn's temporary files stay in the clone and go when setup ends.
TMPDIR=$(mktemp -d "$PWD/.venv/tmp.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
stamps=.venv/setup-stamps

if [ ! -x .venv/bin/python ]; then
  logged "jelai setup: Python environment (.venv)" "$python" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate

pip=(pip install --disable-pip-version-check --progress-bar off)
python_packages() {
  # The build tools go in first so the editable build can run without an
  # isolated environment (which would download JupyterLab again every time).
  "${pip[@]}" "jupyterlab>=4.6,<4.7" "hatchling>=1.5" editables hatch-nodejs-version \
    "hatch-jupyter-builder>=0.5"
  # The extension is built below rather than by pip, so re-runs rebuild what changed.
  SKIP_JUPYTER_BUILDER=1 "${pip[@]}" --no-build-isolation -e ".[test]"
}
python_inputs=$(fingerprint pyproject.toml package.json scripts/setup.sh "$(python --version)")
step "$stamps/python" "$python_inputs" "jelai/_version.py" \
  "jelai setup: Python packages (JupyterLab, jelai[test])" python_packages

npm_inputs=$(fingerprint package.json yarn.lock .yarnrc.yml)
step "$stamps/npm" "$npm_inputs" "node_modules" \
  "jelai setup: npm packages (jlpm install)" jlpm install

# JupyterLab's version, from the Python step, shapes the built extension too.
build_inputs=$(fingerprint src style schema tsconfig.json install.json \
  scripts/build_eval_context.js "$stamps/python" "$stamps/npm")
step "$stamps/build" "$build_inputs" "lib/index.js jelai/labextension/package.json jelai/eval/builder" \
  "jelai setup: the extension (jlpm build)" jlpm build

link() {
  jupyter labextension develop . --overwrite
  jupyter server extension enable jelai
}
step "$stamps/link" "$(fingerprint "$stamps/python")" \
  ".venv/share/jupyter/labextensions/jelai .venv/etc/jupyter/jupyter_server_config.d/jelai.json" \
  "jelai setup: link the extension into JupyterLab" link

if [ "$STEPS_RAN" = 0 ]; then
  echo "jelai setup: up to date (.venv)" >&2
fi
