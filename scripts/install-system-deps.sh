#!/usr/bin/env bash
# Installs what mynakit needs from the system: pcscd and the vpcd driver (the real PC/SC stack the tests
# use), the headers and build tools for the pcsclite native addon, OpenSSL and OpenJPEG tools, and the pnpm
# version pinned in package.json. Idempotent: it installs only what is missing and says what it does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[install-system-deps] %s\n' "$*"; }
die() { printf '[install-system-deps] error: %s\n' "$*" >&2; exit 1; }

PACKAGES=(pcscd libpcsclite-dev vsmartcard-vpcd openssl libopenjp2-tools pcsc-tools iproute2 chromium python3 make g++)

# sudo only when we are not root (containers usually run as root and have no sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for: $* (run as root or install sudo)"
  fi
}

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "system packages already installed: ${PACKAGES[*]}"
  else
    log "installing: ${missing[*]}"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
else
  log "not a Debian/Ubuntu system: install the equivalents of these packages yourself: ${PACKAGES[*]}"
fi

command -v node >/dev/null 2>&1 || die "Node.js >= 20.19 is required (https://nodejs.org)"
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  die "Node.js >= 20.19 is required, found $(node --version)"
fi

wanted=$(node -p 'const pm = require("./package.json").packageManager ?? ""; pm.startsWith("pnpm@") ? pm.slice(5).split("+")[0] : ""')
[ -n "$wanted" ] || die 'package.json has no "packageManager": "pnpm@<version>"'
current=$(pnpm --version 2>/dev/null || true)
if [ "$current" = "$wanted" ]; then
  log "pnpm $wanted already installed"
else
  log "installing pnpm $wanted (found: ${current:-none})"
  prefix=$(npm prefix -g)
  if [ -w "$prefix/lib" ] || [ -w "$prefix" ]; then
    npm install -g "pnpm@$wanted"
  else
    as_root npm install -g "pnpm@$wanted"
  fi
fi
