#!/usr/bin/env bash
# Everything a fresh checkout needs: system packages, a running pcscd with the vpcd readers, a private
# PostgreSQL for the workflow store tests (postgres://postgres@127.0.0.1:54329/mynakit_test), the
# workspace's dependencies (exactly as locked), and a build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*"; }

bash scripts/install-system-deps.sh
bash scripts/start-pcscd.sh
bash scripts/start-postgres.sh >/dev/null

if [ -f pnpm-lock.yaml ]; then
  log "pnpm install --frozen-lockfile"
  pnpm install --frozen-lockfile
else
  log "no pnpm-lock.yaml: pnpm install"
  pnpm install
fi

log "pnpm build"
pnpm build
