#!/usr/bin/env bash
# Runs a private PostgreSQL cluster for the tests of @mynakit/workflows/postgres and prints its URL on stdout.
# Idempotent: installs Debian's `postgresql` when no server binary exists, creates the cluster once (trust auth,
# loopback only), starts it when it is not running, and creates the database `mynakit_test` when missing.
# The cluster listens only on 127.0.0.1 and keeps its Unix socket in its own data dir (never a system dir), so it
# neither clashes with nor depends on a system-wide PostgreSQL. The server runs as the `postgres` user.
#   MYNAKIT_PG_DIR   data dir (default /var/tmp/mynakit-pg)
#   MYNAKIT_PG_PORT  TCP port (default 54329)
# Everything but the URL goes to stderr, so `url=$(bash scripts/start-postgres.sh)` works.
set -euo pipefail

log() { printf '[start-postgres] %s\n' "$*" >&2; }
die() { printf '[start-postgres] error: %s\n' "$*" >&2; exit 1; }

DATA_DIR="${MYNAKIT_PG_DIR:-/var/tmp/mynakit-pg}"
PORT="${MYNAKIT_PG_PORT:-54329}"
DATABASE=mynakit_test
URL="postgres://postgres@127.0.0.1:${PORT}/${DATABASE}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for: $* (run as root or install sudo)"
  fi
}

# The server must never run as root (postgres refuses to); everything touching the data dir runs as `postgres`.
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -u postgres -- "$@"
  else
    die "need root, sudo or the postgres user to run: $*"
  fi
}

server_binaries() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server in /usr/lib/postgresql and no apt-get: install PostgreSQL (>= 13) yourself"
  log "no PostgreSQL server found: installing Debian's postgresql package"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
fi
getent passwd postgres >/dev/null || die "the postgres system user does not exist (it comes with Debian's postgresql-common)"

# An existing cluster must run with the major version that created it; a new one uses the newest installed.
if [ -f "$DATA_DIR/PG_VERSION" ]; then
  version=$(cat "$DATA_DIR/PG_VERSION")
  BIN="/usr/lib/postgresql/$version/bin"
  [ -x "$BIN/postgres" ] || die "$DATA_DIR was created by PostgreSQL $version, which is not installed; remove $DATA_DIR or set MYNAKIT_PG_DIR"
else
  BIN=$(server_binaries | tail -n 1)
  [ -n "$BIN" ] && [ -x "$BIN/postgres" ] || die "no PostgreSQL server binary in /usr/lib/postgresql/*/bin"
fi

# Two setups started at once (parallel CI jobs on one machine) must not both run initdb or pg_ctl start.
if command -v flock >/dev/null 2>&1 && { exec 9>>"${DATA_DIR%/}.lock"; } 2>/dev/null; then
  flock 9
fi

if [ ! -f "$DATA_DIR/PG_VERSION" ]; then
  log "creating the cluster in $DATA_DIR with $BIN"
  as_root mkdir -p "$DATA_DIR"
  as_root chown postgres: "$DATA_DIR"
  as_root chmod 700 "$DATA_DIR"
  as_postgres test -w "$DATA_DIR" || die "the postgres user cannot write $DATA_DIR (are its parent dirs traversable?)"
  # Trust for local and loopback connections only: the cluster is private to this machine's tests.
  as_postgres "$BIN/initdb" -D "$DATA_DIR" --username=postgres --auth=trust --encoding=UTF8 --locale=C >&2
  printf "\n# mynakit: the settings below live in mynakit.conf, rewritten by scripts/start-postgres.sh\ninclude_if_exists = 'mynakit.conf'\n" |
    as_postgres tee -a "$DATA_DIR/postgresql.conf" >/dev/null
fi

# Rewritten on every run so a changed MYNAKIT_PG_PORT takes effect at the next start.
printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n" "$PORT" "$DATA_DIR" |
  as_postgres tee "$DATA_DIR/mynakit.conf.new" >/dev/null
if ! as_postgres cmp -s "$DATA_DIR/mynakit.conf.new" "$DATA_DIR/mynakit.conf"; then
  as_postgres mv "$DATA_DIR/mynakit.conf.new" "$DATA_DIR/mynakit.conf"
  if as_postgres "$BIN/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1; then
    log "settings changed: restarting"
    as_postgres "$BIN/pg_ctl" stop -D "$DATA_DIR" -m fast -w >&2
  fi
else
  as_postgres rm -f "$DATA_DIR/mynakit.conf.new"
fi

if as_postgres "$BIN/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1; then
  log "PostgreSQL is running ($DATA_DIR)"
else
  log "starting PostgreSQL $(basename "$(dirname "$BIN")") on 127.0.0.1:$PORT (log: $DATA_DIR/server.log)"
  # pg_ctl copes with a stale postmaster.pid left by a machine or container restart.
  # 9>&-: the server must not inherit (and hold forever) the setup lock.
  if ! as_postgres "$BIN/pg_ctl" start -D "$DATA_DIR" -l "$DATA_DIR/server.log" -w -t 60 >&2 9>&-; then
    as_postgres tail -n 20 "$DATA_DIR/server.log" >&2 || true
    die "PostgreSQL did not start (is port $PORT taken?)"
  fi
fi

"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 30 || die "PostgreSQL does not accept connections on 127.0.0.1:$PORT"

psql_admin() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"; }
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" = 1 ]; then
  log "database $DATABASE exists"
else
  log "creating database $DATABASE"
  psql_admin -c "CREATE DATABASE $DATABASE" >&2
fi

printf '%s\n' "$URL"
