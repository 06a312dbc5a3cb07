#!/usr/bin/env bash
# Deploy todo-app on Minikube with the development values (in-cluster PostgreSQL).
#
#   scripts/deploy-minikube.sh [--no-build] [--smoke] [--tag TAG] [-- HELM_ARGS...]
#
#   --no-build   reuse the images of the previous run (its tag is remembered, or pass --tag)
#   --smoke      run scripts/smoke-test.sh against the Ingress afterwards
#   --tag TAG    image tag (default: dev-<git rev>-<UTC timestamp>, unique per run
#                so every build rolls the pods)
#   HELM_ARGS    extra arguments for helm upgrade, e.g. --set llm.provider=openai
#
# Environment: MINIKUBE_PROFILE (default todo-app), NAMESPACE (default todo-app),
# RELEASE (default todo-app), HOST (default todo.local), MINIKUBE_START_ARGS
# (extra `minikube start` flags, e.g. "--driver=docker --memory=6g").
#
# Steps: start Minikube if needed (Calico CNI, so NetworkPolicies are enforced);
# enable the ingress and metrics-server add-ons (metric resolution 15 s so the
# HPA reacts within a minute); build both images inside Minikube with a unique
# tag; label the namespace for Pod Security "restricted"; helm upgrade --install
# --wait; helm test; print the URL and the timings.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHART=$ROOT/helm/todo-app
PROFILE=${MINIKUBE_PROFILE:-todo-app}
NAMESPACE=${NAMESPACE:-todo-app}
RELEASE=${RELEASE:-todo-app}
HOST=${HOST:-todo.local}
TAG_FILE=${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/minikube-tag-$PROFILE
BUILD=1 SMOKE=0 TAG=""
HELM_ARGS=()

die() { echo "ERROR: $*" >&2; exit 1; }
log() { printf '\n==> %s\n' "$*"; }
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --smoke) SMOKE=1 ;;
    --tag) TAG=${2:?--tag needs a value}; shift ;;
    --) shift; HELM_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done

command -v minikube >/dev/null || die "minikube is required: https://minikube.sigs.k8s.io/docs/start/"
HELM=${HELM:-$(command -v helm || echo "${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/bin/helm")}
[ -x "$HELM" ] || die "helm is required: https://helm.sh/docs/intro/install/ (or run scripts/test-chart.sh, which builds one)"
if command -v kubectl >/dev/null; then KUBECTL=(kubectl --context "$PROFILE"); else KUBECTL=(minikube -p "$PROFILE" kubectl --); fi
T0=$EPOCHREALTIME

# ---------------------------------------------------------------- cluster
log "Minikube profile $PROFILE"
if minikube -p "$PROFILE" status --format '{{.APIServer}}' 2>/dev/null | grep -q Running; then
  echo "already running"
else
  # Calico enforces NetworkPolicies (the default CNI ignores them).
  # shellcheck disable=SC2086 # MINIKUBE_START_ARGS is a list of flags
  minikube start -p "$PROFILE" --cni=calico --cpus=2 --memory=4g \
    --extra-config=controller-manager.horizontal-pod-autoscaler-sync-period=15s \
    ${MINIKUBE_START_ARGS:-}
fi
minikube -p "$PROFILE" addons enable ingress >/dev/null
minikube -p "$PROFILE" addons enable metrics-server >/dev/null
# Metrics every 15 s instead of 60 s, so CPU load reaches the HPA within a minute.
if ! "${KUBECTL[@]}" -n kube-system get deployment metrics-server -o jsonpath='{.spec.template.spec.containers[0].args}' | grep -q -- '--metric-resolution=15s'; then
  "${KUBECTL[@]}" -n kube-system patch deployment metrics-server --type=json \
    -p '[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--metric-resolution=15s"}]'
fi
"${KUBECTL[@]}" -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=180s
echo "cluster ready after $(secs "$T0")s"

# ---------------------------------------------------------------- images
if [ -z "$TAG" ]; then
  if [ "$BUILD" = 1 ]; then
    TAG="dev-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo norev)-$(date -u +%Y%m%d%H%M%S)"
  else
    TAG=$(cat "$TAG_FILE" 2>/dev/null) || die "--no-build: no previous tag in $TAG_FILE; pass --tag"
  fi
fi
if [ "$BUILD" = 1 ]; then
  log "building images into Minikube with tag $TAG"
  TB=$EPOCHREALTIME
  if minikube -p "$PROFILE" docker-env >/dev/null 2>&1; then
    # Docker runtime: build straight into Minikube's daemon with the project's build script.
    eval "$(minikube -p "$PROFILE" docker-env --shell bash)"
    "$ROOT/scripts/build-images.sh" --engine docker --prefix ghcr.io/todo-app/ --quiet todo-api todo-web
    version=$(awk -F'"' '/^version[[:space:]]*=/ { print $2; exit }' "$ROOT/Cargo.toml")
    for name in todo-api todo-web; do
      docker tag "ghcr.io/todo-app/$name:$version" "ghcr.io/todo-app/$name:$TAG"
    done
    eval "$(minikube -p "$PROFILE" docker-env --shell bash --unset)"
  else
    # containerd / CRI-O runtime: let Minikube build.
    minikube -p "$PROFILE" image build -t "ghcr.io/todo-app/todo-api:$TAG" -f docker/backend/Dockerfile "$ROOT"
    minikube -p "$PROFILE" image build -t "ghcr.io/todo-app/todo-web:$TAG" -f docker/frontend/Dockerfile "$ROOT"
  fi
  mkdir -p "$(dirname "$TAG_FILE")" && echo "$TAG" > "$TAG_FILE"
  echo "images built in $(secs "$TB")s"
fi

# ---------------------------------------------------------------- install
log "helm upgrade --install $RELEASE (namespace $NAMESPACE)"
"${KUBECTL[@]}" create namespace "$NAMESPACE" --dry-run=client -o yaml | "${KUBECTL[@]}" apply -f - >/dev/null
# Enforce the Pod Security Standards the chart claims to meet.
"${KUBECTL[@]}" label namespace "$NAMESPACE" --overwrite \
  pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted >/dev/null
TI=$EPOCHREALTIME
"$HELM" upgrade --install "$RELEASE" "$CHART" \
  --kube-context "$PROFILE" --namespace "$NAMESPACE" \
  --set-string backend.image.tag="$TAG" --set-string frontend.image.tag="$TAG" \
  --set-string ingress.host="$HOST" \
  --wait --timeout 5m "${HELM_ARGS[@]}"
echo "helm install/upgrade (to all pods ready) took $(secs "$TI")s"

log "helm test"
TT=$EPOCHREALTIME
if ! "$HELM" test "$RELEASE" --kube-context "$PROFILE" --namespace "$NAMESPACE" --timeout 2m; then
  case $RELEASE in *todo-app*) fullname=$RELEASE ;; *) fullname=$RELEASE-todo-app ;; esac
  "${KUBECTL[@]}" -n "$NAMESPACE" logs "job/$fullname-test" --all-containers || true
  "${KUBECTL[@]}" -n "$NAMESPACE" get pods -o wide
  die "helm test failed"
fi
echo "helm test took $(secs "$TT")s"

# ---------------------------------------------------------------- result
IP=$(minikube -p "$PROFILE" ip)
URL="http://$HOST"
"${KUBECTL[@]}" -n "$NAMESPACE" get pods -l "app.kubernetes.io/instance=$RELEASE" -o wide
if [ "$SMOKE" = 1 ]; then
  log "smoke test"
  SMOKE_RESOLVE="$HOST:80:$IP" "$ROOT/scripts/smoke-test.sh" "$URL"
fi

cat <<EOF

todo-app is running: $URL   (image tag $TAG, total $(secs "$T0")s)

  Reach it by name:   echo "$IP $HOST" | sudo tee -a /etc/hosts
  or without /etc/hosts:  curl --resolve $HOST:80:$IP $URL/healthz
  (Docker driver on macOS/Windows: run 'minikube -p $PROFILE tunnel' and use 127.0.0.1 instead of $IP.)

  Smoke test:  SMOKE_RESOLVE=$HOST:80:$IP scripts/smoke-test.sh $URL
  Pods:        kubectl --context $PROFILE -n $NAMESPACE get pods
  Autoscaling: helm upgrade $RELEASE helm/todo-app --kube-context $PROFILE -n $NAMESPACE --reuse-values --set backend.autoscaling.enabled=true
EOF
