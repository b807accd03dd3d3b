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

# The PC/SC project runs after the unit project, not beside it: its virtual cards answer pcscd from a test
# process, and a machine with two cores busy with unit tests makes them late.
mkdir -p .tmp
for project in unit pcsc pack; do
  log "pnpm test --project $project"
  if ! pnpm exec vitest run --project "$project" --reporter=default --reporter=json \
    --outputFile.json=".tmp/vitest-$project.json"; then
    failed+=("test:$project")
  fi
done
# One plain closing line that any CI can read, whatever vitest printed above.
node -e 'const fs = require("fs");
  let passed = 0, failedCount = 0, skipped = 0;
  for (const p of ["unit", "pcsc", "pack"]) {
    const file = `.tmp/vitest-${p}.json`;
    if (!fs.existsSync(file)) continue;
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failedCount += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${passed} passed, ${failedCount} failed, ${skipped} skipped`);'

if [ "${#failed[@]}" -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "all checks passed"
