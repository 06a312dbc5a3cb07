#!/usr/bin/env bash
# Smoke-run the Helm chart's rendered DEVELOPMENT manifests with `podman kube
# play` (no cluster): PostgreSQL, backend and frontend come up from the chart's
# own pod specs, env (ConfigMaps) and security contexts, then a sign-up,
# add-task and chat round trip goes through the frontend pod.
#
#   scripts/test-kube-play.sh [--keep]
#     --keep   leave the pods, secrets, volumes and network up (for debugging;
#              the next run removes them first)
#
# Steps (any failed check exits non-zero; a missing tool is installed, never
# a reason to skip a check):
#   1. tools: podman/runc + containers.conf (scripts/base-images.sh --setup-only),
#      curl, jq, python3-yaml; helm from the shared tool cache (scripts/lib/helm.sh).
#   2. helm template todo-app with values.yaml + ci/kube-play.yaml (namespace
#      todo-app); object counts for values.yaml and the staging and production
#      layers (values-deployed.yaml + values-ENV.yaml, with ci/required-inputs.yaml,
#      the inputs scripts/test-chart.sh passes).
#   3. images: the PostgreSQL stand-in the render names, the Dockerfiles' base
#      stand-ins and the app images the render names (ghcr.io/todo-app/*:<appVersion>);
#      only missing ones are built, with scripts/base-images.sh / scripts/build-images.sh.
#   4. a copy of the rendered manifests is made playable by podman 4.3 (each change
#      is printed; see WORKAROUNDS below; scripts/lib/kube_play.py, tested by
#      scripts/lib/test_kube_play.py) and each workload is played on one
#      network with --network NET:alias=<its Service names>.
#   5. checks from the host: the chart's own probes run from outside (exec probes
#      with podman exec, httpGet probes with curl on the published port): PostgreSQL
#      ready, backend and frontend /healthz and /readyz 200; each container runs as
#      the chart's runAsUser/runAsGroup (every process, /proc), read-only root
#      filesystem (inspect + mountinfo), no capabilities, no_new_privs, seccomp
#      filter, the ConfigMap/secret env present; then through the frontend pod:
#      sign up via the form (CSRF field + cookie jar), add a task via the form and
#      see it on /tasks, send "add a task to buy milk" through the chat form
#      (builtin assistant) and see "Buy milk" on /tasks.
#   6. prints: time from the first `kube play` to the first successful round trip,
#      rendered object counts per values file, step timings.
#
# WORKAROUNDS (podman 4.3.1 kube play, measured here):
#   - Secrets in the played YAML break env, and `secret:` volumes make kube play
#     panic (nil secrets manager in VolumeFromSecret): the rendered Secrets are
#     created with `podman secret create` (flat JSON of base64 values) and each
#     `*_FILE` env pointing into a secret volume becomes the plain variable with
#     `valueFrom.secretKeyRef` (same secret and key); the secret volume is dropped.
#   - StatefulSets are not played: the PostgreSQL pod template is played as a
#     Deployment; its volumeClaimTemplate becomes a persistentVolumeClaim on a
#     pre-created podman volume owned by runAsUser:fsGroup (podman has no fsGroup).
#   - emptyDir volumes become anonymous volumes named after the volume ("tmp" is
#     then shared by every pod) and their copy-up resolves /var/run through the
#     HOST's symlink (wrong owner): each emptyDir is a pre-created per-pod tmpfs
#     volume (mode 0777, runAsUser:fsGroup, sizeLimit as nr_blocks).
#   - Services are ignored: aliases on the network give the Service names.
#   - probes: httpGet becomes a curl healthcheck inside distroless images and
#     nothing runs healthchecks without systemd; the played copy has no probes and
#     the script runs the chart's probes from outside.
#   - containerPort is published on the host anyway: each gets a free hostPort on
#     127.0.0.1.
#   - ServiceAccount, PodDisruptionBudget, HPA, NetworkPolicy, Ingress: not played.
set -Eeuo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/helm.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/helm.sh"

KEEP=0
LOCKED=0
while (($#)); do
  case "$1" in
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,/^set -E/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

T_TOTAL=$(now)
CHART="$REPO_ROOT/helm/todo-app"
RELEASE=todo-app
NAMESPACE=todo-app
KUBE_VERSION="${KUBE_VERSION:-1.37.0}"   # newest version scripts/test-chart.sh validates
PREFIX="ghcr.io/todo-app/"
RUN=todo-kube-play                       # network, volume prefix and label
NET="$RUN"
STATE="/var/tmp/$RUN"                    # the last run's played files (for cleanup after a crash)
WORK="$(mktemp -d /tmp/todo-kube-play.XXXXXX)"
OUT="$REPO_ROOT/artifacts/kube-play"
PASSED=0
FAILED=0
FAILURES=()
TIMINGS=()
METRICS=()
FINDINGS=()

pass() { PASSED=$((PASSED + 1)); printf '  ok   %s\n' "$*" >&2; }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$*"); printf '%s  FAIL %s%s\n' "$(_c '1;31')" "$*" "$(_c 0)" >&2; }
check() { local d="$1"; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
metric() { METRICS+=("$(printf '%-52s %s' "$1" "$2")"); log "metric: $1 = $2"; }
step_t=$(now)
step_done() { TIMINGS+=("$(printf '%-34s %7ss' "$1" "$(elapsed "$step_t")")"); step_t=$(now); }
# podman 4.3 without systemd/syslog prints noise on every play/exec: drop only that.
pm() { podman "$@" 2> >(exec 9>&-; grep -v -e 'unable to get systemd connection' -e 'failed to connect to syslog' >&2); }

# ---------------------------------------------------------------- cleanup
# Removes what a run creates: played pods (kube play --down on the played
# files), the pods by name, the podman secrets, volumes and the network.
teardown() {
  local f
  if [[ -d "$STATE/play" ]]; then
    for f in "$STATE"/play/*.yaml; do
      if [[ -e "$f" ]]; then podman kube play --down "$f" >/dev/null 2>&1 || true; fi
    done
  fi
  local x
  if [[ -f "$STATE/pods" ]]; then
    while read -r x; do podman pod rm -f -t 0 "$x" >/dev/null 2>&1 || true; done <"$STATE/pods"
  fi
  if [[ -f "$STATE/secrets" ]]; then
    while read -r x; do podman secret rm "$x" >/dev/null 2>&1 || true; done <"$STATE/secrets"
  fi
  while read -r x; do podman volume rm -f "$x" >/dev/null 2>&1 || true; done \
    < <(podman volume ls -q --filter "label=$RUN" 2>/dev/null)
  podman network rm -f "$NET" >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
cleanup() {
  local rc=$?
  if ((KEEP)); then
    warn "--keep: pods left up (podman pod ps), network $NET; the next run removes them"
  elif ((LOCKED)) && command -v podman >/dev/null 2>&1; then
    teardown
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

summary() {
  mkdir -p "$OUT"
  {
    echo
    echo "== kube play report ($(date -u +%FT%TZ), revision $(git_rev))"
    printf '%s\n' "${METRICS[@]}"
    echo "timings:"
    printf '  %s\n' "${TIMINGS[@]}"
    printf '  %-34s %7ss\n' total "$(elapsed "$T_TOTAL")"
    ((${#FINDINGS[@]})) && printf 'FINDING (not a failure here, fix in the image): %s\n' "${FINDINGS[@]}"
    ((${#FAILURES[@]})) && printf 'FAILED: %s\n' "${FAILURES[@]}"
    echo "kube play: $PASSED passed, $FAILED failed"
  } | tee "$OUT/report.txt" >&2
}
fatal() { fail "$*"; summary; exit 1; }

# One run at a time on this machine: the pod, secret and network names are fixed.
# The lock's fd must not leak into podman: conmon and aardvark-dns outlive the
# command that starts them and would hold the lock (--keep would then block the
# next run), so every podman call and sub-script runs with fd 9 closed.
exec 9>"/tmp/$RUN.lock"
flock -w 900 9 || die "another scripts/test-kube-play.sh holds /tmp/$RUN.lock (or a process that inherited it)"
LOCKED=1
podman() { command podman "$@" 9>&-; }

# ---------------------------------------------------------------- 1. tools
log "tools"
"$REPO_ROOT/scripts/base-images.sh" --setup-only 9>&-
ensure_cmds curl:curl jq:jq python3:python3 flock:util-linux
if ! python3 -c 'import yaml' 2>/dev/null; then
  [[ $(id -u) == 0 ]] || die "python3-yaml is missing: install it (needs root)"
  log "installing python3-yaml from apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-yaml >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-yaml >/dev/null; } \
    || die "apt-get install python3-yaml failed"
fi
ensure_helm || die "helm is not available"
log "podman $(podman version --format '{{.Client.Version}}'), helm $("$HELM" version --short)"
teardown   # leftovers of an interrupted run (idempotency)
step_done "tools"

# ---------------------------------------------------------------- 2. render
log "helm template ($RELEASE, namespace $NAMESPACE, Kubernetes $KUBE_VERSION)"
mkdir -p "$OUT"
render() { # render OUTFILE VALUES...
  local out="$1" f flags=(); shift
  for f in "$@"; do flags+=(-f "$CHART/$f"); done
  "$HELM" template "$RELEASE" "$CHART" --namespace "$NAMESPACE" --kube-version "$KUBE_VERSION" "${flags[@]}" >"$out"
}
# name|values files (staging/production: the inputs scripts/test-chart.sh passes)
COUNT_SETS=(
  "values.yaml|values.yaml"
  "values-staging.yaml|values-deployed.yaml values-staging.yaml ci/required-inputs.yaml"
  "values-production.yaml|values-deployed.yaml values-production.yaml ci/required-inputs.yaml"
  "kube-play (values.yaml + ci/kube-play.yaml)|values.yaml ci/kube-play.yaml"
)
for s in "${COUNT_SETS[@]}"; do
  name=${s%%|*}; files=${s#*|}
  safe=$(tr -c 'a-zA-Z0-9.\n-' '_' <<<"${name%% *}")
  # shellcheck disable=SC2086 # the file list is split on purpose
  if render "$OUT/$safe.yaml" $files 2>"$WORK/render.err"; then
    metric "rendered objects: $name" "$(python3 "$REPO_ROOT/scripts/lib/chart_lib.py" count "$OUT/$safe.yaml")"
  else
    cat "$WORK/render.err" >&2
    fail "helm template with $files"
  fi
done
RENDERED="$OUT/kube-play.yaml"
[[ -s "$RENDERED" ]] || fatal "no rendered development manifests"
step_done "helm template (4 value sets)"

# ---------------------------------------------------------------- 3. playable copy
# Writes $WORK/plan.json, $WORK/secrets/*.json and $WORK/play/*.yaml.
log "making the rendered manifests playable by podman kube play"
python3 "$REPO_ROOT/scripts/lib/kube_play.py" prepare "$RENDERED" "$WORK" "$RUN" >&2 || fatal "preparing the manifests for kube play"
PLAN="$WORK/plan.json"
jq -e '.workloads | length == 3' "$PLAN" >/dev/null \
  || fatal "expected 3 workloads (postgresql, backend, frontend), got: $(jq -r '[.workloads[].name] | join(", ")' "$PLAN")"
for comp in postgresql backend frontend; do
  jq -e --arg c "$comp" 'any(.workloads[]; .component == $c)' "$PLAN" >/dev/null || fatal "no $comp workload in the render"
done
step_done "playable copy"

# ---------------------------------------------------------------- 4. images
log "images (built only when missing)"
img_desc() { podman image inspect --format '{{.Id}}' "$1" | cut -c1-12 | tr -d '\n'; printf ', created %s' "$(podman image inspect --format '{{.Created}}' "$1" | cut -d. -f1)"; }
# Base stand-ins: the Dockerfiles' builder/runtime and the PostgreSQL image the chart names.
declare -A BASE_KEY=()
for df in docker/backend/Dockerfile docker/frontend/Dockerfile; do
  ref=$(dockerfile_image "$REPO_ROOT/$df" RUST) && BASE_KEY[$ref]=rust
  ref=$(dockerfile_image "$REPO_ROOT/$df" RUNTIME) && BASE_KEY[$ref]=distroless
done
PG_IMAGE=$(jq -r '.workloads[] | select(.component == "postgresql") | .containers[0].image' "$PLAN")
BASE_KEY[$PG_IMAGE]=postgres
missing_keys=()
for ref in "${!BASE_KEY[@]}"; do
  if podman image exists "$ref"; then
    echo "  reusing base   $ref ($(img_desc "$ref"))" >&2
  else
    echo "  MISSING base   $ref: will build (${BASE_KEY[$ref]})" >&2
    missing_keys+=("${BASE_KEY[$ref]}")
  fi
done
if ((${#missing_keys[@]})); then
  t=$(now)
  only=$(printf '%s\n' "${missing_keys[@]}" | sort -u | paste -sd,)
  "$REPO_ROOT/scripts/base-images.sh" --only "$only" --postgres-image "$PG_IMAGE" 9>&- || fatal "scripts/base-images.sh --only $only"
  metric "base stand-ins built ($only)" "$(elapsed "$t")s"
fi
for ref in "${!BASE_KEY[@]}"; do
  check "base image present: $ref" podman image exists "$ref"
done
# App images, exactly as the render names them.
while read -r ref; do
  name=${ref#"$PREFIX"}; name=${name%%[:@]*}
  if podman image exists "$ref"; then
    echo "  reusing app    $ref ($(img_desc "$ref"))" >&2
  else
    if ! { [[ "$ref" == "$PREFIX"* ]] && printf '%s\n' "${IMAGE_TABLE[@]}" | grep -q "^$name "; }; then
      fatal "$ref is missing and no script here builds it"
    fi
    echo "  MISSING app    $ref: building with scripts/build-images.sh $name" >&2
    t=$(now)
    "$REPO_ROOT/scripts/build-images.sh" --engine podman --base-images never --quiet --prefix "$PREFIX" "$name" 9>&- \
      || fatal "scripts/build-images.sh $name"
    metric "$name image built" "$(elapsed "$t")s"
  fi
  check "app image present: $ref (tag from the chart)" podman image exists "$ref"
done < <(jq -r '.workloads[] | select(.component != "postgresql") | .containers[].image' "$PLAN" | sort -u)

# An image whose WORKDIR is not a directory in the image (buildah does not
# materialise a WORKDIR that no later step writes to): `podman run` creates it,
# `podman kube play` 4.3 refuses to start the container ("workdir ... does not
# exist"). Played copy: workingDir "/" for that container, reported as a finding.
FINDINGS=()
while read -r ref; do
  wd=$(podman image inspect --format '{{.Config.WorkingDir}}' "$ref")
  [[ -n "$wd" && "$wd" != / ]] || continue
  mnt=$(podman image mount "$ref") || fatal "podman image mount $ref"
  if [[ ! -d "$mnt$wd" ]]; then
    FINDINGS+=("$ref: WORKDIR $wd does not exist in the image; kube play needs it (played with workingDir /)")
    python3 "$REPO_ROOT/scripts/lib/kube_play.py" workdir "$ref" "$wd" "$WORK"/play/*.yaml >&2
  fi
  podman image unmount "$ref" >/dev/null || true
done < <(jq -r '.workloads[].containers[].image' "$PLAN" | sort -u)
for f in "${FINDINGS[@]}"; do warn "FINDING: $f"; done
step_done "images"

# ---------------------------------------------------------------- 5. secrets, volumes, network
log "podman secrets, volumes, network"
mkdir -p "$STATE"
cp -r "$WORK/play" "$STATE/"
jq -r '.workloads[].pod' "$PLAN" >"$STATE/pods"
jq -r '.secrets[].name' "$PLAN" >"$STATE/secrets"
while read -r sname sfile; do
  podman secret rm "$sname" >/dev/null 2>&1 || true
  podman secret create "$sname" "$sfile" >/dev/null || fatal "podman secret create $sname"
  echo "  secret $sname ($(jq -r 'keys | join(", ")' "$sfile"))" >&2
done < <(jq -r '.secrets[] | "\(.name) \(.file)"' "$PLAN")
while read -r vname vtype uid gid blocks; do
  if [[ "$vtype" == tmpfs ]]; then
    o="uid=$uid,gid=$gid,mode=0777${blocks:+,nr_blocks=$blocks}"
    podman volume create --label "$RUN" -o type=tmpfs -o device=tmpfs -o "o=$o" "$vname" >/dev/null
  else
    o="uid=$uid,gid=$gid"
    podman volume create --label "$RUN" -o "o=$o" "$vname" >/dev/null
  fi || fatal "podman volume create $vname"
  echo "  volume $vname ($vtype, $o)" >&2
done < <(jq -r '.workloads[].volumes[] | "\(.name) \(.type) \(.uid) \(.gid) \(.blocks // "")"' "$PLAN")
podman network create "$NET" >/dev/null || fatal "podman network create $NET"
while read -r pod; do
  if podman pod exists "$pod"; then
    warn "removing a leftover pod $pod (same name as a pod this run plays)"
    podman pod rm -f -t 0 "$pod" >/dev/null
  fi
done <"$STATE/pods"
step_done "secrets, volumes, network"

# ---------------------------------------------------------------- 6. kube play
log "podman kube play (PostgreSQL, backend, frontend)"
T_PLAY=$(now)
while read -r file aliases; do
  net="$NET${aliases:+:alias=${aliases//,/,alias=}}"
  echo "  podman kube play --network $net ${file##*/}" >&2
  if ! pm kube play --network "$net" "$file" >"$WORK/play.out"; then
    cat "$WORK/play.out" >&2
    fatal "podman kube play ${file##*/}"
  fi
done < <(jq -r '.workloads[] | "\(.file) \(.aliases | join(","))"' "$PLAN")
metric "all three kube play commands" "$(elapsed "$T_PLAY")s"
step_done "kube play"

# ---------------------------------------------------------------- 7. checks from the host
ctr_of() { jq -r --arg w "$1" '.workloads[] | select(.component == $w) | "\(.pod)-\(.containers[0].name)"' "$PLAN"; }
host_port_of() { # host_port_of COMPONENT PORT(name or number)
  jq -r --arg w "$1" --arg p "$2" '.workloads[] | select(.component == $w) | .containers[0].ports[]
    | select(.name == $p or (.containerPort | tostring) == $p) | .hostPort' "$PLAN" | head -n1
}
ctr_running() { [[ "$(podman inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" == true ]]; }
# run_probe COMPONENT PROBE_JSON: one attempt of a chart probe, from outside the pod.
run_probe() {
  local comp="$1" probe="$2" ctr port path
  ctr=$(ctr_of "$comp")
  if jq -e '.exec' <<<"$probe" >/dev/null; then
    local -a cmd
    mapfile -t cmd < <(jq -r '.exec.command[]' <<<"$probe")
    timeout "$(jq -r '.timeoutSeconds // 1' <<<"$probe")" podman exec "$ctr" "${cmd[@]}" >/dev/null 2>&1
  elif jq -e '.httpGet' <<<"$probe" >/dev/null; then
    port=$(host_port_of "$comp" "$(jq -r '.httpGet.port' <<<"$probe")")
    path=$(jq -r '.httpGet.path // "/"' <<<"$probe")
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time "$(jq -r '.timeoutSeconds // 1' <<<"$probe")" \
      "http://127.0.0.1:$port$path" || true)" =~ ^(2|3)[0-9][0-9]$ ]]
  else
    return 2
  fi
}
probe_desc() { jq -r 'if .exec then "exec " + (.exec.command | join(" ")) else "GET " + .httpGet.path end' <<<"$1"; }
# wait_probe COMPONENT KIND: poll the chart's probe until it succeeds, within the
# probe's own budget (failureThreshold x periodSeconds), at least 90 s on this
# shared machine. Prints the seconds taken.
wait_probe() {
  local comp="$1" kind="$2" probe budget deadline t0 ctr
  probe=$(jq -c --arg w "$comp" --arg k "$kind" '.workloads[] | select(.component == $w) | .containers[0].probes[$k] // empty' "$PLAN")
  [[ -n "$probe" ]] || { fail "$comp: the chart defines no $kind"; return 1; }
  budget=$(jq -r '((.failureThreshold // 3) * (.periodSeconds // 10)) | if . < 90 then 90 else . end' <<<"$probe")
  ctr=$(ctr_of "$comp")
  t0=$(now); deadline=$(($(date +%s) + budget))
  until run_probe "$comp" "$probe"; do
    if (($(date +%s) > deadline)); then
      podman logs --tail 30 "$ctr" >&2 || true
      fail "$comp: $kind ($(probe_desc "$probe")) not passing within ${budget}s"
      return 1
    fi
    sleep 0.2
  done
  pass "$comp: chart $kind passes from outside ($(probe_desc "$probe"), after $(elapsed "$t0")s)"
}

log "health from outside the pods (the chart's probes)"
for comp in postgresql backend frontend; do
  wait_probe "$comp" startupProbe || true
  for kind in readinessProbe livenessProbe; do
    probe=$(jq -c --arg w "$comp" --arg k "$kind" '.workloads[] | select(.component == $w) | .containers[0].probes[$k] // empty' "$PLAN")
    if [[ -z "$probe" ]]; then fail "$comp: the chart defines no $kind"; continue; fi
    wait_probe "$comp" "$kind" || true
  done
done
check "backend /readyz answers 200" \
  test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(host_port_of backend http)/readyz")" == 200
check "frontend /readyz answers 200 (it checks the backend through the Service name)" \
  test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(host_port_of frontend http)/readyz")" == 200
metric "kube play -> every chart probe passed (checked in turn)" "$(elapsed "$T_PLAY")s"
step_done "health"

# ---------------------------------------------------------------- 8. round trip through the frontend (timed from the first kube play)
log "round trip through the frontend pod (sign-up, add task, chat)"
WEB="http://127.0.0.1:$(host_port_of frontend http)"
JAR="$WORK/cookies"
# page PATH -> body in $WORK/page.html, status code printed
page() { curl -s -b "$JAR" -c "$JAR" -o "$WORK/page.html" -w '%{http_code}' --max-time 30 "$WEB$1" || true; }
# post PATH FIELD=VALUE... -> "CODE LOCATION"
post() {
  local path="$1" a=(); shift
  local kv; for kv in "$@"; do a+=(--data-urlencode "$kv"); done
  curl -s -b "$JAR" -c "$JAR" -o "$WORK/post.html" -w '%{http_code} %{redirect_url}' --max-time 120 "${a[@]}" "$WEB$path" || true
}
csrf_field() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/page.html" | head -n1; }
task_titles() { grep -o '<p class="task-title">[^<]*</p>' "$WORK/page.html" | sed 's/<[^>]*>//g'; }
round_trip() {
  local code res csrf email title
  email="kube-play-$$-$RANDOM@example.com"
  title="kube play task $$"
  rm -f "$JAR"
  code=$(page /sign-up); csrf=$(csrf_field)
  [[ "$code" == 200 && -n "$csrf" ]] || { echo "GET /sign-up: $code, csrf field: ${csrf:-none}" >&2; return 1; }
  res=$(post /sign-up "csrf=$csrf" "name=Kube Play" "email=$email" "password=correct-horse-battery-9")
  [[ "$res" == "303 "*"/tasks" ]] || { echo "POST /sign-up: $res" >&2; sed 's/<[^>]*>/ /g' "$WORK/post.html" | tr -s ' \n' ' ' | head -c 400 >&2; return 1; }
  grep -q 'todo_session' "$JAR" || { echo "no todo_session cookie after sign-up" >&2; return 1; }
  code=$(page /tasks); csrf=$(csrf_field)
  [[ "$code" == 200 && -n "$csrf" ]] || { echo "GET /tasks: $code, csrf field: ${csrf:-none}" >&2; return 1; }
  res=$(post /tasks "csrf=$csrf" "back=" "title=$title" "priority=medium")
  [[ "$res" == "303 "* ]] || { echo "POST /tasks: $res" >&2; return 1; }
  code=$(page /tasks)
  task_titles | grep -qxF "$title" || { echo "GET /tasks ($code): task '$title' not listed; titles: $(task_titles | paste -sd'|')" >&2; return 1; }
  csrf=$(csrf_field)
  res=$(post /chat "csrf=$csrf" "back=" "conversation_id=" "message=add a task to buy milk")
  [[ "$res" == "303 "* ]] || { echo "POST /chat: $res" >&2; sed 's/<[^>]*>/ /g' "$WORK/post.html" | tr -s ' \n' ' ' | head -c 400 >&2; return 1; }
  code=$(page /tasks)
  task_titles | grep -qxF 'Buy milk' || { echo "GET /tasks ($code) after the chat: no 'Buy milk'; titles: $(task_titles | paste -sd'|')" >&2; return 1; }
  echo "  signed up $email, added '$title', chat added 'Buy milk'" >&2
}
# The first successful round trip: retried while the pods settle (60 s).
deadline=$(($(date +%s) + 60)); attempt=1
until round_trip; do
  if (($(date +%s) > deadline)); then
    for comp in backend frontend; do podman logs --tail 20 "$(ctr_of "$comp")" >&2 || true; done
    attempt=0
    break
  fi
  attempt=$((attempt + 1))
  sleep 1
done
if ((attempt)); then
  metric "first kube play -> first successful round trip" "$(elapsed "$T_PLAY")s"
  pass "round trip through the frontend pod (attempt $attempt): sign-up with CSRF field + cookie, task added via the form and listed, chat added 'Buy milk'"
else
  fail "round trip through the frontend (sign-up, add task via form, chat 'add a task to buy milk' -> 'Buy milk') within 60 s"
fi
step_done "round trip"

# ---------------------------------------------------------------- 9. security contexts
log "security contexts as the chart sets them"
# All ids of a /proc status line ("Uid:" real, effective, saved, fs) equal $3.
proc_ids_are() { awk -v k="$2:" -v want="$3" '$1 == k { ok = ($2 == want && $3 == want && $4 == want && $5 == want) } END { exit !ok }' "/proc/$1/status"; }
root_is_ro() { awk '$5 == "/" { n = split($6, o, ","); for (i = 1; i <= n; i++) if (o[i] == "ro") ro = 1 } END { exit !ro }' "/proc/$1/mountinfo"; }
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
while read -r comp; do
  c=$(jq -c --arg w "$comp" '.workloads[] | select(.component == $w) | .containers[0]' "$PLAN")
  ctr=$(ctr_of "$comp")
  uid=$(jq -r '.uid' <<<"$c"); gid=$(jq -r '.gid' <<<"$c")
  if ! ctr_running "$ctr"; then fail "$comp: container $ctr is not running"; continue; fi
  mapfile -t pids < <(podman top "$ctr" hpid 2>/dev/null | tail -n +2 | tr -d ' ')
  ((${#pids[@]})) || { fail "$comp: no processes in $ctr (podman top)"; continue; }
  bad=()
  for p in "${pids[@]}"; do
    [[ -r /proc/$p/status ]] || continue
    proc_ids_are "$p" Uid "$uid" && proc_ids_are "$p" Gid "$gid" || bad+=("$p")
  done
  check "$comp: all ${#pids[@]} processes run as uid $uid gid $gid (runAsUser/runAsGroup; podman top: $(podman top "$ctr" user group 2>/dev/null | tail -n +2 | sort -u | paste -sd' '))" \
    test "${#bad[@]}" -eq 0
  pid=${pids[0]}
  if jq -e '.readOnlyRoot' <<<"$c" >/dev/null; then
    check "$comp: read-only root filesystem (inspect ReadonlyRootfs, / mounted ro)" \
      bash -c "[[ \$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' '$ctr') == true ]] && $(declare -f root_is_ro); root_is_ro $pid"
  else
    fail "$comp: the chart does not set readOnlyRootFilesystem"
  fi
  if jq -e '.dropAll' <<<"$c" >/dev/null; then
    check "$comp: capabilities drop ALL (CapEff $(status_field "$pid" CapEff))" test "$(status_field "$pid" CapEff)" == 0000000000000000
  fi
  if jq -e '.noNewPrivs' <<<"$c" >/dev/null; then
    check "$comp: allowPrivilegeEscalation false (NoNewPrivs)" test "$(status_field "$pid" NoNewPrivs)" == 1
  fi
  [[ "$(jq -r '.seccomp' <<<"$c")" == RuntimeDefault ]] \
    && check "$comp: seccomp filter active (RuntimeDefault)" test "$(status_field "$pid" Seccomp)" == 2
  # env: every ConfigMap key and every env entry of the chart, secrets by name only
  env_json=$(podman inspect --format '{{json .Config.Env}}' "$ctr")
  env_bad=$(jq -r --argjson env "$env_json" --arg w "$comp" '
      ($env | map(capture("^(?<key>[^=]*)=(?<value>.*)$")) | from_entries) as $e
      | .workloads[] | select(.component == $w)
      | ([.configMaps[] | to_entries[] | select($e[.key] != .value) | .key]
         + [.containers[0].env[] | select((.value != null and $e[.name] != .value) or (.secret != null and ($e[.name] // "") == "")) | .name])
      | join(" ")' "$PLAN")
  check "$comp: env from the chart's ConfigMaps and env (secrets via podman secrets) is set${env_bad:+ (missing/wrong: $env_bad)}" \
    test -z "$env_bad"
done < <(jq -r '.workloads[].component' "$PLAN")
PG_CTR=$(ctr_of postgresql)
check "postgresql: a write to the root filesystem fails" bash -c "! podman exec '$PG_CTR' touch /kube-play-probe 2>/dev/null"
check "postgresql: data volume (PVC stand-in) is where PGDATA lives" \
  podman exec "$PG_CTR" test -f /var/lib/postgresql/data/pgdata/PG_VERSION
step_done "security checks"

log "played pods"
while read -r pod; do
  podman ps --filter "pod=$pod" --format '  {{.Names}}  {{.Image}}  {{.Status}}  {{.Ports}}' | grep -v -- '-infra ' >&2 || true
done < <(jq -r '.workloads[].pod' "$PLAN")

summary
((FAILED == 0)) || exit 1
echo "OK: kube play smoke run passed" >&2
