# shellcheck shell=bash
# Quiet, skippable setup steps, sourced by scripts/setup.sh and
# scripts/real_model.sh (run from the repository's root, with `set -euo pipefail`).
#
# What the tools print goes to $STEPS_LOG (set it before the first step); one
# line per step is shown (on stderr, so that a script's own output stays
# apart), and when a step fails, the end of the log and its path.
# JELAI_SETUP_VERBOSE=1 shows the tools' output as it comes as well.

# One hash of the repository's path, of the arguments themselves and of the
# files they name (every file of a folder, its path and contents); an
# argument that names no file (a version, say) counts as its words alone.
fingerprint() {
  local paths=() path
  for path in "$@"; do
    if [ -e "$path" ]; then
      paths+=("$path")
    fi
  done
  {
    printf '%s\n' "$PWD" "$@"
    if [ ${#paths[@]} -gt 0 ]; then
      find "${paths[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
    fi
  } | sha256sum | cut -d' ' -f1
}

# logged LABEL COMMAND...: runs COMMAND with its output in the log, on one line
# of its own; stops the script, showing the log's end, if it fails.
logged() {
  local label=$1 start=$SECONDS status
  shift
  printf '%s ... ' "$label" >&2
  printf '\n=== %s: %s\n' "$label" "$*" >>"$STEPS_LOG"
  set +e
  if [ -n "${JELAI_SETUP_VERBOSE:-}" ]; then
    echo >&2
    (set -e; "$@") 2>&1 | tee -a "$STEPS_LOG" >&2
    status=${PIPESTATUS[0]}
  else
    (set -e; "$@") >>"$STEPS_LOG" 2>&1 </dev/null
    status=$?
  fi
  set -e
  if [ "$status" != 0 ]; then
    echo "failed." >&2
    echo "---- the end of $STEPS_LOG:" >&2
    tail -n 25 "$STEPS_LOG" >&2
    echo "---- $label failed (exit $status); the whole output is in $STEPS_LOG" >&2
    exit "$status"
  fi
  echo "done ($((SECONDS - start)) s)" >&2
}

# step STAMP FINGERPRINT OUTPUTS LABEL COMMAND...: runs COMMAND (see `logged`)
# unless the stamp file holds FINGERPRINT, from the last time it succeeded, and
# every path of OUTPUTS (space-separated paths the step makes) exists.
# JELAI_SETUP_FORCE=1 runs it anyway. Counts the steps that ran in STEPS_RAN.
STEPS_RAN=0
step() {
  local stamp=$1 print=$2 outputs path current=1
  read -ra outputs <<<"$3"
  shift 3
  if [ -n "${JELAI_SETUP_FORCE:-}" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$print" ]; then
    current=0
  fi
  for path in "${outputs[@]}"; do
    if [ ! -e "$path" ]; then
      current=0
    fi
  done
  if [ "$current" = 1 ]; then
    return 0
  fi
  rm -f "$stamp"
  logged "$@"
  STEPS_RAN=$((STEPS_RAN + 1))
  mkdir -p "$(dirname "$stamp")"
  echo "$print" >"$stamp"
}
