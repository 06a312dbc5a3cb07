#!/usr/bin/env bash
# Fuzzes the API from its own OpenAPI document with schemathesis: the real
# todo-api binary on a free port, once against a fresh SQLite file and once
# against a fresh PostgreSQL database, as a user it signs up. Every response
# must be documented (status, content type, headers, schema), none may be a
# 5xx, and data the document calls valid must be accepted; the settings are in
# scripts/lib/schemathesis.toml. The run is deterministic (the same requests
# every time) and bounded (50 examples per operation and phase). Works on a
# fresh Debian 12 machine and on one already set up; safe to run again.
#
#   ./scripts/test-fuzz.sh
#
# PostgreSQL: the server at TEST_DATABASE_URL when it answers (scripts/test.sh
# starts one), otherwise a throwaway cluster in FUZZ_PG_DIR (default
# /tmp/todo-app-fuzz-pg) on FUZZ_PG_PORT (55435), stopped at the end.
# Artifacts: artifacts/fuzz/ (server logs, schemathesis output, JUnit reports).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/python-venv.sh

start=$(now)
ART_DIR="$REPO_ROOT/artifacts/fuzz"
CONFIG="$REPO_ROOT/scripts/lib/schemathesis.toml"
PG_DIR="${FUZZ_PG_DIR:-/tmp/todo-app-fuzz-pg}"
PG_PORT="${FUZZ_PG_PORT:-55435}"

# ---- tools
if ! command -v cargo >/dev/null 2>&1; then
  [[ -x "$HOME/.cargo/bin/cargo" ]] || die "cargo not found: install Rust with rustup (https://rustup.rs)"
  export PATH="$HOME/.cargo/bin:$PATH"
fi
ensure_cmds "curl:curl" "psql:postgresql-client" "runuser:util-linux"
ensure_test_venv
SCHEMATHESIS="$(dirname "$TODO_TEST_PYTHON")/schemathesis"
[[ -x "$SCHEMATHESIS" ]] || die "schemathesis is missing from the test venv ($SCHEMATHESIS)"
log "$("$SCHEMATHESIS" --version)"

log "cargo build -p todo-api --bin todo-api"
cargo build --locked -p todo-api --bin todo-api || die "cargo build failed"
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | "$TODO_TEST_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
API_BIN="$target_dir/debug/todo-api"
[[ -x "$API_BIN" ]] || die "no todo-api binary at $API_BIN"

# ---- cleanup of everything started below
API_PID=""
PG_STARTED=false
PG_DB=""
stop_api() {
  if [[ -n "$API_PID" ]]; then
    kill "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
    API_PID=""
  fi
}
cleanup() {
  stop_api
  if [[ -n "$PG_DB" ]]; then
    psql -X -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if $PG_STARTED; then pg_test_stop "$PG_DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$ART_DIR"
mkdir -p "$ART_DIR"

# json_field FILE KEY.KEY... -> the string at that path of a JSON file
json_field() {
  "$TODO_TEST_PYTHON" -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}

# fuzz NAME DATABASE_URL: one server, one user, one schemathesis run.
fuzz() {
  local name="$1" url="$2" log="$ART_DIR/$1-api.log" port="" i
  # Generous throttles: the run signs up and signs in from one address far more
  # often than a person would (the throttles have their own tests); with the
  # defaults most of those requests would be 429s, documented but not fuzzed.
  : >"$log"
  APP_ENV=development HOST=127.0.0.1 PORT=0 DATABASE_URL="$url" LOG_FORMAT=json RUST_LOG="${RUST_LOG:-info}" \
    BETTER_AUTH_SECRET="fuzz-secret-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" LLM_PROVIDER=builtin \
    SIGN_UPS_PER_ADDRESS_PER_HOUR=1000000 SIGN_IN_MAX_FAILURES=1000000 SIGN_IN_MAX_FAILURES_PER_ADDRESS=1000000 \
    "$API_BIN" >"$log" 2>&1 &
  API_PID=$!
  # PORT=0: the kernel picks a free port and the server logs which.
  for ((i = 0; i < 600; i++)); do
    kill -0 "$API_PID" 2>/dev/null || { tail -n 30 "$log" >&2; die "todo-api ($name) exited at start (log above)"; }
    port="$(sed -n 's/.*"addr":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$log" | head -n1)"
    [[ -n "$port" ]] && curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null && break
    port=""
    sleep 0.1
  done
  [[ -n "$port" ]] || { tail -n 30 "$log" >&2; die "todo-api ($name) not ready after 60 s (log above)"; }
  local base="http://127.0.0.1:$port"

  curl -fsS -X POST "$base/api/auth/sign-up" -H 'content-type: application/json' \
    -d '{"email":"fuzz@example.com","password":"fuzz-password-1","name":"Fuzz"}' >"$ART_DIR/$name-user.json" \
    || die "sign-up of the fuzzing user failed ($name)"
  FUZZ_USER_ID="$(json_field "$ART_DIR/$name-user.json" user.id)"
  FUZZ_TOKEN="$(json_field "$ART_DIR/$name-user.json" token)"
  export FUZZ_USER_ID FUZZ_TOKEN

  log "schemathesis against $name ($base)"
  local rc=0 run_start
  run_start=$(now)
  "$SCHEMATHESIS" --config-file "$CONFIG" --no-color run "$base/api/openapi.json" \
    --report junit --report-junit-path "$ART_DIR/$name-junit.xml" >"$ART_DIR/$name-schemathesis.txt" 2>&1 || rc=$?
  stop_api
  if ((rc != 0)); then
    cat "$ART_DIR/$name-schemathesis.txt" >&2
    die "schemathesis found problems on $name (exit $rc; output above, server log in $log)"
  fi
  grep -E '^ *[0-9]+ generated' "$ART_DIR/$name-schemathesis.txt" | sed 's/^ */    /' >&2 || true
  log "$name: no issues ($(elapsed "$run_start") s)"
}

# ---- SQLite: a fresh file
rm -rf "$ART_DIR/sqlite"
mkdir -p "$ART_DIR/sqlite"
fuzz sqlite "sqlite://$ART_DIR/sqlite/todo.db"

# ---- PostgreSQL: a fresh database on the running server, or on our own
if [[ -n "${TEST_DATABASE_URL:-}" ]] && psql -X -q "$TEST_DATABASE_URL" -c 'SELECT 1' >/dev/null 2>&1; then
  log "PostgreSQL at TEST_DATABASE_URL"
else
  if ! { [[ -f "$PG_DIR/postmaster.pid" ]] && bin="$(pg_bin_dir)" \
    && as_postgres "$bin/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; }; then
    PG_STARTED=true
  fi
  pg_test_start "$PG_DIR" "$PG_PORT"
fi
PG_ADMIN_URL="$TEST_DATABASE_URL"
PG_DB="todo_fuzz_$$"
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" \
  -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null \
  || die "could not create database $PG_DB"
fuzz postgres "${PG_ADMIN_URL%/*}/$PG_DB"

log "fuzzing passed on SQLite and PostgreSQL in $(elapsed "$start") s"
