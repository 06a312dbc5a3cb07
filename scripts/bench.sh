#!/usr/bin/env bash
# Load benchmark of the release todo-api against PostgreSQL, with wrk.
# Reports req/s, p50/p99 latency and peak RSS for list-100, create, get-one and
# /healthz (the ceiling, measured in the same run), at concurrency 32 and 256,
# then list-100 again with the task JSON cache off,
# plus idle RSS and process start to ready, and the CPU time the server and
# PostgreSQL spend per request (where a run's time goes when the cores are full);
# last, memory under 200 concurrent sign-ins (each Argon2 hash holds 19 MiB):
# peak RSS, and RSS a minute later.
# Numbers are machine-dependent: compare the ratios against /healthz, which this
# script prints.
#
#   ./scripts/bench.sh [--duration SECS]     (default 8 s per run)
#   ./scripts/bench.sh --sign-ins-only       only the sign-in memory run
#   ./scripts/bench.sh --compare OLD_BIN     list-100 (c=32, c=256), get-one and create (c=32), this tree's
#       release todo-api against another build (e.g. of the previous commit),
#       in four rounds on one database (old first, then new first, alternately); prints each run and new/old
#   ./scripts/bench.sh --pool                the store's own connection pool
#       against sqlx's (test_before_acquire(false)): one-row queries from 32
#       tasks, alternating rounds on one PostgreSQL; prints own/sqlx
#       (docs/adr/0001-own-connection-pool.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh

DURATION=8
SIGN_INS_ONLY=false
[[ "${1:-}" == "--duration" ]] && DURATION="$2"
[[ "${1:-}" == "--sign-ins-only" ]] && SIGN_INS_ONLY=true
COMPARE_BIN=""
POOL_ONLY=false
[[ "${1:-}" == "--pool" ]] && POOL_ONLY=true
if [[ "${1:-}" == "--compare" ]]; then
  COMPARE_BIN="${2:?--compare needs the path of another todo-api binary}"
  [[ -x "$COMPARE_BIN" ]] || die "--compare: $COMPARE_BIN is not an executable"
fi
ensure_cmds "wrk:wrk" "curl:curl" "python3:python3"

PG_DIR="${BENCH_PG_DIR:-/tmp/todo-app-bench-pg}"
PG_PORT="${BENCH_PG_PORT:-55433}"
pg_test_start "$PG_DIR" "$PG_PORT"
WORK="$(mktemp -d)"
API_PID=""
cleanup() { [[ -n "$API_PID" ]] && kill "$API_PID" 2>/dev/null; pg_test_stop "$PG_DIR"; rm -rf "$WORK"; }
trap cleanup EXIT

if $POOL_ONLY; then
  log "own pool vs sqlx's pool (crates/todo-store/src/pool.rs: bench_against_sqlx_pool)"
  TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
    cargo test --release --locked -p todo-store --lib pool::tests::bench_against_sqlx_pool -- --ignored --nocapture --exact \
    | grep -E '^(round|own/sqlx)'
  exit "${PIPESTATUS[0]}"
fi

log "building release todo-api"
cargo build --release --locked -p todo-api --bin todo-api >/dev/null 2>&1 || cargo build --release --locked -p todo-api --bin todo-api
BIN="${CARGO_TARGET_DIR:-target}/release/todo-api"

DB="todo_bench_$$"
as_postgres "$TEST_PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $DB" >/dev/null
PORT="${BENCH_PORT:-18080}"
# start_api [VAR=value ...]: the server on the bench database, extra settings as
# given; returns once /readyz answers, with API_PID set. The create runs make
# far more than the default 10,000 tasks per user: the quota is raised, not
# lifted, so creates still pay for its check.
start_api() {
  env DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/$DB" BETTER_AUTH_SECRET="bench-secret-bench-secret-bench-secret" \
    PORT="$PORT" HOST=127.0.0.1 LOG_FORMAT=json RUST_LOG=warn DATABASE_MAX_CONNECTIONS=16 \
    QUOTA_TASKS_PER_USER=1000000000 "$@" \
    "$BIN" >>"$WORK/api.log" 2>&1 &
  API_PID=$!
  until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do sleep 0.002; done
}
t0=$(date +%s%N)
start_api
t1=$(date +%s%N)
start_ms=$(( (t1 - t0) / 1000000 ))
sleep 1
idle_kb=$(awk '/VmRSS/ {print $2}' /proc/$API_PID/status)

B="http://127.0.0.1:$PORT"
if ! $SIGN_INS_ONLY; then
resp=$(curl -fs -XPOST "$B/api/auth/sign-up" -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"bench password","name":"Bench"}')
TOKEN=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' <<<"$resp")
USER_ID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["id"])' <<<"$resp")
for i in $(seq 1 100); do
  curl -fs -XPOST "$B/api/$USER_ID/tasks" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"title\":\"Task $i\",\"description\":\"Benchmark task number $i\",\"priority\":\"high\",\"tags\":[\"bench\",\"t$((i % 7))\"],\"due_at\":\"2030-01-01T00:00:00Z\"}" >/dev/null
done
# Creates go to a second user, so the list and get runs always see exactly 100 tasks.
resp2=$(curl -fs -XPOST "$B/api/auth/sign-up" -H 'content-type: application/json' \
  -d '{"email":"writer@example.com","password":"bench password","name":"Writer"}')
WRITER_TOKEN=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' <<<"$resp2")
WRITER_ID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["id"])' <<<"$resp2")
# Other users' tasks, as in any real database: 1,000 users with 5 tasks each.
# With the bench's two users alone, PostgreSQL's statistics say a user owns half
# the table, so the plan it caches for the list's COUNT is a sequential scan,
# which the create runs then make ever slower (list-100 fell to 0.8k req/s at
# c=256 once the writer had 30k tasks); with many users it is an index scan, as
# it would be in production.
as_postgres "$TEST_PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$DB" -qc "
  INSERT INTO tasks (user_id, title, description, completed, priority, tags, due_at, created_at, updated_at)
  SELECT 'seed-user-' || (g % 1000), 'Seed task ' || g, 'Another user''s task', g % 3 = 0, g % 4,
         '[\"seed\"]', NULL, 1700000000000 + g, 1700000000000 + g
  FROM generate_series(1, 5000) AS g; ANALYZE tasks" >/dev/null
ONE_ID=$(curl -fs "$B/api/$USER_ID/tasks?limit=1" -H "authorization: Bearer $TOKEN" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

cat >"$WORK/auth.lua" <<LUA
wrk.headers["authorization"] = "Bearer $TOKEN"
LUA
cat >"$WORK/create.lua" <<LUA
wrk.method = "POST"
wrk.headers["authorization"] = "Bearer $WRITER_TOKEN"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"title":"Created under load","priority":"low","tags":["load"]}'
LUA

# CPU time in clock ticks (user + system) of processes.
ticks_of() {
  local total=0 t p
  for p in "$@"; do
    t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}
# PostgreSQL: the postmaster and its backends. The pool keeps its connections,
# so backends that exit during a run (their ticks are lost) are rare.
db_ticks() {
  local postmaster; postmaster=$(head -n1 "$PG_DIR/postmaster.pid")
  # shellcheck disable=SC2046 # one pid per word
  ticks_of "$postmaster" $(pgrep -P "$postmaster")
}

# run NAME PATH LUA CONNS -> "rps p50_ms p99_ms non2xx server_us_per_req db_us_per_req"
run() {
  local out a0 d0 a1 d1
  a0=$(ticks_of "$API_PID"); d0=$(db_ticks)
  out=$(wrk -t2 -c"$4" -d"${DURATION}s" --latency ${3:+-s "$3"} "$B$2")
  a1=$(ticks_of "$API_PID"); d1=$(db_ticks)
  python3 - "$out" $((a1 - a0)) $((d1 - d0)) "$(getconf CLK_TCK)" <<'PY'
import re, sys
out = sys.argv[1]
api_ticks, db_ticks, hz = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
def ms(label):
    m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
requests = int(re.search(r"(\d+) requests in", out).group(1)) or 1
per_req = lambda ticks: ticks / hz / requests * 1e6
print(f"{rps:.0f} {ms('50'):.2f} {ms('99'):.2f} {errors.group(1) if errors else 0} {per_req(api_ticks):.0f} {per_req(db_ticks):.0f}")
PY
}

if [[ -n "$COMPARE_BIN" ]]; then
  NEW_BIN="$BIN"
  printf '\n| round | binary | endpoint | conc. | req/s | p50 ms | p99 ms | non-2xx | server CPU µs/req |\n|---|---|---|---|---|---|---|---|---|\n' >"$WORK/compare"
  declare -A SUM
  COMPARED=("list-100|32|/api/$USER_ID/tasks?limit=100|$WORK/auth.lua" "list-100|256|/api/$USER_ID/tasks?limit=100|$WORK/auth.lua"
    "get-one|32|/api/$USER_ID/tasks/$ONE_ID|$WORK/auth.lua" "create|32|/api/$WRITER_ID/tasks|$WORK/create.lua")
  for round in 1 2 3 4; do
    # Alternating which goes first, so neither always follows the other's
    # create run (its writes keep PostgreSQL busy for a while).
    order=(old new); ((round % 2 == 0)) && order=(new old)
    for which in "${order[@]}"; do
      kill "$API_PID"; wait "$API_PID" 2>/dev/null || true
      if [[ $which == old ]]; then BIN="$COMPARE_BIN"; else BIN="$NEW_BIN"; fi
      start_api
      curl -fs "$B/api/$USER_ID/tasks?limit=100" -H "authorization: Bearer $TOKEN" >/dev/null # fill the cache
      for spec in "${COMPARED[@]}"; do
        IFS='|' read -r name c path lua <<<"$spec"
        read -r rps p50 p99 err api_us _ < <(run "$name" "$path" "$lua" "$c")
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$round" "$which" "$name" "$c" "$rps" "$p50" "$p99" "$err" "$api_us" >>"$WORK/compare"
        SUM[$which $name $c]=$(( ${SUM[$which $name $c]:-0} + rps ))
      done
    done
  done
  cat "$WORK/compare"
  for spec in "${COMPARED[@]}"; do
    IFS='|' read -r name c _ <<<"$spec"
    awk -v n="${SUM[new $name $c]}" -v o="${SUM[old $name $c]}" -v e="$name" -v c="$c" \
      'BEGIN { printf "%s c=%s: new/old req/s = %.2f\n", e, c, n / o }'
  done
  exit 0
fi

printf '\n| endpoint | conc. | req/s | vs /healthz | p50 ms | p99 ms | non-2xx | server CPU µs/req | PostgreSQL CPU µs/req |\n|---|---|---|---|---|---|---|---|---|\n' >"$WORK/table"
declare -A HEALTHZ_RPS
for c in 32 256; do
  read -r h_rps h50 h99 herr h_api h_db < <(run healthz /healthz "" "$c")
  HEALTHZ_RPS[$c]=$h_rps
  printf '| GET /healthz | %s | %s | 1.00 | %s | %s | %s | %s | %s |\n' "$c" "$h_rps" "$h50" "$h99" "$herr" "$h_api" "$h_db" >>"$WORK/table"
  for spec in "list 100 tasks|/api/$USER_ID/tasks?limit=100|$WORK/auth.lua" \
              "get one task|/api/$USER_ID/tasks/$ONE_ID|$WORK/auth.lua" \
              "create task|/api/$WRITER_ID/tasks|$WORK/create.lua"; do
    IFS='|' read -r name path lua <<<"$spec"
    read -r rps p50 p99 err api_us db_us < <(run "$name" "$path" "$lua" "$c")
    ratio=$(awk -v a="$rps" -v b="$h_rps" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$c" "$rps" "$ratio" "$p50" "$p99" "$err" "$api_us" "$db_us" >>"$WORK/table"
  done
done
peak_kb=$(awk '/VmHWM/ {print $2}' /proc/$API_PID/status)

# The same list with the task JSON cache off (TASK_CACHE_MB=0): every page read
# and rendered in full, as on the first view of each task; against the /healthz
# rates above.
kill "$API_PID"; wait "$API_PID" 2>/dev/null || true
start_api TASK_CACHE_MB=0
for c in 32 256; do
  read -r rps p50 p99 err api_us db_us < <(run "list, no cache" "/api/$USER_ID/tasks?limit=100" "$WORK/auth.lua" "$c")
  ratio=$(awk -v a="$rps" -v b="${HEALTHZ_RPS[$c]}" 'BEGIN { printf "%.2f", a / b }')
  printf '| list 100 tasks, TASK_CACHE_MB=0 | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$rps" "$ratio" "$p50" "$p99" "$err" "$api_us" "$db_us" >>"$WORK/table"
done

cat "$WORK/table"
printf '\nstart to ready: %s ms; idle RSS: %.1f MB; peak RSS under load: %.1f MB; %s s per run, wrk -t2, pool 16, %s cores\n' \
  "$start_ms" "$(awk -v k="$idle_kb" 'BEGIN{print k/1024}')" "$(awk -v k="$peak_kb" 'BEGIN{print k/1024}')" "$DURATION" "$(nproc)"
fi

# Memory under an unauthenticated sign-in flood: 200 concurrent wrong passwords
# for one account, each from its own address (X-Forwarded-For, which the server
# trusts from loopback by default), so that throttling lets every one of them
# reach the password check, as a distributed attack would. A fresh process, so
# its peak (VmHWM) is this run's alone. Hashing is capped at one per core
# (PASSWORD_HASH_CONCURRENCY); the rest wait up to PASSWORD_HASH_WAIT_MS, then
# get 503.
kill "$API_PID"; wait "$API_PID" 2>/dev/null || true
start_api
curl -fs -XPOST "$B/api/auth/sign-up" -H 'content-type: application/json' \
  -d '{"email":"flooded@example.com","password":"bench password","name":"Flooded"}' >/dev/null
before_kb=$(awk '/VmRSS/ {print $2}' /proc/$API_PID/status)
python3 - "$B" <<'PY' >"$WORK/sign-ins"
import collections, concurrent.futures, json, sys, urllib.error, urllib.request
base = sys.argv[1]
def attempt(i):
    req = urllib.request.Request(base + "/api/auth/sign-in", method="POST",
        data=json.dumps({"email": "flooded@example.com", "password": f"guess {i}"}).encode(),
        headers={"content-type": "application/json", "x-forwarded-for": f"10.{i // 250}.{i % 250}.1"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
with concurrent.futures.ThreadPoolExecutor(200) as pool:
    counts = collections.Counter(pool.map(attempt, range(200)))
print(" ".join(f"{status}:{n}" for status, n in sorted(counts.items())))
PY
flood_peak_kb=$(awk '/VmHWM/ {print $2}' /proc/$API_PID/status)
sleep 60
flood_after_kb=$(awk '/VmRSS/ {print $2}' /proc/$API_PID/status)
printf '\n200 concurrent sign-ins (status:count %s): RSS before %.1f MB, peak %.1f MB, a minute later %.1f MB\n' \
  "$(cat "$WORK/sign-ins")" "$(awk -v k="$before_kb" 'BEGIN{print k/1024}')" \
  "$(awk -v k="$flood_peak_kb" 'BEGIN{print k/1024}')" "$(awk -v k="$flood_after_kb" 'BEGIN{print k/1024}')"
