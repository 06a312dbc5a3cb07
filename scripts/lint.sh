#!/usr/bin/env bash
# Static checks of everything that is not Rust code, plus the dependency
# policy; part of scripts/test.sh. Installs what it needs, idempotently.
#
#   scripts/lint.sh            all of them
#   scripts/lint.sh shell      shellcheck on every shell script (zero findings)
#   scripts/lint.sh python     ruff check + ruff format --check on every Python file
#   scripts/lint.sh deny       cargo deny check (deny.toml: licenses, bans, sources)
#   scripts/lint.sh boundaries the crate dependency rules of ARCHITECTURE.md
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
source scripts/lib/python-venv.sh
source scripts/lib/cargo-deny.sh

# Tracked files whose name or first line says they are shell or Python: new
# scripts are checked without being listed here.
tracked_of() { # tracked_of sh|py
  local f first
  while IFS= read -r -d '' f; do
    [[ -f "$f" ]] || continue
    case "$1:${f##*/}" in
      sh:*.sh | py:*.py) echo "$f"; continue ;;
      *:?*.*) continue ;; # another language's extension
    esac
    IFS= read -r first <"$f" || true
    case "$1:$first" in
      sh:'#!'*bash* | sh:'#!'*/sh | sh:'#!'*' sh') echo "$f" ;;
      py:'#!'*python*) echo "$f" ;;
    esac
  done < <(git ls-files -z)
}

lint_shell() {
  ensure_cmds shellcheck:shellcheck
  local files
  mapfile -t files < <(tracked_of sh)
  ((${#files[@]})) || die "no shell scripts found (git ls-files)"
  log "shellcheck $(shellcheck --version | awk '/^version:/ { print $2 }') on ${#files[@]} shell scripts"
  # cluster-versions.sh is only pins for the scripts that source it (so its
  # variables look unused), and its bytes are the key of the cluster build
  # cache: it is checked without SC2034 rather than edited.
  local pins=scripts/lib/cluster-versions.sh others=()
  for f in "${files[@]}"; do [[ $f == "$pins" ]] || others+=("$f"); done
  shellcheck --external-sources "${others[@]}" || die "shellcheck found problems (above)"
  if [[ -f $pins ]]; then shellcheck --external-sources --exclude=SC2034 "$pins" || die "shellcheck found problems in $pins (above)"; fi
}

lint_python() {
  ensure_test_venv
  local ruff files
  ruff="$(dirname "$TODO_TEST_PYTHON")/ruff"
  mapfile -t files < <(tracked_of py)
  ((${#files[@]})) || die "no Python files found (git ls-files)"
  log "$("$ruff" --version) on ${#files[@]} Python files (ruff.toml)"
  "$ruff" check --no-cache "${files[@]}" || die "ruff check found problems (above)"
  "$ruff" format --no-cache --check "${files[@]}" || die "Python files are not formatted: run $ruff format ${files[*]}"
}

# The dependency rules of ARCHITECTURE.md ("Invariants") on the resolved graph.
lint_boundaries() {
  ensure_test_venv
  log "crate boundaries (scripts/lib/crate_boundaries.py, ARCHITECTURE.md)"
  cargo metadata --format-version 1 --locked | "$TODO_TEST_PYTHON" scripts/lib/crate_boundaries.py \
    || die "a crate depends on what ARCHITECTURE.md says it must never know (above)"
}

lint_deny() {
  # The LICENSE file states the license Cargo.toml declares for every crate.
  local declared
  declared="$(awk -F'"' '/^\[workspace.package\]/ { s = 1 } s && /^license[[:space:]]*=/ { print $2; exit }' Cargo.toml)"
  case "$declared" in
    MIT) head -n1 LICENSE | grep -qx 'MIT License' || die "Cargo.toml declares MIT but LICENSE is not the MIT License" ;;
    *) die "Cargo.toml declares license '$declared': make LICENSE match it and teach scripts/lint.sh the new id" ;;
  esac
  ensure_cargo_deny
  log "cargo deny check licenses bans sources (deny.toml)"
  "$CARGO_DENY" --locked check licenses bans sources \
    || die "cargo deny found problems (above)"
}

case "${1:-all}" in
  shell) lint_shell ;;
  python) lint_python ;;
  deny) lint_deny ;;
  boundaries) lint_boundaries ;;
  all) lint_shell; lint_python; lint_boundaries; lint_deny ;;
  *) die "usage: $0 [shell|python|deny|boundaries]" ;;
esac
