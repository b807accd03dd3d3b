#!/usr/bin/env bash
# Starts pcscd when it is not running and waits until the vpcd reader is listed.
# pcscd runs without --auto-exit: an idle pcscd that exits would take the vpcd readers (and their TCP
# ports 35963/35964) with it between two tests.
set -euo pipefail

log() { printf '[start-pcscd] %s\n' "$*"; }
die() { printf '[start-pcscd] error: %s\n' "$*" >&2; exit 1; }

READER="${MYNAKIT_VPCD_READER:-Virtual PCD 00 00}"
WAIT_SECONDS="${MYNAKIT_PCSCD_WAIT_SECONDS:-20}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for: $* (run as root or install sudo)"
  fi
}

command -v pcscd >/dev/null 2>&1 || [ -x /usr/sbin/pcscd ] || die "pcscd is not installed: run scripts/install-system-deps.sh"
command -v pcsc_scan >/dev/null 2>&1 || die "pcsc_scan is not installed (package pcsc-tools): run scripts/install-system-deps.sh"

if pid=$(pgrep -x pcscd); then
  log "pcscd is running (pid $(echo "$pid" | tr '\n' ' ' | sed 's/ $//'))"
else
  if [ -d /run/systemd/system ] && systemctl is-active --quiet pcscd.socket 2>/dev/null; then
    log "pcscd is socket-activated by systemd; note that its unit may pass --auto-exit"
  else
    log "starting pcscd"
    as_root "$(command -v pcscd || echo /usr/sbin/pcscd)"
  fi
fi

# vpcd (the pcsc-lite driver) sends each frame's 2-byte length and its payload in two TCP writes; with Linux's
# delayed ACK on loopback every APDU then waits ~40 ms. Quick ACKs on the loopback routes take it to well under
# a millisecond. This changes only the loopback routes until reboot; MYNAKIT_NO_QUICKACK=1 skips it.
enable_loopback_quickack() {
  [ "${MYNAKIT_NO_QUICKACK:-0}" = "1" ] && return 0
  command -v ip >/dev/null 2>&1 || { log "ip (iproute2) not found: APDUs through vpcd will take ~40 ms each"; return 0; }
  local route
  for route in 127.0.0.0/8 127.0.0.1; do
    if ip route show table local "$route" 2>/dev/null | grep -q "quickack 1"; then continue; fi
    if as_root ip route change local "$route" dev lo proto kernel scope host src 127.0.0.1 table local quickack 1 2>/dev/null; then
      log "enabled quick ACKs on loopback route $route (vpcd latency)"
    else
      log "could not enable quick ACKs on $route: APDUs through vpcd will take ~40 ms each"
    fi
  done
}
enable_loopback_quickack

reader_listed() { timeout 5 pcsc_scan -r 2>/dev/null | grep -qF "$READER"; }

deadline=$((SECONDS + WAIT_SECONDS))
until reader_listed; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    die "pcscd does not list the reader \"$READER\" after ${WAIT_SECONDS}s. Is vsmartcard-vpcd installed (/etc/reader.conf.d/vpcd)? Readers now: $(timeout 5 pcsc_scan -r 2>&1 | tr '\n' ' ')"
  fi
  sleep 0.5
done
log "reader \"$READER\" is ready"
