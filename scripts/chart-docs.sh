#!/usr/bin/env bash
# Regenerate helm/todo-app/README.md from README.md.gotmpl and the `# --`
# comments in values.yaml (helm-docs), or check that it is up to date.
#
#   scripts/chart-docs.sh           write the README
#   scripts/chart-docs.sh --check   fail, showing the difference, when it is stale
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHART=$ROOT/helm/todo-app
# shellcheck source=scripts/lib/helm-docs.sh
source "$ROOT/scripts/lib/helm-docs.sh"
ensure_helm_docs

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
render_chart_readme "$CHART" >"$tmp"
case "${1:-}" in
  --check)
    diff -u "$CHART/README.md" "$tmp" >&2 \
      || { echo "ERROR: helm/todo-app/README.md is out of date: run scripts/chart-docs.sh" >&2; exit 1; }
    echo "chart README is up to date" ;;
  "") cp "$tmp" "$CHART/README.md"; echo "wrote $CHART/README.md" ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
