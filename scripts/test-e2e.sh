#!/usr/bin/env bash
# Browser tests of the web frontend (crates/todo-web/e2e): Debian's headless
# Chromium driven by playwright-core, against the real todo-api and todo-web
# binaries on a throwaway PostgreSQL cluster. Works on a fresh Debian 12 machine
# (installs Chromium and PostgreSQL from apt when missing) and on one already set
# up; safe to run again. Exits non-zero on any failure.
#
#   ./scripts/test-e2e.sh
#
# Artifacts: artifacts/screenshots/ (desktop 1280x800 and phone 360x740 of the
# main pages), artifacts/e2e/ (server logs, axe reports, failure screenshots).
# Environment: E2E_PG_DIR (default /tmp/todo-app-e2e-pg), E2E_PG_PORT (55434).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh

start=$(now)
E2E_DIR=crates/todo-web/e2e
ART_DIR="$REPO_ROOT/artifacts/e2e"
SHOT_DIR="$REPO_ROOT/artifacts/screenshots"
PG_DIR="${E2E_PG_DIR:-/tmp/todo-app-e2e-pg}"
PG_PORT="${E2E_PG_PORT:-55434}"

# ---- tools
if ! command -v cargo >/dev/null 2>&1; then
  [[ -x "$HOME/.cargo/bin/cargo" ]] || die "cargo not found: install Rust with rustup (https://rustup.rs)"
  export PATH="$HOME/.cargo/bin:$PATH"
fi
ensure_cmds "chromium:chromium" "curl:curl" "runuser:util-linux" "psql:postgresql-client" "node:nodejs" "npm:npm" "python3:python3"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "Node.js $(node --version) is too old: the tests need 20 or newer (node:test --test-concurrency)"
CHROMIUM="${CHROMIUM_PATH:-$(command -v chromium)}"
[[ -x "$CHROMIUM" ]] || die "chromium not found"
log "$("$CHROMIUM" --version 2>/dev/null || echo chromium), node $(node --version)"

# ---- npm packages (pinned by package-lock.json; reused while the lock is unchanged)
lock_sum="$(sha256sum "$E2E_DIR/package-lock.json" | cut -d' ' -f1)"
stamp="$E2E_DIR/node_modules/.lock-sha256"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_sum" ]]; then
  log "npm packages up to date"
else
  log "npm ci in $E2E_DIR"
  # No browser download: playwright-core has none, and we drive Debian's Chromium.
  (cd "$E2E_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) || die "npm ci failed"
  echo "$lock_sum" >"$stamp"
fi

# ---- binaries
log "cargo build -p todo-api -p todo-web --bins"
cargo build --locked -p todo-api -p todo-web --bins || die "cargo build failed"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
API_BIN="$target_dir/debug/todo-api"
WEB_BIN="$target_dir/debug/todo-web"

# ---- cleanup of everything started below
API_PID=""; WEB_PID=""
cleanup() {
  local pid
  for pid in $WEB_PID $API_PID; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $WEB_PID $API_PID; do
    wait "$pid" 2>/dev/null || true
  done
  pg_test_stop "$PG_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- database: a fresh one on the e2e cluster
pg_test_start "$PG_DIR" "$PG_PORT"
DB_NAME=todo_e2e
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$TEST_DATABASE_URL" \
  -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null \
  || die "could not create database $DB_NAME"
DATABASE_URL="${TEST_DATABASE_URL%/*}/$DB_NAME"

# ---- servers
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
wait_ready() { # name url pid
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$3" 2>/dev/null || { tail -n 30 "$ART_DIR/$1.log" >&2; die "$1 exited before it was ready (log above)"; }
    curl -fsS -o /dev/null --max-time 2 "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  tail -n 30 "$ART_DIR/$1.log" >&2
  die "$1 not ready at $2 after 60 s (log above)"
}

rm -rf "$ART_DIR" "$SHOT_DIR"
mkdir -p "$ART_DIR" "$SHOT_DIR"

API_PORT="$(free_port)"
PORT="$API_PORT" HOST=127.0.0.1 DATABASE_URL="$DATABASE_URL" APP_ENV=development LOG_FORMAT=json \
  BETTER_AUTH_SECRET="e2e-secret-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" \
  LLM_PROVIDER=builtin FRONTEND_URL="http://127.0.0.1" RUST_LOG="${RUST_LOG:-info}" \
  "$API_BIN" >"$ART_DIR/api.log" 2>&1 &
API_PID=$!
wait_ready api "http://127.0.0.1:$API_PORT/readyz" "$API_PID"

WEB_PORT="$(free_port)"
PORT="$WEB_PORT" HOST=127.0.0.1 BACKEND_URL="http://127.0.0.1:$API_PORT" APP_ENV=development LOG_FORMAT=json \
  COOKIE_SECURE=auto RUST_LOG="${RUST_LOG:-info}" \
  "$WEB_BIN" >"$ART_DIR/web.log" 2>&1 &
WEB_PID=$!
wait_ready web "http://127.0.0.1:$WEB_PORT/readyz" "$WEB_PID"
log "api on :$API_PORT, web on :$WEB_PORT (PostgreSQL $DB_NAME on :$PG_PORT)"

# ---- tests
log "browser tests"
set +e
(
  cd "$E2E_DIR" &&
    E2E_BASE_URL="http://127.0.0.1:$WEB_PORT" CHROMIUM_PATH="$CHROMIUM" \
      E2E_ARTIFACTS="$ART_DIR" E2E_SCREENSHOTS="$SHOT_DIR" \
      node --test --test-concurrency=1 --test-reporter=spec tests/*.test.mjs
)
rc=$?
set -e
((rc == 0)) || die "browser tests failed (exit $rc); logs and failure screenshots in $ART_DIR"
log "browser tests passed in $(elapsed "$start") s; screenshots in $SHOT_DIR"
