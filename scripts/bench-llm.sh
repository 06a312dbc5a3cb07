#!/usr/bin/env bash
# Benchmark (not a test): per-turn time to first streamed token and total
# against the real llama-server + SmolLM2 on this machine, with a cold and a
# warm prompt cache, and builtin-first routing's share of the specification's
# commands answered without the model. SQLite; prints a Markdown table.
#
#   scripts/bench-llm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO_ROOT="$(pwd)"
source scripts/lib/common.sh
source scripts/lib/llm-server.sh

ART_DIR="$REPO_ROOT/artifacts/llm-bench"
mkdir -p "$ART_DIR"
llama_build >"$ART_DIR/llama-build.log" 2>&1 || die "building llama-server failed (log: $ART_DIR/llama-build.log)"
model="$(llama_model)" || die "could not fetch the SmolLM2 model"
cargo build --locked -p todo-api --bins >&2 || die "cargo build failed"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
API_BIN="$target_dir/debug/todo-api"

PIDS=(); LLAMA_PID=""
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  llama_stop
}
trap cleanup EXIT
llama_start "$model" "$ART_DIR/llama-server.log"

start_api() { # start_api NAME ROUTING: prints the URL
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  rm -rf "$ART_DIR/data-$1"
  DATA_DIR="$ART_DIR/data-$1" PORT="$port" HOST=127.0.0.1 APP_ENV=development LOG_FORMAT=json \
    BETTER_AUTH_SECRET="bench-secret-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" \
    LLM_PROVIDER=openai-compatible LLM_BASE_URL="$LLAMA_URL/v1" LLM_MODEL=smollm2 LLM_ROUTING="$2" \
    LLM_TURN_TIMEOUT_SECS=150 LLM_TIMEOUT_SECS=120 REQUEST_TIMEOUT_SECS=180 LLM_MAX_TOKENS=64 \
    "$API_BIN" >"$ART_DIR/api-$1.log" 2>&1 &
  PIDS+=($!)
  local i
  for i in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.5
    : "$i"
  done
  echo "http://127.0.0.1:$port"
}
model_url="$(start_api model model)"
routed_url="$(start_api routed builtin-first)"
python3 scripts/lib/llm_bench.py "$model_url" "$routed_url"
