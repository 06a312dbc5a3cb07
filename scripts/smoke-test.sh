#!/usr/bin/env bash
# End-to-end smoke test of a deployed todo-app.
#
#   scripts/smoke-test.sh URL
#
#   URL   where the Ingress / HTTPRoute serves the app, e.g. https://todo.example.com
#         (/api and /mcp reach the backend, / the frontend).
#
# Environment:
#   SMOKE_RESOLVE    curl --resolve entry, e.g. todo.local:80:192.168.49.2 (Minikube
#                    without /etc/hosts); several separated by spaces
#   SMOKE_INSECURE   1 = accept an untrusted TLS certificate (staging issuers)
#   SMOKE_TIMEOUT    seconds to wait for /readyz (default 60)
#
# Steps: GET /healthz and /readyz; POST /api/auth/sign-up; an unauthenticated
# request is refused (401); POST and GET /api/{user_id}/tasks; POST
# /api/{user_id}/chat "add a task to buy milk" and the new task appears in the
# list; POST /mcp initialize (the MCP server answers with its serverInfo). It creates one throw-away user (smoke-<timestamp>-<random>@example.com).
# Needs curl and jq (or python3).
set -euo pipefail

die() { printf "\nFAIL: %s\n" "$*" >&2; exit 1; }
[ $# -eq 1 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
BASE=${1%/}
command -v curl >/dev/null || die "curl is required"

CURL=(curl -sS --max-time 30 --retry 2 --retry-connrefused)
for r in ${SMOKE_RESOLVE:-}; do CURL+=(--resolve "$r"); done
[ "${SMOKE_INSECURE:-0}" = 1 ] && CURL+=(-k)

# json_get JSON PATH: PATH like .user.id
json_get() {
  if command -v jq >/dev/null; then
    jq -er "$2 // empty" <<<"$1"
  elif command -v python3 >/dev/null; then
    python3 -c '
import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].strip(".").split("."):
    v = v.get(k) if isinstance(v, dict) else None
if v is None or v == "":
    sys.exit(1)
print(v if not isinstance(v, (dict, list)) else json.dumps(v))' "$1" "$2"
  else
    die "jq or python3 is required to read JSON"
  fi
}

# request METHOD PATH [JSON] [TOKEN] -> sets STATUS and BODY (STATUS 000: no connection)
request() {
  local method=$1 path=$2 data=${3:-} token=${4:-} out
  local accept='application/json'
  [ "$path" = /mcp ] && accept='application/json, text/event-stream'
  local args=(-X "$method" -H "Accept: $accept" -w '\n%{http_code}')
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  if ! out=$("${CURL[@]}" "${args[@]}" "$BASE$path" 2>&1); then
    STATUS=000; BODY="$method $path: connection failed: $out"; return 0
  fi
  STATUS=${out##*$'\n'}
  BODY=${out%$'\n'*}
}
expect() { # expect STATUS... (after request)
  local s
  for s in "$@"; do [ "$STATUS" = "$s" ] && return 0; done
  die "expected HTTP $* but got $STATUS: ${BODY:0:500}"
}
step() { printf '%-52s' "$1"; STEP_T=$EPOCHREALTIME; }
ok() { printf 'ok  (%s ms)%s\n' "$(awk -v a="$STEP_T" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')" "${1:+  $1}"; }
T0=$EPOCHREALTIME

echo "smoke test of $BASE"

step "GET /healthz"
request GET /healthz; expect 200; ok

step "GET /readyz (waits up to ${SMOKE_TIMEOUT:-60}s)"
deadline=$((SECONDS + ${SMOKE_TIMEOUT:-60}))
while request GET /readyz; [ "$STATUS" != 200 ]; do
  [ $SECONDS -lt $deadline ] || die "/readyz still $STATUS after ${SMOKE_TIMEOUT:-60}s: ${BODY:0:300}"
  sleep 2
done
ok

stamp="$(date +%s)-$RANDOM$RANDOM"
email="smoke-$stamp@example.com"
password="Sm0ke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
step "POST /api/auth/sign-up"
request POST /api/auth/sign-up "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Smoke Test\"}"
expect 200 201
user_id=$(json_get "$BODY" .user.id) || die "sign-up response has no user.id: ${BODY:0:300}"
token=$(json_get "$BODY" .token) || die "sign-up response has no token: ${BODY:0:300}"
ok "user $user_id"

step "GET /api/{user_id}/tasks without a token"
request GET "/api/$user_id/tasks"; expect 401; ok

title="smoke test task $stamp"
step "POST /api/{user_id}/tasks"
request POST "/api/$user_id/tasks" "{\"title\":\"$title\"}" "$token"
expect 200 201
task_id=$(json_get "$BODY" .id) || task_id=$(json_get "$BODY" .task.id) || die "no task id in: ${BODY:0:300}"
ok "task $task_id"

step "GET /api/{user_id}/tasks lists it"
request GET "/api/$user_id/tasks" "" "$token"; expect 200
grep -qF "$title" <<<"$BODY" || die "created task not in the list: ${BODY:0:500}"
ok

step "POST /api/{user_id}/chat (add a task to buy milk)"
request POST "/api/$user_id/chat" '{"message":"add a task to buy milk"}' "$token"
expect 200 201
reply=$(json_get "$BODY" .response) || die "chat response has no 'response': ${BODY:0:300}"
json_get "$BODY" .conversation_id >/dev/null || die "chat response has no conversation_id: ${BODY:0:300}"
ok "\"${reply:0:60}\""

step "the assistant's task is in the list"
request GET "/api/$user_id/tasks" "" "$token"; expect 200
grep -qi "milk" <<<"$BODY" || die "no 'milk' task after the chat: ${BODY:0:500}"
ok

step "POST /mcp initialize"
request POST /mcp '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"smoke-test","version":"1"}}}' "$token"
expect 200
grep -q '"serverInfo"' <<<"$BODY" || die "MCP initialize answered without serverInfo: ${BODY:0:300}"
ok

printf 'PASS: %s in %s s\n' "$BASE" "$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
