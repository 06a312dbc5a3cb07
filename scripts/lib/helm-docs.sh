# shellcheck shell=bash
# helm-docs (the chart README generator), built once with `go install` into the
# shared tool cache, like helm in scripts/lib/helm.sh.
#
#   source scripts/lib/helm-docs.sh
#   ensure_helm_docs       # sets and exports HELM_DOCS=/path/to/helm-docs
#
# Env: XDG_CACHE_HOME (cache: ${XDG_CACHE_HOME:-~/.cache}/todo-app),
#      HELM_DOCS_VERSION (default below), GOMODCACHE (default: the cache's gomod/).

HELM_DOCS_VERSION=${HELM_DOCS_VERSION:-v1.14.2}
TODO_TOOL_CACHE=${TODO_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-app}

ensure_helm_docs() {
  local bin=$TODO_TOOL_CACHE/bin
  HELM_DOCS=$bin/helm-docs
  if [ -x "$HELM_DOCS" ] && [ "$(cat "$bin/.helm-docs-version" 2>/dev/null)" = "$HELM_DOCS_VERSION" ]; then
    echo "helm-docs: reusing $HELM_DOCS ($HELM_DOCS_VERSION)" >&2
  else
    command -v go >/dev/null 2>&1 || {
      echo "ERROR: Go is needed to build helm-docs ${HELM_DOCS_VERSION}: https://go.dev/dl/" >&2
      return 1; }
    mkdir -p "$bin"
    echo "building helm-docs $HELM_DOCS_VERSION (go install; first run only)" >&2
    (cd "$TODO_TOOL_CACHE" && GOMODCACHE=${GOMODCACHE:-$TODO_TOOL_CACHE/gomod} GOFLAGS=-modcacherw GOBIN=$bin \
      go install "github.com/norwoodj/helm-docs/cmd/helm-docs@${HELM_DOCS_VERSION}") >"$TODO_TOOL_CACHE/helm-docs-build.log" 2>&1 || {
      tail -30 "$TODO_TOOL_CACHE/helm-docs-build.log" >&2
      echo "ERROR: building helm-docs failed (log: $TODO_TOOL_CACHE/helm-docs-build.log)" >&2
      return 1; }
    echo "$HELM_DOCS_VERSION" >"$bin/.helm-docs-version"
  fi
  export HELM_DOCS
}

# The chart README as helm-docs renders it from README.md.gotmpl and the
# `# --` comments of values.yaml, on stdout (nothing is written).
render_chart_readme() { # render_chart_readme CHART_DIR
  (cd "$1" && "$HELM_DOCS" --chart-search-root . --sort-values-order file --skip-version-footer \
    --dry-run --log-level warning)
}
