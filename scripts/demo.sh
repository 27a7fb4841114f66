#!/usr/bin/env bash
# Sets up jelai and starts JupyterLab on the demo notebooks.
# The tutor talks to the Ollama at $OLLAMA_HOST (default 127.0.0.1:11434) when
# one answers. Otherwise a tiny real model answers: SmolLM2-135M on llama.cpp's
# OpenAI-compatible server (installed by scripts/real_model.sh; its first run
# compiles it, several minutes), on a free loopback port, stopped with the
# demo; the tutor panel says that a demonstration model answers. If it cannot
# be installed or started (or JELAI_DEMO_MODEL=0), the panel shows that the
# model server is not reachable.
# JELAI_FAKE_OLLAMA=1 starts the test suite's fake Ollama instead (on
# $JELAI_FAKE_OLLAMA_PORT, default 11555).
#
# JupyterLab serves a working copy of demo/ in .demo/lab/notebooks/ (made on
# the first run, kept between runs so a student's work stays; files added to
# demo/ later are copied in), with the collaboration and file-id databases in
# .demo/lab/jupyter/, so nothing tracked by git changes. --fresh starts again
# from demo/ (it removes .demo/lab/ first).
#
# --hub starts a course instead: JupyterHub with the jelai service on
# http://127.0.0.1:8000, students ana and bob and instructor teacher, all with
# the password jelai-demo (see scripts/demo_hub_config.py). The service uses
# the same model server.
set -euo pipefail
cd "$(dirname "$0")/.."

hub=0
fresh=0
args=()
for arg in "$@"; do
  case $arg in
  --hub) hub=1 ;;
  --fresh) fresh=1 ;;
  *) args+=("$arg") ;;
  esac
done

bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate

DEMO_MODEL=SmolLM2-135M-Instruct
NOTICE="A tiny demonstration model ($DEMO_MODEL, on this computer) is answering: expect weak, often wrong help. For a real tutor, run Ollama with a model (ollama pull llama3.1:8b) and start the demo with OLLAMA_HOST set to it, or name your model servers in c.JelaiTutor.upstreams (see the README)."

model_pid=
stop_model() {
  if [ -n "$model_pid" ]; then
    kill "$model_pid" 2>/dev/null || true
    wait "$model_pid" 2>/dev/null || true
  fi
}
trap stop_model EXIT

ollama=${OLLAMA_HOST:-http://127.0.0.1:11434}
if [[ $ollama != *://* ]]; then
  ollama="http://$ollama"
fi

free_port() {
  python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the tiny real model; sets `tutor` to the settings that use it.
start_demo_model() {
  local gguf port log
  echo "No model server answers at $ollama: starting a tiny demonstration model (set JELAI_DEMO_MODEL=0 to skip)..." >&2
  if ! gguf=$(bash scripts/real_model.sh | tail -n 1) || [ ! -f "$gguf" ]; then
    echo "The demonstration model could not be installed; the tutor will say that the model server is not reachable." >&2
    return 0
  fi
  port=$(free_port)
  log=$(mktemp "${TMPDIR:-/tmp}/jelai-demo-model.XXXXXX.log")
  # Its own session: a Ctrl-C meant for Jupyter (which asks before it stops)
  # does not reach it; the trap stops it when the demo ends.
  setsid python -m llama_cpp.server --model "$gguf" --model_alias "$DEMO_MODEL" \
    --host 127.0.0.1 --port "$port" --n_ctx 4096 --interrupt_requests False \
    >"$log" 2>&1 </dev/null &
  model_pid=$!
  for _ in $(seq 450); do
    if curl -sf --max-time 2 "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1; then
      echo "The demonstration model answers at http://127.0.0.1:$port/v1 (log: $log)." >&2
      tutor=(
        "--JelaiTutor.upstreams={\"url\": \"http://127.0.0.1:$port/v1\", \"api\": \"openai\", \"models\": [\"$DEMO_MODEL\"]}"
        "--JelaiTutor.default_model=$DEMO_MODEL"
        "--JelaiTutor.context_window=4096"
        "--JelaiTutor.notice=$NOTICE"
      )
      # JupyterLab takes them from a config file: on its command line a server
      # extension's list of dicts stays a string.
      lab_config=$(mktemp -d "${TMPDIR:-/tmp}/jelai-demo-config.XXXXXX")
      python - "$lab_config/jupyter_server_config.json" "http://127.0.0.1:$port/v1" "$DEMO_MODEL" "$NOTICE" <<'PY'
import json, sys

path, url, model, notice = sys.argv[1:]
tutor = {
    "upstreams": [{"url": url, "api": "openai", "models": [model]}],
    "default_model": model,
    "context_window": 4096,
    "notice": notice,
}
with open(path, "w") as config:
    json.dump({"JelaiTutor": tutor}, config, indent=1)
PY
      return 0
    fi
    if ! kill -0 "$model_pid" 2>/dev/null; then
      break
    fi
    sleep 0.2
  done
  echo "The demonstration model did not start (log: $log); the tutor will say that the model server is not reachable." >&2
  stop_model
  model_pid=
}

# The tutor's settings, for JupyterLab and for the course's service alike.
tutor=()
lab_config=
if [ "${JELAI_FAKE_OLLAMA:-}" = 1 ]; then
  fake_port=${JELAI_FAKE_OLLAMA_PORT:-11555}
  python tests/fake_ollama.py --port "$fake_port" --delay 0.03 &
  model_pid=$!
  tutor=(--JelaiTutor.ollama_url="http://127.0.0.1:$fake_port")
elif curl -sf --max-time 2 "$ollama/api/tags" >/dev/null 2>&1; then
  tutor=(--JelaiTutor.ollama_url="$ollama")
elif [ "${JELAI_DEMO_MODEL:-1}" != 0 ]; then
  start_demo_model
fi

if [ "$hub" = 1 ]; then
  if [ "$fresh" = 1 ]; then
    rm -rf .demo-hub
  fi
  if [ ! -x tests/hub/node_modules/.bin/configurable-http-proxy ]; then
    npm install --prefix tests/hub --no-package-lock --no-audit --no-fund --silent
  fi
  # The hub's configuration hands these to the service, which alone reaches the model.
  JELAI_DEMO_TUTOR_ARGS=$(python -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${tutor[@]}")
  export JELAI_DEMO_TUTOR_ARGS
  echo "jelai course demo: http://127.0.0.1:${JELAI_DEMO_PORT:-8000}  (ana, bob: students; teacher: instructor; password ${JELAI_DEMO_PASSWORD:-jelai-demo})"
  jupyterhub -f scripts/demo_hub_config.py "${args[@]}"
  exit
fi

lab=$PWD/.demo/lab
if [ "$fresh" = 1 ]; then
  rm -rf "$lab"
fi
mkdir -p "$lab/notebooks" "$lab/jupyter"
# Copies what the working copy lacks; the student's own changes stay.
python - demo "$lab/notebooks" <<'PY'
import shutil, sys
from pathlib import Path

source, target = map(Path, sys.argv[1:])
for path in sorted(source.rglob("*")):
    copy = target / path.relative_to(source)
    if path.is_dir():
        copy.mkdir(exist_ok=True)
    elif not copy.exists():
        shutil.copy2(path, copy)
PY
if [ -n "$lab_config" ]; then
  export JUPYTER_CONFIG_PATH="$lab_config${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
  tutor=()
fi
jupyter lab --ServerApp.root_dir="$lab/notebooks" --ServerApp.allow_root=True \
  --SQLiteYStore.db_path="$lab/jupyter/ystore.db" \
  --YDocExtension.session_store_path="$lab/jupyter/collaboration_sessions.json" \
  --BaseFileIdManager.db_path="$lab/jupyter/file_id_manager.db" \
  "${tutor[@]}" "${args[@]}"
