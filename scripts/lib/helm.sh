# shellcheck shell=bash
# Helm for the chart scripts, built once with `go install` into the shared tool
# cache and reused by every script that sources this file (the same cache dir,
# binary and version stamp scripts/test-chart.sh uses: a helm built by either
# is reused by the other).
#
#   source scripts/lib/helm.sh
#   ensure_helm            # sets and exports HELM=/path/to/helm
#
# Env: XDG_CACHE_HOME (cache: ${XDG_CACHE_HOME:-~/.cache}/todo-app),
#      HELM_VERSION (default below), GOMODCACHE (default: the cache's gomod/).

HELM_VERSION=${HELM_VERSION:-v3.22.0}
TODO_TOOL_CACHE=${TODO_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-app}

# ensure_helm: reuse $TODO_TOOL_CACHE/bin/helm when its stamp says
# $HELM_VERSION, otherwise build it (needs Go >= 1.24; Debian's golang is too old).
ensure_helm() {
  local bin=$TODO_TOOL_CACHE/bin v
  HELM=$bin/helm
  if [ -x "$HELM" ] && [ "$(cat "$bin/.helm-version" 2>/dev/null)" = "$HELM_VERSION" ]; then
    echo "helm: reusing $HELM ($HELM_VERSION)" >&2
  else
    command -v go >/dev/null 2>&1 || {
      echo "ERROR: Go is needed to build helm ${HELM_VERSION} (Go >= 1.24; Debian's golang package is too old): https://go.dev/dl/" >&2
      return 1; }
    v=$(go env GOVERSION | sed 's/^go//')
    [ "$(printf '%s\n1.24\n' "$v" | sort -V | head -1)" = 1.24 ] || {
      echo "ERROR: Go $v is too old to build helm ${HELM_VERSION}; need >= 1.24" >&2; return 1; }
    mkdir -p "$bin"
    echo "building helm $HELM_VERSION (go install; first run only)" >&2
    (cd "$TODO_TOOL_CACHE" && GOMODCACHE=${GOMODCACHE:-$TODO_TOOL_CACHE/gomod} GOFLAGS=-modcacherw GOBIN=$bin \
      go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}") >"$TODO_TOOL_CACHE/helm-build.log" 2>&1 || {
      tail -30 "$TODO_TOOL_CACHE/helm-build.log" >&2
      echo "ERROR: building helm failed (log: $TODO_TOOL_CACHE/helm-build.log)" >&2
      return 1; }
    echo "$HELM_VERSION" >"$bin/.helm-version"
  fi
  export HELM
}
