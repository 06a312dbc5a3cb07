# shellcheck shell=bash
# A throwaway PostgreSQL cluster for tests, from Debian's packages.
# Source after common.sh, then:  pg_test_start DIR PORT  /  pg_test_stop DIR
# pg_test_start exports TEST_DATABASE_URL (superuser, trust auth on loopback).
# pg_test_stop stops only a cluster this shell started: one that was already
# running (another test run, a developer's session) is left alone.

pg_bin_dir() {
  local d
  # An unmatched glob stays literal and fails the -x test below.
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  [[ -n "$d" && -x "$d/pg_ctl" ]] || return 1
  echo "$d"
}

# Runs a command as the postgres user (the server refuses to run as root).
as_postgres() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_test_start() {
  local dir="$1" port="$2" bin
  if ! bin="$(pg_bin_dir)"; then
    ensure_cmds "pg_ctlcluster:postgresql"
    bin="$(pg_bin_dir)" || die "PostgreSQL server binaries not found after installing postgresql"
  fi
  if [[ -f "$dir/postmaster.pid" ]] && as_postgres "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    log "PostgreSQL test cluster already running in $dir"
  else
    rm -rf "$dir"
    mkdir -p "$dir"
    [[ $(id -u) == 0 ]] && chown postgres:postgres "$dir"
    as_postgres "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null \
      || die "initdb failed in $dir"
    as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null \
      || { cat "$dir/server.log" >&2; die "PostgreSQL did not start (log above)"; }
    log "PostgreSQL test cluster on 127.0.0.1:$port ($dir)"
    _PG_TEST_STARTED+=("$dir")
  fi
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export TEST_PG_BIN="$bin"
}

_PG_TEST_STARTED=()

pg_test_stop() {
  local dir="$1" bin started=false d
  for d in "${_PG_TEST_STARTED[@]}"; do [[ "$d" == "$dir" ]] && started=true; done
  $started || return 0
  bin="$(pg_bin_dir)" || return 0
  if [[ -d "$dir" ]]; then as_postgres "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true; fi
}
