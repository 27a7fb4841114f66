#!/usr/bin/env bash
# Runs every test: lint, jest, pytest and the UI tests in Debian's Chromium.
# Installs what it needs (Python and npm packages, Chromium) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate

step() { printf '\n=== %s\n' "$1"; }

step "lint"
jlpm lint:check
ruff check jelai tests ui-tests bench
ruff format --check jelai tests ui-tests bench

step "jest"
jlpm test

step "pytest"
# The store's tests start a PostgreSQL server of their own (tests/postgres.py)
# from Debian's programs; a cluster service the package may start is not used.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq postgresql >/dev/null
fi
# The hub's network test runs the students' servers in a network namespace
# of its own (tests/hub/netns.py), made with `ip` from iproute2, as root.
if ! command -v ip >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq iproute2 >/dev/null
fi
# The real model's tests run llama.cpp's server with SmolLM2 (tests/real_model.py).
# The first run compiles llama-cpp-python (minutes); later runs reuse its wheel.
bash scripts/real_model.sh >/dev/null
python -m pytest -q

step "ui tests (galata in Chromium)"
if [ ! -x "${JELAI_CHROMIUM:-/usr/bin/chromium}" ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium >/dev/null
fi
cd ui-tests
jlpm install >/dev/null
jlpm playwright test
# Collaborative mode (jupyter-collaboration on) needs a server of its own.
jlpm playwright test -c playwright-collaborative.config.js
# The tutor answered by the real model (SmolLM2 on llama.cpp's server, installed above).
jlpm playwright test -c playwright-real-model.config.js
