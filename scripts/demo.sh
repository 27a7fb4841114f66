#!/usr/bin/env bash
# Sets up jelai and starts JupyterLab on the demo notebooks.
# The tutor talks to the Ollama at $OLLAMA_HOST (default 127.0.0.1:11434);
# without one it shows that the model server is not reachable.
# JELAI_FAKE_OLLAMA=1 starts the test suite's fake Ollama instead.
#
# --hub starts a course instead: JupyterHub with the jelai service on
# http://127.0.0.1:8000, students ana and bob and instructor teacher, all with
# the password jelai-demo (see scripts/demo_hub_config.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate

extra=()
if [ "${JELAI_FAKE_OLLAMA:-}" = 1 ]; then
  python tests/fake_ollama.py --port 11555 --delay 0.03 &
  trap 'kill $!' EXIT
  extra+=(--JelaiTutor.ollama_url=http://127.0.0.1:11555)
fi
if [ "${1:-}" = --hub ]; then
  shift
  if [ ! -x tests/hub/node_modules/.bin/configurable-http-proxy ]; then
    npm install --prefix tests/hub --no-package-lock --no-audit --no-fund --silent
  fi
  if [ "${JELAI_FAKE_OLLAMA:-}" = 1 ]; then
    export OLLAMA_HOST=http://127.0.0.1:11555
  fi
  echo "jelai course demo: http://127.0.0.1:${JELAI_DEMO_PORT:-8000}  (ana, bob: students; teacher: instructor; password ${JELAI_DEMO_PASSWORD:-jelai-demo})"
  jupyterhub -f scripts/demo_hub_config.py "$@"
  exit
fi
jupyter lab --ServerApp.root_dir=demo --ServerApp.allow_root=True "${extra[@]}" "$@"
