#!/usr/bin/env bash
# The chart on a real single-node Kubernetes (scripts/cluster.sh): installed the
# way an operator installs it (scripts/deploy.sh: helm upgrade --install --atomic
# --wait, helm test, scripts/smoke-test.sh through the Ingress), then checked and
# measured against the plan's deployment targets.
#
#   scripts/test-cluster.sh [--keep]
#     --keep   leave the cluster up afterwards (scripts/cluster.sh down removes it)
#
# Needs root, Go >= 1.26 (the first run builds the cluster into the cache, see
# scripts/lib/cluster-build.sh), podman (the app images, scripts/build-images.sh).
#
# Checks, in order (any failure exits non-zero):
#   1. cluster up: node Ready, CoreDNS, metrics API, Traefik, policy agent.
#   2. images: ghcr.io/todo-app/{todo-api,todo-web}:<version> and the chart's
#      PostgreSQL from podman (built if missing) -> podman save | ctr import.
#   3. development install (values.yaml, in-cluster PostgreSQL) with
#      `deploy.sh development`: every pod admitted under "restricted" and Ready,
#      helm test, smoke test through the Ingress; create -> Ready of each pod.
#   4. admission: a privileged pod is rejected in the app's namespace.
#   5. routing: /api/... and /mcp reach the API, /apix and /mcpx the frontend
#      (Ingress here, HTTPRoute in 10).
#   6. NetworkPolicies, from pods: an unlabelled pod cannot reach the API or
#      the database; a pod with the frontend's labels reaches the API but not
#      the database; one with the backend's labels reaches the database; DNS
#      resolves for the policed pods; the backend's egress to an LLM provider
#      (a stand-in pod) is blocked at a private address under values.yaml and
#      allowed only on the port the staging values name (checked in 7).
#   7. staging install (values-staging.yaml, `deploy.sh staging`): external
#      PostgreSQL started outside the chart, existingSecret, secrets as files,
#      HPA, 2 replicas, TLS Ingress; helm test and smoke test.
#   8. a backend pod deleted under a bounded load: time until a replacement
#      serves, failed requests.
#   9. a rolling upgrade (new image tag) under a bounded load of reads and
#      writes: 0 failed requests, every acknowledged write present afterwards.
#  10. HTTPRoute through Traefik's Gateway: the same routes and /apix check.
#  11. HPA: bounded CPU load (sign-ins, Argon2) -> 2 to 4 replicas; after the
#      load stops, the scale-down is held by the stabilisation window.
# Measurements go to $TODO_TOOL_CACHE/cluster-report.txt (and stdout).
set -Eeuo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/cluster-build.sh
source "$REPO_ROOT/scripts/lib/cluster-build.sh"
# shellcheck source=scripts/lib/cluster-lib.sh
source "$REPO_ROOT/scripts/lib/cluster-lib.sh"
# shellcheck source=scripts/lib/helm.sh
source "$REPO_ROOT/scripts/lib/helm.sh"

KEEP=0
[[ ${1:-} == --keep ]] && KEEP=1
[[ $(id -u) == 0 ]] || die "needs root (the cluster creates a bridge and iptables rules)"
ensure_cmds curl:curl jq:jq python3:python3 openssl:openssl podman:podman
ensure_helm

T_ALL=$(now)
REPORT=${CLUSTER_REPORT:-$TODO_TOOL_CACHE/cluster-report.txt}
mkdir -p "$(dirname "$REPORT")"
: >"$REPORT.tmp"
WORK=$(mktemp -d /tmp/todo-cluster-test.XXXXXX)
LOAD=(python3 "$REPO_ROOT/scripts/lib/cluster_load.py")
CTX=todo-local
DEV_NS=todo-app-dev STG_NS=todo-app-staging DB_NS=todo-db RELEASE=todo-app
DEV_HOST=todo.local STG_HOST=staging.todo.local GW_HOST=gw.todo.local

measure() { # key value [target]
  printf '%-44s %-12s %s\n' "$1" "$2" "${3:-}" | tee -a "$REPORT.tmp" >&2
}
pass() { printf '  ok  %s\n' "$*" >&2; }
fail() {
  warn "$*"
  if [[ -f $CLUSTER_KUBECONFIG ]]; then
    kc get pods -A -o wide >&2 || true
    kc get events -A --sort-by=.lastTimestamp 2>/dev/null | tail -25 >&2 || true
  fi
  die "$*"
}
cleanup() {
  local rc=$?
  touch "$WORK/stop" 2>/dev/null
  [[ -f $WORK/load.pid ]] && kill "$(cat "$WORK/load.pid")" 2>/dev/null
  [[ -f $WORK/logs.pid ]] && wait "$(cat "$WORK/logs.pid")" 2>/dev/null
  if ((KEEP)) || [[ -n ${CLUSTER_WAS_UP:-} ]]; then
    log "cluster left up (scripts/cluster.sh down removes it)"
  else
    "$REPO_ROOT/scripts/cluster.sh" down || warn "cluster down failed: run scripts/cluster.sh down"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1. cluster
export KUBECONFIG=$CLUSTER_KUBECONFIG PATH=$CLUSTER_BIN:$PATH
if _cl_running kube-apiserver && _cl_node_ready; then
  CLUSTER_WAS_UP=1
  log "reusing the running cluster"
else
  log "cluster up"
  t=$(now)
  "$REPO_ROOT/scripts/cluster.sh" up
  read -r node_ready _ <"$CLUSTER_RUN/up-times"
  measure "cluster: start to node Ready (s)" "$node_ready"
  measure "cluster: start to add-ons Ready (s)" "$(elapsed "$t")"
fi
for g in "${CLUSTER_GROUPS[@]}"; do
  measure "cold build: $g (s)" "$(cat "$CLUSTER_CACHE/stamps/$g")"
done
# kubectl and helm use the kubeconfig's context by name, like an operator's.
[[ $(kc config current-context) == "$CTX" ]] || die "kubeconfig context is not $CTX"

# ---------------------------------------------------------------- 2. images
VERSION=$(cargo_version)
TAG2=$VERSION-upgrade
REG=ghcr.io/todo-app
# The chart's PostgreSQL image with the tag values-dev.yaml gives it (the local stand-in).
PG_REF=$("$HELM" show values "$REPO_ROOT/helm/todo-app" | python3 -c '
import sys, yaml
repo = yaml.safe_load(sys.stdin)["postgresql"]["image"]["repository"]
tag = yaml.safe_load(open(sys.argv[1]))["postgresql"]["image"]["tag"]
print(repo + ":" + tag)' "$_CL_DATA/values-dev.yaml") || die "cannot read the PostgreSQL image"
log "images: $REG/{todo-api,todo-web}:$VERSION, $PG_REF"
for name in todo-api todo-web; do
  podman image exists "$REG/$name:$VERSION" || "$REPO_ROOT/scripts/build-images.sh" --engine podman --quiet "$name" \
    || die "scripts/build-images.sh $name failed"
done
podman image exists "$PG_REF" || "$REPO_ROOT/scripts/base-images.sh" --only postgres --postgres-image "$PG_REF" \
  || die "scripts/base-images.sh --only postgres failed"
t=$(now)
declare -A DIGEST
for ref in "$REG/todo-api:$VERSION" "$REG/todo-web:$VERSION" "$PG_REF"; do
  podman save -q "$ref" | ctrd images import - >/dev/null || die "loading $ref into containerd failed"
  d=$(ctrd images ls "name==$ref" | awk 'NR == 2 { print $3 }')
  [[ $d =~ ^sha256:[0-9a-f]{64}$ ]] || die "no digest for $ref in containerd"
  # The references an operator's pull by tag and by digest would leave.
  ctrd images tag --force "$ref" "${ref%:*}@$d" >/dev/null
  DIGEST[$ref]=$d
done
for name in todo-api todo-web; do
  ctrd images tag --force "$REG/$name:$VERSION" "$REG/$name:$TAG2" >/dev/null
done
measure "images loaded into containerd (s)" "$(elapsed "$t")"

# Shared environment of scripts/deploy.sh.
export KUBE_CONTEXT=$CTX IMAGE_REGISTRY=$REG RELEASE
export BACKEND_DIGEST=${DIGEST[$REG/todo-api:$VERSION]} FRONTEND_DIGEST=${DIGEST[$REG/todo-web:$VERSION]}

# pods_ready NS: every pod of the release Running and Ready; prints create->Ready per pod.
pods_create_to_ready() { # NS -> lines "component pod seconds"
  kc -n "$1" get pods -l "app.kubernetes.io/instance=$RELEASE" -o json | python3 -c '
import json, sys
from datetime import datetime
def t(s): return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
for p in json.load(sys.stdin)["items"]:
    comp = p["metadata"]["labels"].get("app.kubernetes.io/component", "?")
    if comp == "test": continue
    ready = [c for c in p["status"].get("conditions", []) if c["type"] == "Ready" and c["status"] == "True"]
    if not ready: print(comp, p["metadata"]["name"], "NOT-READY"); continue
    print(comp, p["metadata"]["name"], int((t(ready[0]["lastTransitionTime"]) - t(p["metadata"]["creationTimestamp"])).total_seconds()))'
}
check_admitted() { # NS: restricted enforced, nothing refused, nothing that would be
  local ns=$1 out
  [[ $(kc get ns "$ns" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}') == restricted ]] \
    || fail "$ns does not enforce restricted"
  out=$(kc get events -n "$ns" --field-selector reason=FailedCreate -o name)
  [[ -z $out ]] || fail "pods refused in $ns: $(kc get events -n "$ns" --field-selector reason=FailedCreate -o jsonpath='{.items[*].message}')"
  # The server evaluates every existing pod against the level: no warning = all comply.
  out=$(kc label --dry-run=server --overwrite ns "$ns" pod-security.kubernetes.io/enforce=restricted 2>&1 >/dev/null)
  [[ -z $out ]] || fail "pods in $ns violate restricted: $out"
  pass "$ns: restricted enforced; every pod admitted and compliant"
}
all_ready() { # NS
  local line bad=0
  while read -r comp pod secs; do
    [[ $secs == NOT-READY ]] && { bad=1; warn "$pod not Ready"; continue; }
    printf '    %-12s %-48s create->Ready %ss\n' "$comp" "$pod" "$secs" >&2
  done < <(pods_create_to_ready "$1")
  ((bad == 0)) || fail "pods of $1 not Ready"
  line=$(kc -n "$1" get pods -l "app.kubernetes.io/instance=$RELEASE" \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{range .status.containerStatuses[*]}{.restartCount}{" "}{end}{"\n"}{end}')
  awk '{ for (i = 2; i <= NF; i++) if ($i != 0) exit 1 }' <<<"$line" || fail "containers restarted (probes failing?): $line"
  pass "$1: every pod Ready, no restarts (startup, liveness and readiness probes passing)"
}
max_ready() { # NS COMPONENT -> the slowest create->Ready of that component
  pods_create_to_ready "$1" | awk -v c="$2" '$1 == c && $3 != "NOT-READY" { if ($3 > m) m = $3 } END { print m + 0 }'
}
deploy() { # ENV LOGFILE [-- HELM_ARGS]
  local env=$1 logf=$2; shift 2
  "$REPO_ROOT/scripts/deploy.sh" "$env" "$@" 2>&1 | tee "$logf" >&2
  return "${PIPESTATUS[0]}"
}
rolled_out() { sed -n 's/^rolled out in \([0-9.]*\)s$/\1/p' "$1" | tail -1; }

# ---------------------------------------------------------------- 3. development install
log "development install (values.yaml, in-cluster PostgreSQL) with scripts/deploy.sh development"
NAMESPACE=$DEV_NS HOST=$DEV_HOST IMAGE_TAG=$VERSION SMOKE=1 SMOKE_RESOLVE="$DEV_HOST:80:$CLUSTER_INGRESS_IP" \
  deploy development "$WORK/dev.log" -- -f "$_CL_DATA/values-dev.yaml" || fail "deploy.sh development failed"
grep -q '^PASS: ' "$WORK/dev.log" || fail "the smoke test did not pass"
measure "dev: helm install to all pods Ready (s)" "$(rolled_out "$WORK/dev.log")" "plan < 120"
all_ready "$DEV_NS"
check_admitted "$DEV_NS"
measure "dev: backend create->Ready (s)" "$(max_ready "$DEV_NS" backend)" "plan < 30"
measure "dev: frontend create->Ready (s)" "$(max_ready "$DEV_NS" frontend)" "plan < 45"
measure "dev: postgresql create->Ready (s)" "$(max_ready "$DEV_NS" postgresql)"

# What the kernel says about each running app container (what admission checked
# on paper): the chart's UID, no capabilities, no_new_privs, a seccomp filter and
# a read-only root filesystem.
check_processes() { # NS
  local ns=$1 pod comp uid cid pid st
  while read -r pod comp uid cid; do
    cid=${cid#containerd://}
    pid=$(ctrd tasks ls | awk -v c="$cid" '$1 == c { print $2 }')
    [[ -n $pid && -r /proc/$pid/status ]] || fail "no process for $pod ($cid)"
    st=$(cat "/proc/$pid/status")
    grep -Eq "^Uid:[[:space:]]+${uid}[[:space:]]+${uid}[[:space:]]" <<<"$st" || fail "$pod runs as $(grep ^Uid <<<"$st"), expected $uid"
    grep -Eq '^CapEff:[[:space:]]+0+$' <<<"$st" || fail "$pod has capabilities: $(grep ^CapEff <<<"$st")"
    grep -Eq '^NoNewPrivs:[[:space:]]+1$' <<<"$st" || fail "$pod may gain privileges"
    grep -Eq '^Seccomp:[[:space:]]+2$' <<<"$st" || fail "$pod has no seccomp filter"
    awk '$5 == "/" { split($6, o, ","); if (o[1] != "ro") exit 1 }' "/proc/$pid/mountinfo" || fail "$pod's root filesystem is writable"
  done < <(kc -n "$ns" get pods -l "app.kubernetes.io/instance=$RELEASE" -o json | jq -r '.items[]
    | select(.metadata.labels["app.kubernetes.io/component"] != "test")
    | [.metadata.name, .metadata.labels["app.kubernetes.io/component"], (.spec.securityContext.runAsUser | tostring),
       .status.containerStatuses[0].containerID] | join(" ")')
  pass "$ns: every app process runs as its runAsUser with no capabilities, no_new_privs, seccomp, read-only root"
}
check_processes "$DEV_NS"

# ---------------------------------------------------------------- 4. admission
log "admission: a pod violating restricted is rejected"
bad_pod() {
  cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: psa-violator, namespace: $DEV_NS}
spec:
  containers:
  - name: c
    image: $REG/todo-api:$VERSION
    imagePullPolicy: Never
    securityContext: {privileged: true}
EOF
}
if out=$(bad_pod | kc apply --dry-run=server -f - 2>&1); then
  fail "a privileged pod was admitted in $DEV_NS: $out"
fi
grep -q 'violates PodSecurity "restricted' <<<"$out" || fail "the privileged pod was refused for another reason: $out"
pass "privileged pod refused: ${out:0:120}..."

# ---------------------------------------------------------------- 5. routing (Ingress)
# route_of HOST PORT SCHEME PATH -> "api" (the API's problem+json), "web" (the frontend) or the status
route_of() {
  local host=$1 port=$2 scheme=$3 path=$4 ct
  ct=$(curl -sk --max-time 10 -o /dev/null -w '%{http_code} %{content_type}' \
    --resolve "$host:$port:$CLUSTER_INGRESS_IP" "$scheme://$host:$port$path") || { echo "no-answer"; return; }
  case "$ct" in
    *application/problem+json*) echo api ;;
    *text/html*) echo web ;;
    *) echo "other($ct)" ;;
  esac
}
check_routes() { # HOST PORT SCHEME WHAT [EXTRA PATH:WANT...]
  local host=$1 port=$2 scheme=$3 what=$4 p want got; shift 4
  for p in "/api/nope:api" "/mcp/nope:api" "/apix:web" "/apix/y:web" "/nope:web" "$@"; do
    want=${p##*:}; p=${p%:*}
    got=$(route_of "$host" "$port" "$scheme" "$p")
    [[ $got == "$want" ]] || fail "$what: $p reached '$got', expected '$want'"
  done
  pass "$what: /api/..., /mcp/... $* -> as expected; /apix, /apix/y, /nope -> frontend"
}
log "routing through the Ingress (Traefik's Ingress provider)"
check_routes "$DEV_HOST" 80 http "Ingress"

# ---------------------------------------------------------------- 6. NetworkPolicies
log "NetworkPolicies, from pods (the host's root bypasses the policy agent)"
BACKEND_SVC=$RELEASE-backend FRONTEND_SVC=$RELEASE-frontend PG_SVC=$RELEASE-postgresql
probe_pod() { # NAME COMPONENT-LABEL|"" [NS]: a restricted pod with bash, never Ready (so never a Service endpoint)
  local labels="{probe: netpol}" ns=${3:-$DEV_NS}
  [[ -n $2 ]] && labels="{probe: netpol, app.kubernetes.io/name: todo-app, app.kubernetes.io/instance: $RELEASE, app.kubernetes.io/component: $2}"
  cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: $ns, labels: $labels}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: $PG_REF
    imagePullPolicy: Never
    command: [sleep, "3600"]
    readinessProbe: {exec: {command: ["false"]}, periodSeconds: 3600}
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
EOF
}
for p in "np-other:" "np-frontend:frontend" "np-backend:backend"; do
  probe_pod "${p%%:*}" "${p#*:}" | kc apply -f - >/dev/null
done
kc -n "$DEV_NS" wait --for=jsonpath='{.status.phase}'=Running pod/np-other pod/np-frontend pod/np-backend --timeout=90s >/dev/null \
  || fail "probe pods not running"
# tcp POD HOST PORT -> 0 connected, 124 timed out (dropped), else refused/other
tcp() { kc -n "${NP_NS:-$DEV_NS}" exec "$1" -- timeout 4 bash -c "exec 3<>/dev/tcp/$2/$3" >/dev/null 2>&1; }
http_ready() { # POD HOST PORT: GET /readyz answers 200
  kc -n "$DEV_NS" exec "$1" -- timeout 5 bash -c \
    "exec 3<>/dev/tcp/$2/$3 && printf 'GET /readyz HTTP/1.0\r\nHost: $2\r\n\r\n' >&3 && head -c 12 <&3" 2>/dev/null | grep -q ' 200'
}
blocked() { # POD HOST PORT: the connection attempt is dropped (times out), not refused
  local rc=0; tcp "$1" "$2" "$3" || rc=$?
  [[ $rc == 124 ]]
}
# A stand-in for the LLM provider inside the machine (pod traffic never leaves
# it): the API image listening on LLM_PORT in the namespace of the "external"
# database, where no policy applies. Only whether a connection is let through
# matters here; the chart's default llmEgress excepts private ranges, the
# staging values of this cluster allow the pod network on LLM_PORT.
LLM_PORT=8443
kc create ns "$DB_NS" --dry-run=client -o yaml | kc apply -f - >/dev/null
cat <<EOF | kc apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: llm-provider, namespace: $DB_NS, labels: {app: llm-provider}}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: $REG/todo-api:$VERSION
    imagePullPolicy: Never
    env: [{name: PORT, value: "$LLM_PORT"}, {name: DATA_DIR, value: /tmp/data}]
    readinessProbe: {tcpSocket: {port: $LLM_PORT}, periodSeconds: 2}
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: tmp, mountPath: /tmp}]
  volumes: [{name: tmp, emptyDir: {}}]
EOF
kc -n "$DB_NS" wait --for=condition=Ready pod/llm-provider --timeout=90s >/dev/null || fail "the stand-in LLM provider is not Ready"
LLM_IP=$(kc -n "$DB_NS" get pod llm-provider -o jsonpath='{.status.podIP}')
http_ready np-other "$FRONTEND_SVC" 3000 && fail "unlabelled pod reached the frontend directly (only the Ingress may)"
blocked np-other "$BACKEND_SVC" 8000 || fail "unlabelled pod was not blocked from the API"
blocked np-other "$PG_SVC" 5432 || fail "unlabelled pod was not blocked from the database"
pass "unlabelled pod: API, database and frontend unreachable (dropped)"
kc -n "$DEV_NS" exec np-frontend -- getent hosts "$BACKEND_SVC.$DEV_NS.svc.cluster.local" >/dev/null \
  || fail "DNS does not resolve for a pod under the frontend's policy"
http_ready np-frontend "$BACKEND_SVC" 8000 || fail "frontend-labelled pod cannot reach the API"
blocked np-frontend "$PG_SVC" 5432 || fail "frontend-labelled pod was not blocked from the database"
pass "frontend's policy: DNS resolves, API reachable, database blocked"
kc -n "$DEV_NS" exec np-backend -- pg_isready -h "$PG_SVC" -p 5432 -t 4 >/dev/null || fail "backend-labelled pod cannot reach the database"
blocked np-backend "$FRONTEND_SVC" 3000 || fail "backend-labelled pod was not blocked from the frontend (egress)"
blocked np-backend "$LLM_IP" "$LLM_PORT" || fail "backend-labelled pod reached a private address as its LLM provider (values.yaml excepts private ranges)"
tcp np-other "$LLM_IP" "$LLM_PORT" || fail "control: an unpoliced pod cannot reach the stand-in LLM provider"
pass "backend's policy: database reachable; frontend and an LLM provider at a private address blocked (egress)"
# Control: the same probe reaches an unpoliced target, so "blocked" above is the policy.
tcp np-other "kube-dns.kube-system.svc.cluster.local" 53 || fail "control: unlabelled pod cannot reach CoreDNS over TCP"
# Pod traffic never leaves the machine (the cluster's FORWARD rule), even from
# an unpoliced pod: the default gateway, one hop outside, is unreachable.
gw=$(ip -4 route show default | awk '{ print $3; exit }')
if [[ -n $gw ]]; then
  blocked np-other "$gw" 53 || fail "a pod reached $gw:53 outside the machine"
  kc -n "$DEV_NS" exec np-other -- getent hosts deb.debian.org >/dev/null 2>&1 && fail "a pod resolved an outside name"
  pass "no pod traffic leaves the machine (gateway $gw unreachable, outside names unresolved)"
fi
kc -n "$DEV_NS" delete pod np-other np-frontend np-backend --wait=false >/dev/null

# ---------------------------------------------------------------- 7. staging install
log "staging install (values-staging.yaml: external PostgreSQL, existingSecret, HPA, 2 replicas, TLS)"
DB_PASS=$(openssl rand -hex 16)
kc create ns "$DB_NS" --dry-run=client -o yaml | kc apply -f - >/dev/null
cat <<EOF | kc apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: postgres, namespace: $DB_NS, labels: {app: postgres}}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: postgres
    image: $PG_REF
    imagePullPolicy: Never
    env:
    - {name: POSTGRES_USER, value: todo}
    - {name: POSTGRES_PASSWORD, value: "$DB_PASS"}
    - {name: POSTGRES_DB, value: todo}
    - {name: PGDATA, value: /data/pgdata}
    ports: [{containerPort: 5432}]
    readinessProbe: {exec: {command: [pg_isready, -U, todo, -h, 127.0.0.1]}, periodSeconds: 2}
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: data, mountPath: /data}, {name: run, mountPath: /var/run/postgresql}]
  volumes: [{name: data, emptyDir: {}}, {name: run, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: $DB_NS}
spec:
  selector: {app: postgres}
  ports: [{port: 5432}]
EOF
kc -n "$DB_NS" wait --for=condition=Ready pod/postgres --timeout=120s >/dev/null || fail "external PostgreSQL not Ready"
kc create ns "$STG_NS" --dry-run=client -o yaml | kc apply -f - >/dev/null
kc -n "$STG_NS" create secret generic todo-app-secrets --dry-run=client -o yaml \
  --from-literal=DATABASE_URL="postgres://todo:$DB_PASS@postgres.$DB_NS.svc.cluster.local:5432/todo" \
  --from-literal=BETTER_AUTH_SECRET="$(openssl rand -base64 48)" | kc apply -f - >/dev/null
# What cert-manager would have issued: a certificate for the host, in the Secret the chart names.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$STG_HOST" -addext "subjectAltName=DNS:$STG_HOST" \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
kc -n "$STG_NS" create secret tls "$RELEASE-tls" --cert "$WORK/tls.crt" --key "$WORK/tls.key" --dry-run=client -o yaml \
  | kc apply -f - >/dev/null
STG_ENV=(NAMESPACE="$STG_NS" HOST="$STG_HOST" REQUIRED_SECRET_KEYS="DATABASE_URL BETTER_AUTH_SECRET"
  SMOKE_RESOLVE="$STG_HOST:443:$CLUSTER_INGRESS_IP")
env "${STG_ENV[@]}" IMAGE_TAG="$VERSION" SMOKE=1 \
  "$REPO_ROOT/scripts/deploy.sh" staging -- -f "$_CL_DATA/values-staging.yaml" 2>&1 | tee "$WORK/stg.log" >&2
((PIPESTATUS[0] == 0)) || fail "deploy.sh staging failed"
grep -q '^PASS: ' "$WORK/stg.log" || fail "the staging smoke test did not pass"
measure "staging: helm install to all pods Ready (s)" "$(rolled_out "$WORK/stg.log")" "plan < 120"
all_ready "$STG_NS"
check_admitted "$STG_NS"
measure "staging: backend create->Ready (s)" "$(max_ready "$STG_NS" backend)" "plan < 30"
measure "staging: frontend create->Ready (s)" "$(max_ready "$STG_NS" frontend)" "plan < 45"
for c in backend frontend; do
  n=$(kc -n "$STG_NS" get deploy "$RELEASE-$c" -o jsonpath='{.status.readyReplicas}')
  [[ $n == 2 ]] || fail "staging $c has $n ready replicas, expected 2"
  kc -n "$STG_NS" get hpa "$RELEASE-$c" >/dev/null 2>&1 || fail "staging $c has no HPA"
done
spec=$(kc -n "$STG_NS" get deploy "$RELEASE-backend" -o json)
jq -e '[.spec.template.spec.containers[0].env[] | select(.name == "DATABASE_URL" or .name == "BETTER_AUTH_SECRET")] | length == 0' <<<"$spec" >/dev/null \
  || fail "a secret reaches the backend as a plain environment variable"
jq -e '[.spec.template.spec.containers[0].env[] | select(.name == "DATABASE_URL_FILE")] | length == 1' <<<"$spec" >/dev/null \
  || fail "DATABASE_URL_FILE is not set"
jq -e --arg s todo-app-secrets '[.spec.template.spec.volumes[] | select(.secret.secretName == $s)] | length == 1' <<<"$spec" >/dev/null \
  || fail "the existingSecret is not mounted as a volume"
pass "staging: 2 replicas each, HPAs, existingSecret mounted as files (no secret in env), external database"
# LLM egress where the values allow it (this cluster's staging values: the pod
# network on LLM_PORT), and nowhere else. The probe pod carries the backend's
# labels (and "probe", which every later selector of backend pods excludes).
probe_pod np-backend backend "$STG_NS" | kc apply -f - >/dev/null
kc -n "$STG_NS" wait --for=jsonpath='{.status.phase}'=Running pod/np-backend --timeout=90s >/dev/null || fail "probe pod not running"
NP_NS=$STG_NS tcp np-backend "$LLM_IP" "$LLM_PORT" || fail "staging backend-labelled pod cannot reach the LLM provider its values allow"
NP_NS=$STG_NS blocked np-backend "$LLM_IP" 8000 || fail "staging backend-labelled pod reached the LLM provider's address on a port the values do not allow"
kc -n "$STG_NS" delete pod np-backend --wait=false >/dev/null
pass "staging: the LLM provider reachable on the allowed port ($LLM_IP:$LLM_PORT), another port of it blocked"

# A user for the loads.
sign_up() { # -> "user_id token" on stdout
  local email=load-$RANDOM$RANDOM@example.com body
  body=$(curl -sk --max-time 20 --resolve "$STG_HOST:443:$CLUSTER_INGRESS_IP" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$LOAD_PASS\",\"name\":\"Load\"}" "https://$STG_HOST/api/auth/sign-up")
  echo "$(jq -r .user.id <<<"$body") $(jq -r .token <<<"$body") $email"
}
LOAD_PASS="Load-$(openssl rand -hex 12)"
read -r LOAD_USER LOAD_TOKEN LOAD_EMAIL < <(sign_up)
[[ $LOAD_TOKEN != null && -n $LOAD_TOKEN ]] || fail "sign-up for the load user failed"
# While a load runs, every backend pod's log (pods come and go during the load,
# so new ones are followed as they appear) goes to OUT.backend-logs: a failed
# request's cause is in the log of a pod that may be gone by the time the
# check fails.
follow_backend_logs() { # OUT
  local seen=" " p
  while [[ ! -f $WORK/stop ]]; do
    for p in $(kc -n "$STG_NS" get pods -l "app.kubernetes.io/component=backend,app.kubernetes.io/instance=$RELEASE,!probe" \
      -o jsonpath='{.items[*].metadata.name}' 2>/dev/null); do
      [[ $seen == *" $p "* ]] && continue
      seen+="$p "
      kc -n "$STG_NS" logs -f --prefix "pod/$p" >>"$1.backend-logs" 2>/dev/null &
    done
    sleep 1
  done
  # shellcheck disable=SC2046 # one pid per word
  kill $(jobs -p) 2>/dev/null || true
}
load_start() { # OUT ARGS... (runs in the background until $WORK/stop)
  rm -f "$WORK/stop"
  "${LOAD[@]}" --addr "$CLUSTER_INGRESS_IP" --host "$STG_HOST" --tls --token "$LOAD_TOKEN" --user "$LOAD_USER" \
    --stop-file "$WORK/stop" --out "$1" "${@:2}" >"$1.log" 2>&1 &
  echo $! >"$WORK/load.pid"
  follow_backend_logs "$1" &
  echo $! >"$WORK/logs.pid"
}
load_stop() {
  touch "$WORK/stop"; wait "$(cat "$WORK/load.pid")" || true; rm -f "$WORK/load.pid"
  wait "$(cat "$WORK/logs.pid")" 2>/dev/null || true
}
# load_failures OUT: the failed requests, and the warnings and errors the backend pods logged meanwhile.
load_failures() {
  jq -c .failures "$1"
  grep -E '"level":"(WARN|ERROR)"|WARN|ERROR' "$1.backend-logs" 2>/dev/null | tail -20 >&2 || true
}

# ---------------------------------------------------------------- 8. pod deleted under load
log "a backend pod deleted under a bounded load (20 req/s of reads through the Ingress)"
load_start "$WORK/kill.json" --rate 20 --seconds 120
sleep 5
victim=$(kc -n "$STG_NS" get pods -l "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/component=backend,!probe" \
  -o jsonpath='{.items[0].metadata.name}')
before=$(kc -n "$STG_NS" get pods -l "app.kubernetes.io/component=backend,app.kubernetes.io/instance=$RELEASE,!probe" -o name | sort)
t=$(now)
kc -n "$STG_NS" delete pod "$victim" --wait=false >/dev/null
new="" end=$((SECONDS + 90))
while ((SECONDS < end)); do
  for p in $(kc -n "$STG_NS" get pods -l "app.kubernetes.io/component=backend,app.kubernetes.io/instance=$RELEASE,!probe" -o name); do
    grep -qx "$p" <<<"$before" && continue
    ip=$(kc -n "$STG_NS" get "$p" -o jsonpath='{.status.podIP}')
    # Serving: Ready, listed as a ready endpoint of the Service, and answering.
    if [[ $(kc -n "$STG_NS" get "$p" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]] \
      && kc -n "$STG_NS" get endpointslices -l "kubernetes.io/service-name=$RELEASE-backend" \
        -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}' | grep -qx "$ip" \
      && curl -sf --max-time 2 "http://$ip:8000/readyz" >/dev/null; then
      new=$p
    fi
  done
  [[ -n $new ]] && break
  sleep 0.2
done
[[ -n $new ]] || fail "no replacement backend pod served within 90 s"
recovery=$(elapsed "$t")
sleep 5
load_stop
kill_failed=$(jq .failed "$WORK/kill.json")
measure "pod deleted -> replacement serving (s)" "$recovery" "plan: restart detected < 10"
measure "pod deleted: failed requests" "$kill_failed/$(jq .requests "$WORK/kill.json")" "goal 0"
((kill_failed == 0)) || fail "requests failed while a backend pod was replaced: $(load_failures "$WORK/kill.json")"

# ---------------------------------------------------------------- 9. rolling upgrade under load
log "rolling upgrade to image tag $TAG2 under a bounded load (20 req/s, 30 % writes)"
load_start "$WORK/upgrade.json" --rate 20 --writes 0.3 --seconds 600
sleep 3
t=$(now)
env "${STG_ENV[@]}" IMAGE_TAG="$TAG2" SMOKE=0 \
  "$REPO_ROOT/scripts/deploy.sh" staging -- -f "$_CL_DATA/values-staging.yaml" 2>&1 | tee "$WORK/upg.log" >&2
((PIPESTATUS[0] == 0)) || { load_stop; fail "deploy.sh staging (upgrade) failed"; }
upgrade_s=$(elapsed "$t")
sleep 3
load_stop
for c in backend frontend; do
  img=$(kc -n "$STG_NS" get deploy "$RELEASE-$c" -o jsonpath='{.spec.template.spec.containers[0].image}')
  [[ $img == *":$TAG2@"* ]] || fail "$c was not upgraded (image $img)"
  kc -n "$STG_NS" rollout status deploy "$RELEASE-$c" --timeout=60s >/dev/null || fail "$c rollout incomplete"
done
up_failed=$(jq .failed "$WORK/upgrade.json")
acked=$(jq '.acked | length' "$WORK/upgrade.json")
measure "rolling upgrade: helm upgrade --wait (s)" "$upgrade_s"
measure "rolling upgrade: failed requests" "$up_failed/$(jq .requests "$WORK/upgrade.json")" "goal 0"
((up_failed == 0)) || fail "requests failed during the rolling upgrade: $(load_failures "$WORK/upgrade.json")"
((acked > 0)) || fail "no write was acknowledged during the upgrade"
lost=0
for id in $(jq -r '.acked[]' "$WORK/upgrade.json"); do
  code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 10 --resolve "$STG_HOST:443:$CLUSTER_INGRESS_IP" \
    -H "Authorization: Bearer $LOAD_TOKEN" "https://$STG_HOST/api/$LOAD_USER/tasks/$id")
  [[ $code == 200 ]] || { lost=$((lost + 1)); warn "acknowledged task $id: HTTP $code"; }
done
measure "rolling upgrade: acknowledged writes missing" "$lost/$acked" "goal 0"
((lost == 0)) || fail "$lost acknowledged writes are missing after the upgrade"
pass "rolling upgrade: 0 failed requests, all $acked acknowledged writes present"

# ---------------------------------------------------------------- 10. HTTPRoute (Gateway API)
log "HTTPRoute through Traefik's Gateway API provider (host $GW_HOST)"
env "${STG_ENV[@]}" IMAGE_TAG="$TAG2" SMOKE=0 \
  "$REPO_ROOT/scripts/deploy.sh" staging -- -f "$_CL_DATA/values-staging.yaml" \
  --set httpRoute.enabled=true --set "httpRoute.hostnames={$GW_HOST}" \
  --set-json 'httpRoute.parentRefs=[{"name":"web","namespace":"traefik","sectionName":"web"}]' >"$WORK/gw.log" 2>&1 \
  || { cat "$WORK/gw.log" >&2; fail "deploy.sh staging with the HTTPRoute failed"; }
_cl_wait "HTTPRoute Accepted" 60 bash -c "kubectl -n $STG_NS get httproute $RELEASE -o json | jq -e '.status.parents[0].conditions[] | select(.type == \"Accepted\" and .status == \"True\")'"
_cl_wait "the HTTPRoute serving" 30 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' --resolve $GW_HOST:80:$CLUSTER_INGRESS_IP http://$GW_HOST/api/nope) == 404 ]]"
# The Gateway API matches by path segment: /api itself is the API's, /mcpx is not.
check_routes "$GW_HOST" 80 http "HTTPRoute" "/api:api" "/mcpx:web"
SMOKE_RESOLVE="$GW_HOST:80:$CLUSTER_INGRESS_IP" "$REPO_ROOT/scripts/smoke-test.sh" "http://$GW_HOST" >&2 \
  || fail "smoke test through the HTTPRoute failed"

# ---------------------------------------------------------------- 11. HPA
log "HPA: bounded CPU load on the backend (sign-ins: Argon2 verification)"
hpa_replicas() { kc -n "$STG_NS" get deploy "$RELEASE-backend" -o jsonpath='{.status.readyReplicas}'; }
[[ $(hpa_replicas) == 2 ]] || fail "backend not at 2 ready replicas before the HPA check"
_cl_wait "CPU metrics for the backend's HPA" 90 bash -c \
  "kubectl -n $STG_NS get hpa $RELEASE-backend -o jsonpath='{.status.currentMetrics[0].resource.current.averageUtilization}' | grep -q '[0-9]'"
cat >"$WORK/signin.json" <<EOF
{"email":"$LOAD_EMAIL","password":"$LOAD_PASS"}
EOF
load_start "$WORK/hpa.json" --rate 12 --workers 6 --seconds 240 --path-post /api/auth/sign-in --body-file "$WORK/signin.json"
t=$(now) scaled=""
end=$((SECONDS + 180))
while ((SECONDS < end)); do
  [[ $(hpa_replicas) == 4 ]] && { scaled=$(elapsed "$t"); break; }
  sleep 1
done
util=$(kc -n "$STG_NS" get hpa "$RELEASE-backend" -o jsonpath='{.status.currentMetrics[0].resource.current.averageUtilization}')
load_stop
[[ -n $scaled ]] || fail "the backend did not reach 4 ready replicas within 180 s (utilisation ${util}%)"
measure "HPA: load start -> 4 ready replicas (s)" "$scaled" "plan < 60 at 70 % CPU"
measure "HPA: CPU utilisation seen (% of request)" "$util"
jq -e '.failed == 0' "$WORK/hpa.json" >/dev/null || warn "sign-ins failed under the CPU load: $(load_failures "$WORK/hpa.json")"
window=$(kc -n "$STG_NS" get hpa "$RELEASE-backend" -o jsonpath='{.spec.behavior.scaleDown.stabilizationWindowSeconds}')
[[ $window -ge 60 ]] || fail "scale-down stabilisation window is ${window}s"
sleep 45
[[ $(hpa_replicas) == 4 ]] || fail "the backend scaled down within 45 s of the load stopping (window ${window}s)"
pass "HPA: 2 -> 4 in ${scaled}s; still 4 replicas 45 s after the load stopped (stabilisation ${window}s)"

measure "whole cluster test (s)" "$(elapsed "$T_ALL")" "< 900 warm"
mv "$REPORT.tmp" "$REPORT"
log "all cluster checks passed in $(elapsed "$T_ALL") s; report: $REPORT"
