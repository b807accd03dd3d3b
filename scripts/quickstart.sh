#!/usr/bin/env bash
# From a fresh checkout to the demo: set up, then run `mynakit demo` (arguments are passed through).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
pnpm mynakit demo "$@"
