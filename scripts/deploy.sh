#!/usr/bin/env bash
# Deploy todo-app to staging or production with helm/todo-app/values-ENV.yaml
# (layered on values-deployed.yaml, which both environments share), or a
# development install with values.yaml alone.
#
#   scripts/deploy.sh ENV [--dry-run] [-- HELM_ARGS...]
#
#   ENV         staging | production | development (values.yaml only: in-cluster
#               PostgreSQL, generated secrets, plain HTTP; no existingSecret)
#   --dry-run   render with the same inputs (helm template) and stop
#   HELM_ARGS   extra helm arguments, e.g. -f my-overrides.yaml
#
# Required environment:
#   KUBE_CONTEXT     kubectl context to deploy to (never the current one implicitly)
#   HOST             public host name, e.g. todo.example.com
# Optional:
#   NAMESPACE        default todo-app (production) / todo-app-staging (staging) /
#                    todo-app-dev (development)
#   RELEASE          default todo-app
#   EXISTING_SECRET  Secret with DATABASE_URL, BETTER_AUTH_SECRET, OPENAI_API_KEY
#                    (default todo-app-secrets); see docs/deployment.md
#   IMAGE_REGISTRY   default ghcr.io/todo-app (images REGISTRY/todo-api, REGISTRY/todo-web)
#   IMAGE_TAG        default: the version in Cargo.toml
#   BACKEND_DIGEST, FRONTEND_DIGEST
#                    sha256:... of the pushed images; resolved from the tag with
#                    crane, skopeo, regctl or docker buildx when not given
#   REQUIRED_SECRET_KEYS  keys the preflight insists on (default
#                    "DATABASE_URL BETTER_AUTH_SECRET OPENAI_API_KEY"; drop OPENAI_API_KEY
#                    with llm.provider=builtin or ollama)
#   KUBE_VERSION     Kubernetes version for --dry-run rendering (default 1.37.0)
#   SMOKE            1 = run scripts/smoke-test.sh https://HOST (http:// for
#                    development) afterwards (default 1 for staging and
#                    development, 0 for production: it creates a user)
#
# The upgrade is atomic: if the pods do not become ready within the timeout,
# Helm rolls back to the previous release. `helm test` runs afterwards.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHART=$ROOT/helm/todo-app
die() { echo "ERROR: $*" >&2; exit 1; }
log() { printf '\n==> %s\n' "$*"; }
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

[ $# -ge 1 ] || { usage; exit 2; }
ENV=$1; shift
case "$ENV" in
  staging) NAMESPACE=${NAMESPACE:-todo-app-staging}; SMOKE=${SMOKE:-1} ;;
  production) NAMESPACE=${NAMESPACE:-todo-app}; SMOKE=${SMOKE:-0} ;;
  development) NAMESPACE=${NAMESPACE:-todo-app-dev}; SMOKE=${SMOKE:-1} ;;
  -h|--help) usage; exit 0 ;;
  *) die "ENV must be staging, production or development (got '$ENV')" ;;
esac
DRY_RUN=0
HELM_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --) shift; HELM_ARGS=("$@"); break ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done

RELEASE=${RELEASE:-todo-app}
SCHEME=$([ "$ENV" = development ] && echo http || echo https)
EXISTING_SECRET=${EXISTING_SECRET:-todo-app-secrets}
IMAGE_REGISTRY=${IMAGE_REGISTRY:-ghcr.io/todo-app}
IMAGE_REGISTRY=${IMAGE_REGISTRY%/}
IMAGE_TAG=${IMAGE_TAG:-$(awk -F'"' '/^version[[:space:]]*=/ { print $2; exit }' "$ROOT/Cargo.toml")}
[ -n "${HOST:-}" ] || die "set HOST to the public host name, e.g. HOST=todo.example.com"
[ -n "$IMAGE_TAG" ] || die "set IMAGE_TAG"
HELM=${HELM:-$(command -v helm || echo "${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/bin/helm")}
[ -x "$HELM" ] || die "helm is required: https://helm.sh/docs/intro/install/"

# resolve_digest IMAGE_REF -> sha256:...
resolve_digest() {
  local ref=$1 d=""
  if command -v crane >/dev/null; then d=$(crane digest "$ref")
  elif command -v skopeo >/dev/null; then d=$(skopeo inspect --format '{{.Digest}}' "docker://$ref")
  elif command -v regctl >/dev/null; then d=$(regctl image digest "$ref")
  elif command -v docker >/dev/null && docker buildx version >/dev/null 2>&1; then
    d=$(docker buildx imagetools inspect "$ref" --format '{{json .Manifest.Digest}}' | tr -d '"')
  else
    die "cannot resolve the digest of $ref: install crane, skopeo or regctl, or set BACKEND_DIGEST/FRONTEND_DIGEST"
  fi
  [[ "$d" =~ ^sha256:[0-9a-f]{64}$ ]] || die "no digest for $ref (got '$d'): was the image pushed?"
  echo "$d"
}

log "images $IMAGE_REGISTRY/{todo-api,todo-web}:$IMAGE_TAG"
BACKEND_DIGEST=${BACKEND_DIGEST:-$(resolve_digest "$IMAGE_REGISTRY/todo-api:$IMAGE_TAG")}
FRONTEND_DIGEST=${FRONTEND_DIGEST:-$(resolve_digest "$IMAGE_REGISTRY/todo-web:$IMAGE_TAG")}
echo "  todo-api@$BACKEND_DIGEST"
echo "  todo-web@$FRONTEND_DIGEST"

# The environment's small file layers on what staging and production share.
VALUES=()
[ "$ENV" = development ] || VALUES+=(
  -f "$CHART/values-deployed.yaml"
  -f "$CHART/values-$ENV.yaml"
  --set-string "secrets.existingSecret=$EXISTING_SECRET"
)
VALUES+=(
  --set-string "ingress.host=$HOST"
  --set-string "backend.image.repository=$IMAGE_REGISTRY/todo-api"
  --set-string "backend.image.tag=$IMAGE_TAG"
  --set-string "backend.image.digest=$BACKEND_DIGEST"
  --set-string "frontend.image.repository=$IMAGE_REGISTRY/todo-web"
  --set-string "frontend.image.tag=$IMAGE_TAG"
  --set-string "frontend.image.digest=$FRONTEND_DIGEST"
)

if [ "$DRY_RUN" = 1 ]; then
  log "dry run: helm template"
  "$HELM" template "$RELEASE" "$CHART" --namespace "$NAMESPACE" --kube-version "${KUBE_VERSION:-1.37.0}" \
    "${VALUES[@]}" "${HELM_ARGS[@]}"
  exit 0
fi

[ -n "${KUBE_CONTEXT:-}" ] || die "set KUBE_CONTEXT to the kubectl context of the $ENV cluster (kubectl config get-contexts)"
command -v kubectl >/dev/null || die "kubectl is required"
K=(kubectl --context "$KUBE_CONTEXT")

log "preflight ($KUBE_CONTEXT, namespace $NAMESPACE)"
"${K[@]}" get namespace "$NAMESPACE" >/dev/null 2>&1 || {
  "${K[@]}" create namespace "$NAMESPACE"
}
"${K[@]}" label namespace "$NAMESPACE" --overwrite \
  pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted >/dev/null
if [ "$ENV" != development ]; then
# shellcheck disable=SC2016 # a Go template, not shell
keys=$("${K[@]}" -n "$NAMESPACE" get secret "$EXISTING_SECRET" -o go-template='{{range $k, $v := .data}}{{$k}} {{end}}' 2>/dev/null) \
  || die "Secret $NAMESPACE/$EXISTING_SECRET not found. Create it first, e.g.:
  kubectl --context $KUBE_CONTEXT -n $NAMESPACE create secret generic $EXISTING_SECRET \\
    --from-literal=DATABASE_URL='postgres://USER:PASSWORD@HOST/DB?sslmode=require' \\
    --from-literal=BETTER_AUTH_SECRET=\"\$(openssl rand -base64 48)\" \\
    --from-literal=OPENAI_API_KEY='sk-...'
(see docs/deployment.md)"
for k in ${REQUIRED_SECRET_KEYS:-DATABASE_URL BETTER_AUTH_SECRET OPENAI_API_KEY}; do
  [[ " $keys " == *" $k "* ]] || die "Secret $EXISTING_SECRET has no key $k (it has: $keys)"
done
echo "  Secret $EXISTING_SECRET has the keys the backend needs"
fi

log "helm upgrade --install $RELEASE ($ENV)"
T0=$EPOCHREALTIME
"$HELM" upgrade --install "$RELEASE" "$CHART" \
  --kube-context "$KUBE_CONTEXT" --namespace "$NAMESPACE" \
  "${VALUES[@]}" \
  --atomic --wait --timeout 10m --history-max 10 \
  "${HELM_ARGS[@]}"
echo "rolled out in $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"

log "helm test"
"$HELM" test "$RELEASE" --kube-context "$KUBE_CONTEXT" --namespace "$NAMESPACE" --timeout 3m \
  || die "helm test failed; roll back with: helm rollback $RELEASE --kube-context $KUBE_CONTEXT -n $NAMESPACE"

if [ "$SMOKE" = 1 ]; then
  log "smoke test"
  SMOKE_INSECURE=$([ "$ENV" = staging ] && echo 1 || echo 0) "$ROOT/scripts/smoke-test.sh" "$SCHEME://$HOST"
fi
"$HELM" history "$RELEASE" --kube-context "$KUBE_CONTEXT" --namespace "$NAMESPACE" --max 5
echo "deployed $ENV: $SCHEME://$HOST"
