# shellcheck shell=bash
# Shared helpers for the container scripts (base-images.sh, build-images.sh,
# test-images.sh). Source it; it defines functions and REPO_ROOT only.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Seconds since the epoch with millisecond precision, for timings.
now() { date +%s.%N; }
# elapsed START -> "12.3" seconds since START.
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

_c() { if [[ -t 2 ]]; then printf '\033[%sm' "$1"; fi; }
log()  { printf '%s==> %s%s\n' "$(_c '1;34')" "$*" "$(_c 0)" >&2; }
warn() { printf '%s!!! %s%s\n' "$(_c '1;33')" "$*" "$(_c 0)" >&2; }
die()  { printf '%sFAIL: %s%s\n' "$(_c '1;31')" "$*" "$(_c 0)" >&2; exit 1; }

# Run "apt-get install" for the packages whose command is missing.
# usage: ensure_cmds cmd:package [cmd:package ...]
ensure_cmds() {
  local pair cmd pkg missing=()
  for pair in "$@"; do
    cmd="${pair%%:*}"; pkg="${pair#*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: install them (needs root)"
  log "installing ${missing[*]} from apt"
  # Under one lock: test.sh's background builds (cluster, llama-server) install
  # their tools while the foreground steps install theirs, and a second apt-get
  # fails at once on dpkg's lock instead of waiting.
  (
    flock 8
    if [[ -z "${_APT_UPDATED:-}" ]]; then
      apt-get update -qq || { echo "apt-get update failed" >&2; exit 1; }
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends \
      "${missing[@]}" >/dev/null
  ) 8>/var/lock/todo-app-apt.lock || die "apt-get install ${missing[*]} failed"
  _APT_UPDATED=1
}

# The workspace version from the root Cargo.toml ([workspace.package] or [package]).
cargo_version() {
  awk -F'"' '
    /^\[/ { sect = $0 }
    (sect == "[workspace.package]" || sect == "[package]") && /^version[[:space:]]*=/ { print $2; exit }
  ' "$REPO_ROOT/Cargo.toml"
}

git_rev() { git -C "$REPO_ROOT" rev-parse --short=7 HEAD 2>/dev/null || echo unknown; }
git_rev_full() { git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null || echo unknown; }

# A container engine that actually works: docker only if its daemon answers,
# otherwise podman. Honour CONTAINER_ENGINE=docker|podman.
detect_engine() {
  if [[ -n "${CONTAINER_ENGINE:-}" ]]; then echo "$CONTAINER_ENGINE"; return; fi
  if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
    echo docker
  elif command -v podman >/dev/null 2>&1; then
    echo podman
  else
    echo none
  fi
}

# Default value of an ARG in a Dockerfile: dockerfile_arg FILE NAME
dockerfile_arg() {
  sed -n "s/^ARG $2=\"\{0,1\}\([^\"]*\)\"\{0,1\}[[:space:]]*$/\1/p" "$1" | head -n1
}

# Base image reference of a Dockerfile from its ARG pair NAME_IMAGE/NAME_TAG:
# dockerfile_image FILE RUST -> docker.io/library/rust:1.95-slim-bookworm
dockerfile_image() {
  local img tag
  img="$(dockerfile_arg "$1" "$2_IMAGE")"; tag="$(dockerfile_arg "$1" "$2_TAG")"
  [[ -n "$img" && -n "$tag" ]] && echo "$img:$tag"
}

# The images this repository can build: "name crate dockerfile" per line.
# An image whose crate does not exist yet is reported by the callers, not hidden.
# shellcheck disable=SC2034 # used by the scripts that source this file
IMAGE_TABLE=(
  "todo-api crates/todo-api docker/backend/Dockerfile"
  "todo-web crates/todo-web docker/frontend/Dockerfile"
)

# What podman 4.3 needs beyond the bare package, which Debian installs only as
# recommendations (our scripts install with --no-install-recommends):
# - netavark and aardvark-dns: without them podman falls back to CNI without
#   name resolution, and containers cannot find each other by name;
# - catatonit: "podman kube play" builds its local pause image from it and
#   fails with 'finding pause binary' without it.
# Installs what is missing and selects netavark with a drop-in; idempotent.
ensure_podman_runtime() {
  command -v podman >/dev/null 2>&1 || return 0
  if [[ ! -x /usr/lib/podman/netavark || ! -x /usr/lib/podman/aardvark-dns ]]; then
    ensure_cmds "netavark-installed-marker:netavark" "aardvark-installed-marker:aardvark-dns"
  fi
  ensure_cmds catatonit:catatonit
  local dropin=/etc/containers/containers.conf.d/50-todo-app-netavark.conf
  if [[ "$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null)" != netavark && ! -f "$dropin" ]]; then
    mkdir -p "$(dirname "$dropin")"
    printf '[network]\nnetwork_backend = "netavark"\n' >"$dropin"
  fi
  # The bridge podman's CNI backend made before the switch keeps podman's
  # default subnet (10.88.0.0/16) and its route, so netavark's own bridge for
  # that subnet gets no traffic. Nothing can use it once netavark is the
  # backend; remove it only then, and only while it is down.
  if [[ "$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null)" == netavark ]] \
    && ip -br link show cni-podman0 2>/dev/null | grep -q DOWN; then
    ip link delete cni-podman0 2>/dev/null || true
  fi
}
