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
# Everything the demo keeps is in .demo/ (ignored by git), so nothing git
# tracks changes and nothing is shared with other clones:
#   .demo/lab/notebooks/  the working copy of demo/ JupyterLab serves, made on
#                         the first run and kept, so a student's work stays
#                         (files added to demo/ later are copied in)
#   .demo/lab/jelai/      jelai's data folder: the events and exchanges
#   .demo/lab/jupyter/    JupyterLab's settings and workspaces, the
#                         collaboration, file-id and notebook-trust databases,
#                         the kernels' IPython history
#   .demo/hub/            the course of --hub (see scripts/demo_hub_config.py)
#   .demo/*/model.log     the demonstration model's log, of the last run
# The configuration each run writes (.demo/*/run.*/) is removed when it stops.
# --fresh starts again: it removes the folder of the chosen demo first.
#
# --hub starts a course instead: JupyterHub with the jelai service on
# http://127.0.0.1:8000, students ana and bob and instructor teacher, all with
# the password jelai-demo (see scripts/demo_hub_config.py). The service uses
# the same model server.
#
# Other arguments go to `jupyter lab` (or `jupyterhub`). Ctrl-C, or a TERM
# signal to this script, stops the server, its kernels and the model.
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

state=$PWD/.demo/lab
if [ "$hub" = 1 ]; then
  state=$PWD/.demo/hub
fi
if [ "$fresh" = 1 ]; then
  rm -rf "$state"
fi
mkdir -p "$state"
run=$(mktemp -d "$state/run.XXXXXX")

DEMO_MODEL=SmolLM2-135M-Instruct
# The demonstration model's context window (llama.cpp's --n_ctx), in tokens.
DEMO_CONTEXT=4096
NOTICE="A tiny demonstration model ($DEMO_MODEL, on this computer) is answering: expect weak, often wrong help. For a real tutor, run Ollama with a model (ollama pull llama3.1:8b) and start the demo with OLLAMA_HOST set to it, or name your model servers in c.JelaiTutor.upstreams (see the README)."

model_pid=
server_pid=
announcer_pid=
# Stops a process started in a session of its own, and what it started there:
# asked first, made to after 20 s.
stop_session() {
  local pid=$1
  if [ -z "$pid" ] || ! kill -TERM "$pid" 2>/dev/null; then
    return 0
  fi
  for _ in $(seq 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
finish() {
  if [ -n "$announcer_pid" ]; then
    kill "$announcer_pid" 2>/dev/null || true
  fi
  stop_session "$server_pid"
  stop_session "$model_pid"
  rm -rf "$run"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

ollama=${OLLAMA_HOST:-http://127.0.0.1:11434}
if [[ $ollama != *://* ]]; then
  ollama="http://$ollama"
fi

free_port() {
  python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_taken() {
  python -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"
}

# The tutor's settings (c.JelaiTutor, as JSON), for JupyterLab and for the
# course's service alike; empty for jelai's defaults. `model` says in words
# which model server answers.
tutor='{}'
model="none: the tutor will say that the model server is not reachable"

# Starts the tiny real model; sets `tutor` to the settings that use it.
start_demo_model() {
  local gguf port log=$state/model.log
  echo "No model server answers at $ollama: starting a tiny demonstration model (set JELAI_DEMO_MODEL=0 to skip)..." >&2
  if ! gguf=$(bash scripts/real_model.sh | tail -n 1) || [ ! -f "$gguf" ]; then
    echo "The demonstration model could not be installed; the tutor will say that the model server is not reachable." >&2
    return 0
  fi
  port=$(free_port)
  # Its own session: a Ctrl-C meant for Jupyter does not reach it; the trap
  # stops it when the demo ends.
  setsid python -m llama_cpp.server --model "$gguf" --model_alias "$DEMO_MODEL" \
    --host 127.0.0.1 --port "$port" --n_ctx "$DEMO_CONTEXT" --interrupt_requests False \
    >"$log" 2>&1 </dev/null &
  model_pid=$!
  for _ in $(seq 450); do
    if curl -sf --max-time 2 "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1; then
      echo "The demonstration model answers at http://127.0.0.1:$port/v1 (log: $log)." >&2
      model="http://127.0.0.1:$port/v1 ($DEMO_MODEL, the demonstration model; log: ${log#"$PWD"/})"
      tutor=$(python - "http://127.0.0.1:$port/v1" "$DEMO_MODEL" "$DEMO_CONTEXT" "$NOTICE" <<'PY'
import json, sys

from jelai.gateway.context_window import reply_room

url, model, window, notice = sys.argv[1:]
window = int(window)
print(json.dumps({
    "upstreams": [{"url": url, "api": "openai", "models": [model]}],
    "default_model": model,
    "context_window": window,
    # The most the window holds with room for the reply, so that the demo
    # does not trip its own warning that the budget does not fit.
    "context_budget_tokens": window - reply_room(window),
    "notice": notice,
}))
PY
      )
      return 0
    fi
    if ! kill -0 "$model_pid" 2>/dev/null; then
      break
    fi
    sleep 0.2
  done
  echo "The demonstration model did not start (log: $log); the tutor will say that the model server is not reachable." >&2
  stop_session "$model_pid"
  model_pid=
}

if [ "${JELAI_FAKE_OLLAMA:-}" = 1 ]; then
  fake_port=${JELAI_FAKE_OLLAMA_PORT:-11555}
  setsid python tests/fake_ollama.py --port "$fake_port" --delay 0.03 </dev/null &
  model_pid=$!
  tutor="{\"ollama_url\": \"http://127.0.0.1:$fake_port\"}"
  model="http://127.0.0.1:$fake_port (the test suite's fake Ollama)"
elif curl -sf --max-time 2 "$ollama/api/tags" >/dev/null 2>&1; then
  tutor=$(python -c 'import json, sys; print(json.dumps({"ollama_url": sys.argv[1]}))' "$ollama")
  model="$ollama (Ollama)"
elif [ "${JELAI_DEMO_MODEL:-1}" != 0 ]; then
  start_demo_model
fi

if [ "$hub" = 1 ]; then
  if [ ! -x tests/hub/node_modules/.bin/configurable-http-proxy ]; then
    npm install --prefix tests/hub --no-package-lock --no-audit --no-fund --silent \
      --logs-dir "$state/npm-logs"
  fi
  # The hub's configuration hands the tutor's settings to the service, which
  # alone reaches the model.
  python -c 'import json, sys; print(json.dumps({"JelaiTutor": json.loads(sys.argv[1])}))' \
    "$tutor" >"$run/jelai_service_config.json"
  export JELAI_DEMO_SERVICE_CONFIG=$run/jelai_service_config.json JELAI_DEMO_STATE=$state
  if [ -z "${JELAI_DEMO_PORT:-}" ] && port_taken 8000; then
    JELAI_DEMO_PORT=$(free_port)
    echo "Port 8000 is taken: the course demo listens on $JELAI_DEMO_PORT instead (JELAI_DEMO_PORT chooses)." >&2
  fi
  export JELAI_DEMO_PORT=${JELAI_DEMO_PORT:-8000}
  # Chosen here rather than by the hub's configuration, to ask the proxy
  # when the hub has given it its routes.
  JELAI_DEMO_PROXY_API_PORT=${JELAI_DEMO_PROXY_API_PORT:-$(free_port)}
  CONFIGPROXY_AUTH_TOKEN=$(python -c 'import secrets; print(secrets.token_hex(32))')
  export JELAI_DEMO_PROXY_API_PORT CONFIGPROXY_AUTH_TOKEN
  server=(jupyterhub -f scripts/demo_hub_config.py)
else
  mkdir -p "$state/notebooks" "$state/jupyter" "$state/jelai"
  # Copies what the working copy lacks; the student's own changes stay.
  python - demo "$state/notebooks" <<'PY'
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
  # JupyterLab takes the tutor's settings from a config file: on its command
  # line a server extension's list of dicts stays a string.
  python -c 'import json, sys; print(json.dumps({"JelaiTutor": json.loads(sys.argv[1])}))' \
    "$tutor" >"$run/jupyter_server_config.json"
  export JUPYTER_CONFIG_PATH="$run${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
  # The server's and its kernels' connection files; the kernels' history.
  export JUPYTER_RUNTIME_DIR=$run/runtime IPYTHONDIR=$state/jupyter/ipython
  jupyter=$state/jupyter
  server=(
    jupyter lab --ServerApp.root_dir="$state/notebooks" --ServerApp.allow_root=True
    --Jelai.data_dir="$state/jelai"
    --LabApp.user_settings_dir="$jupyter/settings" --LabApp.workspaces_dir="$jupyter/workspaces"
    --SQLiteYStore.db_path="$jupyter/ystore.db"
    --YDocExtension.session_store_path="$jupyter/collaboration_sessions.json"
    --BaseFileIdManager.db_path="$jupyter/file_id_manager.db"
    --NotebookNotary.db_file="$jupyter/nbsignatures.db" --NotebookNotary.secret_file="$jupyter/notebook_secret"
    # Looking for language servers runs npm, which logs in the home folder;
    # the demo has none.
    --LanguageServerManager.autodetect=False
  )
fi

# In a session of its own, so that a Ctrl-C reaches this script alone, which
# stops the server once (JupyterLab would otherwise ask for a confirmation it
# cannot read, and JupyterHub would be stopped twice).
setsid "${server[@]}" "${args[@]}" </dev/null &
server_pid=$!

# Where to go: the JupyterLab or JupyterHub address once it answers, the
# model server. Printed after the server's own start-up lines.
ready_url() {
  if [ "$hub" = 1 ]; then
    # The proxy's routes to the hub and the service, from its API: asking the
    # public address before they exist fills the log with errors.
    curl -sf --max-time 2 -H "Authorization: token $CONFIGPROXY_AUTH_TOKEN" \
      "http://127.0.0.1:$JELAI_DEMO_PROXY_API_PORT/api/routes" |
      python -c 'import json, sys; sys.exit(not {"/", "/services/jelai"} <= set(json.load(sys.stdin)))' &&
      echo "http://127.0.0.1:$JELAI_DEMO_PORT/hub/login"
  else
    # Jupyter writes its address and token here once it listens.
    python - "$JUPYTER_RUNTIME_DIR" <<'PY'
import json, sys, urllib.request
from pathlib import Path

for info in Path(sys.argv[1]).glob("jpserver-*.json"):
    server = json.loads(info.read_text())
    url = f"http://127.0.0.1:{server['port']}{server['base_url']}"
    urllib.request.urlopen(f"{url}api/status?token={server['token']}", timeout=2)
    print(f"{url}lab/tree/exercise-1-basket.ipynb?token={server['token']}")
    break
else:
    sys.exit(1)
PY
  fi
}
announce() {
  local url
  for _ in $(seq 1200); do
    if url=$(ready_url 2>/dev/null); then
      echo
      if [ "$hub" = 1 ]; then
        echo "jelai course demo: $url"
        echo "  accounts:  ana, bob (students), teacher (instructor); password ${JELAI_DEMO_PASSWORD:-jelai-demo}"
        echo "  the course: ${state#"$PWD"/}/ (--hub --fresh starts again)"
      else
        echo "jelai demo: $url"
        echo "  your work: ${state#"$PWD"/}/notebooks/ (--fresh starts again from demo/)"
      fi
      echo "  the model: $model"
      echo "  Ctrl-C stops the demo."
      echo
      return 0
    fi
    sleep 0.5
  done
}
announce &
announcer_pid=$!
wait "$server_pid"
