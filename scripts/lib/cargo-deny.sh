# shellcheck shell=bash
# cargo-deny, installed once with `cargo install --locked` into the shared tool
# cache and reused while its version matches.
#
#   source scripts/lib/cargo-deny.sh
#   ensure_cargo_deny      # sets and exports CARGO_DENY=/path/to/cargo-deny
#
# Env: XDG_CACHE_HOME (cache: ${XDG_CACHE_HOME:-~/.cache}/todo-app),
#      CARGO_DENY_VERSION (default below).

CARGO_DENY_VERSION=${CARGO_DENY_VERSION:-0.20.2}
TODO_TOOL_CACHE=${TODO_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-app}

ensure_cargo_deny() {
  CARGO_DENY=$TODO_TOOL_CACHE/bin/cargo-deny
  if [ -x "$CARGO_DENY" ] && [ "$("$CARGO_DENY" --version 2>/dev/null)" = "cargo-deny $CARGO_DENY_VERSION" ]; then
    echo "cargo-deny: reusing $CARGO_DENY ($CARGO_DENY_VERSION)" >&2
  else
    echo "building cargo-deny $CARGO_DENY_VERSION (cargo install --locked; first run only, a few minutes)" >&2
    mkdir -p "$TODO_TOOL_CACHE"
    # Outside the work tree, so the project's rust-toolchain.toml does not
    # apply; the build directory is kept so an interrupted build resumes.
    (cd "$TODO_TOOL_CACHE" && cargo install --locked --quiet --root "$TODO_TOOL_CACHE" \
      --target-dir "$TODO_TOOL_CACHE/cargo-install-target" "cargo-deny@$CARGO_DENY_VERSION") \
      >"$TODO_TOOL_CACHE/cargo-deny-build.log" 2>&1 || {
      tail -30 "$TODO_TOOL_CACHE/cargo-deny-build.log" >&2
      echo "ERROR: building cargo-deny failed (log: $TODO_TOOL_CACHE/cargo-deny-build.log)" >&2
      return 1; }
  fi
  export CARGO_DENY
}
