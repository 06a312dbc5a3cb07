#!/usr/bin/env bash
# How the task list's cost grows with a user's task count: the release todo-api
# on PostgreSQL and on SQLite, three users of 100, 10,000 and 100,000 tasks
# among 200,000 tasks of 10,000 other users, each list request timed one at a
# time (median of 15); prints a table per database with the 100,000/100 ratio
# (scripts/lib/scale_bench.py). Numbers are machine-dependent; the ratios are
# what to compare.
#
#   ./scripts/bench-scale.sh [--compare OLD_BIN]   (OLD_BIN: another build's todo-api, run the same way after)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh

COMPARE_BIN=""
if [[ "${1:-}" == "--compare" ]]; then
  COMPARE_BIN="${2:?--compare needs the path of another todo-api binary}"
  [[ -x "$COMPARE_BIN" ]] || die "--compare: $COMPARE_BIN is not an executable"
elif [[ -n "${1:-}" ]]; then
  die "unknown argument $1 (see the comment at the top of $0)"
fi
ensure_cmds "curl:curl" "python3:python3"

PG_DIR="${BENCH_PG_DIR:-/tmp/todo-app-scale-pg}"
PG_PORT="${BENCH_PG_PORT:-55437}"
pg_test_start "$PG_DIR" "$PG_PORT"
WORK="$(mktemp -d)"
API_PID=""
stop_api() { [[ -n "$API_PID" ]] && { kill "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null || true; }; API_PID=""; }
cleanup() { stop_api; pg_test_stop "$PG_DIR"; rm -rf "$WORK"; }
trap cleanup EXIT

log "building release todo-api"
cargo build --release --locked -p todo-api --bin todo-api >/dev/null 2>&1 || cargo build --release --locked -p todo-api --bin todo-api
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$target_dir/release/todo-api"
PORT="${BENCH_PORT:-18090}"

# bench BIN NAME DATABASE_URL EXTRA_ARGS...: one server on a fresh database.
bench() {
  local bin=$1 name=$2 url=$3; shift 3
  env DATABASE_URL="$url" BETTER_AUTH_SECRET="bench-secret-bench-secret-bench-secret" PORT="$PORT" HOST=127.0.0.1 \
    LOG_FORMAT=json RUST_LOG=warn QUOTA_TASKS_PER_USER=0 "$bin" >>"$WORK/api.log" 2>&1 &
  API_PID=$!
  local _
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$API_PID" 2>/dev/null || { tail -20 "$WORK/api.log" >&2; die "todo-api exited ($name)"; }
    sleep 0.1
  done
  log "$name"
  python3 scripts/lib/scale_bench.py --api "http://127.0.0.1:$PORT" "$@" || { tail -20 "$WORK/api.log" >&2; die "benchmark failed ($name)"; }
  stop_api
}

run_all() { # run_all BIN LABEL
  local bin=$1 label=$2 db="todo_scale_$$"
  as_postgres "$TEST_PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  bench "$bin" "$label postgres" "postgres://postgres@127.0.0.1:$PG_PORT/$db" \
    --db postgres --psql "$TEST_PG_BIN/psql -h 127.0.0.1 -p $PG_PORT -U postgres -d $db"
  rm -f "$WORK/scale.db"*
  bench "$bin" "$label sqlite" "sqlite://$WORK/scale.db" --db sqlite --sqlite "$WORK/scale.db"
  as_postgres "$TEST_PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
}

run_all "$BIN" "this tree"
if [[ -n "$COMPARE_BIN" ]]; then
  run_all "$COMPARE_BIN" "$COMPARE_BIN"
fi
