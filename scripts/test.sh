#!/usr/bin/env bash
# The whole test suite. Works on a fresh Debian 12 machine (installs what it needs)
# and on one already set up; safe to run again.
#
#   ./scripts/test.sh            everything CI runs
#   ./scripts/test.sh --rust     only the Rust suite (unit + integration, SQLite and PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/python-venv.sh

only_rust=false
[[ "${1:-}" == "--rust" ]] && only_rust=true

start=$(now)

# Toolchain: Rust with rustfmt (rustup is the documented way to get it).
if ! command -v cargo >/dev/null 2>&1; then
  [[ -x "$HOME/.cargo/bin/cargo" ]] || die "cargo not found: install Rust with rustup (https://rustup.rs)"
  export PATH="$HOME/.cargo/bin:$PATH"
fi
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
# Builds are cached outside the repository, so a fresh clone (CI's) reuses the
# compiled dependencies of the last run instead of building them all again.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/target}"
ensure_cmds "curl:curl" "runuser:util-linux"

# The official MCP Python SDK, for the MCP server's interoperability test, and
# schemathesis for the API fuzzing.
ensure_test_venv

# Each integration test leaves its SQLite database in its own todo_test_*
# directory under the temporary directory, for a look after a failure; those of
# runs over an hour old go (about 4,000 directories and 500 MB after ten runs).
find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'todo_test_*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true

PG_DIR="${TODO_TEST_PG_DIR:-/tmp/todo-app-test-pg}"
PG_PORT="${TODO_TEST_PG_PORT:-55432}"
pg_test_start "$PG_DIR" "$PG_PORT"

# The local Kubernetes of the last step (scripts/test-cluster.sh) is built from
# Go sources: about an hour of compiling on a cold machine, so it starts now, in
# its own session and niced (scripts/lib/cluster-build.sh), beside the Rust build
# and tests; a warm machine only checks its stamps. Stopped with the suite; an
# interrupted build resumes from Go's build cache.
cluster_build_pid=""
cluster_build_log="${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/cluster-build.log"
if ! $only_rust; then
  mkdir -p "$(dirname "$cluster_build_log")"
  setsid ./scripts/cluster.sh build >"$cluster_build_log" 2>&1 &
  cluster_build_pid=$!
fi
# The same for llama-server (scripts/test-llm.sh): ~7 min of C++ on idle cores
# when its cache is cold, nothing when warm. test-llm.sh's own llama_build
# waits on the build's lock instead of building again.
llama_build_pid=""
llama_build_log="${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/llama-build.log"
if ! $only_rust; then
  setsid nice -n 10 bash -c 'source scripts/lib/common.sh && source scripts/lib/llm-server.sh && llama_build' \
    >"$llama_build_log" 2>&1 &
  llama_build_pid=$!
fi
on_exit() {
  [[ -n "$cluster_build_pid" ]] && kill -- "-$cluster_build_pid" 2>/dev/null
  [[ -n "$llama_build_pid" ]] && kill -- "-$llama_build_pid" 2>/dev/null
  pg_test_stop "$PG_DIR"
}
trap on_exit EXIT

log "cargo fmt --check"
cargo fmt --all --check || die "code is not formatted: run cargo fmt --all"

log "cargo clippy (workspace lints, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings || die "clippy found problems (above)"

if ! $only_rust; then
  log "Static checks: shellcheck, ruff, cargo deny (scripts/lint.sh)"
  ./scripts/lint.sh
  log "Python helpers' tests (pytest scripts/lib/test_*.py)"
  "$TODO_TEST_PYTHON" -m pytest -q -p no:cacheprovider scripts/lib/test_*.py || die "Python helper tests failed"
fi

log "Rust tests (SQLite and PostgreSQL)"
cargo test --workspace --locked || die "cargo test failed"

if ! $only_rust; then
  log "API fuzzing from the OpenAPI document (schemathesis, SQLite and PostgreSQL)"
  ./scripts/test-fuzz.sh
  log "Browser tests (headless Chromium, axe-core)"
  ./scripts/test-e2e.sh
  log "The assistant against a real model (llama-server + SmolLM2, scripts/test-llm.sh)"
  wait "$llama_build_pid" || { tail -30 "$llama_build_log" >&2; die "building llama-server failed"; }
  llama_build_pid=""
  ./scripts/test-llm.sh
  log "Helm chart checks"
  ./scripts/test-chart.sh
  log "Container image checks"
  ./scripts/test-images.sh
  log "Helm chart smoke run (podman kube play, reusing the images just built)"
  ./scripts/test-kube-play.sh
  log "Waiting for the cluster build (log: $cluster_build_log)"
  wait "$cluster_build_pid" || { tail -30 "$cluster_build_log" >&2; die "building the local cluster failed"; }
  cluster_build_pid=""
  log "The chart on a real single-node Kubernetes (scripts/test-cluster.sh)"
  ./scripts/test-cluster.sh
fi

log "all tests passed in $(elapsed "$start") s"
