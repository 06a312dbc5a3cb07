#!/usr/bin/env bash
# Time to first byte of the task page with 100 tasks, at concurrency 16, with wrk.
# Builds release binaries of todo-api and todo-web, starts both on SQLite in a
# temporary directory, and prints wrk's latency distribution, the JS + CSS sizes
# and the web process's idle RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p todo-api -p todo-web --bins
tmp=$(mktemp -d)
API_PORT=${API_PORT:-18080} WEB_PORT=${WEB_PORT:-13080}
PORT=$API_PORT HOST=127.0.0.1 DATA_DIR="$tmp" LLM_PROVIDER=builtin LOG_FORMAT=json RUST_LOG=warn \
  ./target/release/todo-api >"$tmp/api.log" 2>&1 &
api=$!
PORT=$WEB_PORT HOST=127.0.0.1 BACKEND_URL=http://127.0.0.1:$API_PORT LOG_FORMAT=json RUST_LOG=warn \
  ./target/release/todo-web >"$tmp/web.log" 2>&1 &
web=$!
trap 'kill $api $web 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$WEB_PORT/readyz" >/dev/null && break; sleep 0.1; done
sleep 0.5
echo "idle RSS of todo-web: $(grep VmRSS /proc/$web/status | awk '{print $2}') kB"

W=http://127.0.0.1:$WEB_PORT
jar="$tmp/jar"
csrf() { grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//'; }
t=$(curl -s -c "$jar" -b "$jar" "$W/sign-up" | csrf)
curl -s -c "$jar" -b "$jar" -o /dev/null -d "csrf=$t&name=Bench&email=bench@example.com&password=correct+horse" "$W/sign-up"
t=$(curl -s -c "$jar" -b "$jar" "$W/tasks" | csrf)
for i in $(seq 100); do
  p=(low medium high urgent); d=$(date -u -d "+$((i % 20 - 5)) days" +%F)
  curl -s -c "$jar" -b "$jar" -o /dev/null -d "csrf=$t&title=Task+number+$i&description=Some+words+about+task+$i&priority=${p[$((i % 4))]}&tags=t$((i % 5)),bench&due_date=$d" "$W/tasks"
done
cookie=$(awk '$6=="todo_session"{print "todo_session="$7}' "$jar")
echo "task page: $(curl -s -H "Cookie: $cookie" "$W/tasks" | grep -o 'data-testid="task-' | wc -l) rows, $(curl -s -H "Cookie: $cookie" "$W/tasks" | wc -c) bytes, gzip $(curl -s -H "Cookie: $cookie" -H 'Accept-Encoding: gzip' "$W/tasks" | wc -c) bytes"
for a in app.css app.js; do echo "$a: $(curl -s "$W/assets/$a" | wc -c) bytes, gzip $(curl -s -H 'Accept-Encoding: gzip' "$W/assets/$a" | wc -c)"; done
echo "== uncompressed"
wrk -t2 -c16 -d8s --latency -H "Cookie: $cookie" "$W/tasks"
echo "== gzip (what browsers ask for)"
wrk -t2 -c16 -d8s --latency -H "Cookie: $cookie" -H "Accept-Encoding: gzip" "$W/tasks"
echo "== API alone: GET /api/{user}/tasks?limit=100 (the call the page makes)"
read -r uid tok < <(python3 -c 'import base64,json,sys; v=sys.argv[1]; d=json.loads(base64.urlsafe_b64decode(v+"="*(-len(v)%4))); print(d["u"], d["t"])' "${cookie#todo_session=}")
wrk -t2 -c16 -d8s --latency -H "Authorization: Bearer $tok" "http://127.0.0.1:$API_PORT/api/$uid/tasks?limit=100&status=all&utc_offset=0"
echo "peak RSS of todo-web: $(grep VmHWM /proc/$web/status | awk '{print $2}') kB"
