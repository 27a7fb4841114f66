#!/usr/bin/env bash
# Sets up jelai and starts JupyterLab on the demo notebooks.
# The tutor talks to the Ollama at $OLLAMA_HOST (default 127.0.0.1:11434);
# without one it shows that the model server is not reachable.
# JELAI_FAKE_OLLAMA=1 starts the test suite's fake Ollama instead.
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
jupyter lab --ServerApp.root_dir=demo --ServerApp.allow_root=True "${extra[@]}" "$@"
