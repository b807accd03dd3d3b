#!/usr/bin/env bash
# Set up, then run every check: types, lint, and the unit and PC/SC test projects. Runs all of them
# even when one fails, so one run shows every problem; exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[test] %s\n' "$*"; }

bash scripts/setup.sh

failed=()
for step in typecheck lint; do
  log "pnpm $step"
  if ! pnpm "$step"; then
    failed+=("$step")
  fi
done

log "pnpm test (unit and PC/SC projects)"
mkdir -p .tmp
if ! pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-results.json; then
  failed+=("test")
fi
# One plain closing line that any CI can read, whatever vitest printed above.
if [ -f .tmp/vitest-results.json ]; then
  node -e 'const r = require("./.tmp/vitest-results.json");
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);'
fi

if [ "${#failed[@]}" -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "all checks passed"
