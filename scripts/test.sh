#!/usr/bin/env bash
# Set up, then run every check: types, lint, and the unit and PC/SC test projects. Runs all of them
# even when one fails, so one run shows every problem; exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[test] %s\n' "$*"; }

bash scripts/setup.sh

failed=()
for step in typecheck lint test; do
  log "pnpm $step"
  if ! pnpm "$step"; then
    failed+=("$step")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "all checks passed"
