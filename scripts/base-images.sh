#!/usr/bin/env bash
# Build local stand-ins for the upstream base images our Dockerfiles use, for
# machines (and air-gapped sites) that reach no container registry. The
# Dockerfiles do not change: the stand-ins carry the upstream names, so
# `FROM docker.io/library/rust:1.95-slim-bookworm` resolves to the local image.
#
#   debian      docker.io/library/debian:bookworm-slim   debootstrap minbase, trimmed
#   rust        docker.io/library/rust:<X.Y>-slim-bookworm  debian + gcc/libc6-dev + host rustup toolchain
#   distroless  gcr.io/distroless/cc-debian12:nonroot    libc6/libgcc-s1/ca-certificates/tzdata/netbase, no shell
#   postgres    docker.io/library/postgres:15-bookworm   Debian's postgresql-15 behind an official-like entrypoint
#
# Idempotent: installs podman/buildah/runc/debootstrap if missing, writes
# /etc/containers/containers.conf (runc, no default ulimits) when it lacks
# that, and builds only the images that are missing (or all with --force).
#
# Usage: scripts/base-images.sh [options]
#   --force              rebuild the selected images even if present
#   --only LIST          comma-separated subset of: debian,rust,distroless,postgres
#   --ca-cert FILE       add this CA certificate (PEM) to the images; repeatable
#   --no-host-ca         do not add the host's /usr/local/share/ca-certificates/*.crt
#                        (added by default: they are what a TLS-intercepting proxy needs)
#   --mirror URL         Debian mirror (default http://deb.debian.org/debian)
#   --rust-image REF     tag for the Rust builder (default: ARG RUST_IMAGE:RUST_TAG of docker/backend/Dockerfile)
#   --runtime-image REF  tag for the runtime (default: ARG RUNTIME_IMAGE:RUNTIME_TAG of docker/backend/Dockerfile)
#   --postgres-image REF tag for PostgreSQL (default docker.io/library/postgres:15-bookworm)
#   --setup-only         only install the tools and write containers.conf
set -Eeuo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

FORCE=0
ONLY="debian,rust,distroless,postgres"
HOST_CA=1
CA_CERTS=()
MIRROR="http://deb.debian.org/debian"
SUITE=bookworm
DEBIAN_IMAGE="docker.io/library/debian:bookworm-slim"
RUST_IMAGE="$(dockerfile_image "$REPO_ROOT/docker/backend/Dockerfile" RUST)"
RUNTIME_IMAGE="$(dockerfile_image "$REPO_ROOT/docker/backend/Dockerfile" RUNTIME)"
POSTGRES_IMAGE="docker.io/library/postgres:15-bookworm"
SETUP_ONLY=0

while (($#)); do
  case "$1" in
    --force) FORCE=1 ;;
    --only) ONLY="$2"; shift ;;
    --ca-cert) CA_CERTS+=("$2"); shift ;;
    --no-host-ca) HOST_CA=0 ;;
    --mirror) MIRROR="$2"; shift ;;
    --rust-image) RUST_IMAGE="$2"; shift ;;
    --runtime-image) RUNTIME_IMAGE="$2"; shift ;;
    --postgres-image) POSTGRES_IMAGE="$2"; shift ;;
    --setup-only) SETUP_ONLY=1 ;;
    -h|--help) sed -n '2,/^set -E/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
: "${RUST_IMAGE:=docker.io/library/rust:1.95-slim-bookworm}"
: "${RUNTIME_IMAGE:=gcr.io/distroless/cc-debian12:nonroot}"

if ((HOST_CA)); then
  while IFS= read -r -d '' f; do CA_CERTS+=("$f"); done \
    < <(find /usr/local/share/ca-certificates -name '*.crt' -type f -print0 2>/dev/null | sort -z)
fi
for f in "${CA_CERTS[@]}"; do
  [[ -r "$f" ]] || die "CA certificate $f is not readable"
  grep -q 'BEGIN CERTIFICATE' "$f" || die "CA certificate $f is not PEM"
done

T_ALL=$(now)

# ---------------------------------------------------------------- tools
setup_tools() {
  ensure_cmds podman:podman buildah:buildah runc:runc debootstrap:debootstrap
  ensure_podman_runtime
  local conf=/etc/containers/containers.conf
  if ! grep -qs '^[[:space:]]*runtime[[:space:]]*=[[:space:]]*"runc"' "$conf"; then
    # crun fails on this kind of machine (cgroup hybrid mode) and raising
    # rlimits is not permitted, so: runc and no default ulimits.
    mkdir -p /etc/containers
    [[ -e "$conf" ]] && cp "$conf" "$conf.bak.$(date +%s)"
    cat >"$conf" <<'CONF'
# Written by todo-app scripts/base-images.sh
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
    log "wrote $conf (runtime runc, no default ulimits)"
  fi
}
setup_tools
((SETUP_ONLY)) && exit 0

want() { [[ ",$ONLY," == *",$1,"* ]]; }
image_id() { podman image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
# After a --force rebuild, drop the image the tag used to name (if unused).
drop_old() { if [[ -n "$2" && "$2" != "$(image_id "$1")" ]]; then podman rmi "$2" >/dev/null 2>&1 || true; fi; }
have() { podman image exists "$1"; }
need() { want "$1" && { ((FORCE)) || ! have "$2"; }; }

WORK="$(mktemp -d /var/tmp/todo-base-images.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# Copy the extra CA certificates into DIR (as NN-name.crt).
stage_certs() {
  local dir="$1" i=0 f
  mkdir -p "$dir"
  for f in "${CA_CERTS[@]}"; do
    i=$((i + 1))
    cp "$f" "$dir/$(printf '%02d' "$i")-$(basename "${f%.crt}").crt"
  done
}

# ---------------------------------------------------------------- debian
build_debian() {
  local t old; t=$(now); old="$(image_id "$DEBIAN_IMAGE")"
  local root="$WORK/debian-rootfs"
  log "debian: debootstrap --variant=minbase $SUITE ($MIRROR)"
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }

  # Keep later installs slim, like the official -slim images.
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/apt/apt.conf.d"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::GzipIndexes "true";
CFG
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  if ((${#CA_CERTS[@]})); then
    stage_certs "$root/usr/local/share/ca-certificates"
    chroot "$root" update-ca-certificates >/dev/null
  fi
  # Trim: docs, man pages, locales, apt lists and caches, logs.
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/{man,info,groff,lintian,linda}/* "$root"/var/lib/apt/lists/* \
    "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old "$root"/var/log/* \
    "$root"/etc/hostname "$root"/etc/resolv.conf
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true

  tar -C "$root" -c --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' . \
    | podman import --quiet \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$root"
  drop_old "$DEBIAN_IMAGE" "$old"
  log "debian: built in $(elapsed "$t")s"
}

# ---------------------------------------------------------------- rust
# The toolchain whose version matches the tag the Dockerfile pins (X.Y[.Z]).
find_toolchain() {
  local want_ver="$1" d v
  for d in "${RUSTUP_HOME:-$HOME/.rustup}"/toolchains/*/; do
    [[ -x "$d/bin/rustc" && -x "$d/bin/cargo" ]] || continue
    v="$("$d/bin/rustc" --version 2>/dev/null | awk '{print $2}')"
    [[ "$v" == *-* ]] && continue # nightly/beta
    if [[ "$v" == "$want_ver" || "$v" == "$want_ver".* ]]; then
      echo "${d%/} $v"
      return 0
    fi
  done
  return 1
}

build_rust() {
  local t old; t=$(now); old="$(image_id "$RUST_IMAGE")"
  local tag_ver="${RUST_IMAGE##*:}"; tag_ver="${tag_ver%%-*}"
  local found tc ver
  found="$(find_toolchain "$tag_ver")" || die "rust: no installed stable rustup toolchain matches $RUST_IMAGE (version $tag_ver); install one or pass --rust-image"
  tc="${found% *}"; ver="${found#* }"
  log "rust: $RUST_IMAGE from $tc (rustc $ver)"
  local ctx="$WORK/rust"
  mkdir -p "$ctx"
  # Hard links make the 600 MB context free when on the same filesystem.
  cp -al "$tc/bin" "$tc/lib" "$ctx/" 2>/dev/null || cp -a "$tc/bin" "$tc/lib" "$ctx/"
  rm -rf "$ctx/lib/rustlib/src" "$ctx/bin/rust-gdb" "$ctx/bin/rust-gdbgui" "$ctx/bin/rust-lldb"
  podman build --pull=never --format docker --layers=false -q \
    -f "$REPO_ROOT/docker/base/rust.Containerfile" \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --build-arg "RUST_VERSION=$ver" \
    -t "$RUST_IMAGE" "$ctx" >"$WORK/rust.log" 2>&1 || { tail -n 30 "$WORK/rust.log" >&2; return 1; }
  rm -rf "$ctx"
  drop_old "$RUST_IMAGE" "$old"
  log "rust: built in $(elapsed "$t")s"
}

# ---------------------------------------------------------------- distroless
DISTROLESS_PKGS=(libc6 libgcc-s1 ca-certificates tzdata netbase base-files)
build_distroless() {
  local t old; t=$(now); old="$(image_id "$RUNTIME_IMAGE")"
  local d="$WORK/distroless" root="$WORK/distroless/root"
  mkdir -p "$d/debs" "$root"
  log "distroless: $RUNTIME_IMAGE from ${DISTROLESS_PKGS[*]}"
  # Download the bookworm packages: with the host's apt when the host is
  # bookworm, else inside the Debian stand-in.
  if grep -qs "VERSION_CODENAME=$SUITE" /etc/os-release; then
    (cd "$d/debs" && apt-get download "${DISTROLESS_PKGS[@]}" >/dev/null 2>&1) || {
      apt-get update -qq && (cd "$d/debs" && apt-get download "${DISTROLESS_PKGS[@]}" >/dev/null 2>&1)
    } || return 1
  else
    podman run --rm --pull=never -v "$d/debs:/out" "$DEBIAN_IMAGE" \
      sh -c "apt-get update -qq && cd /out && apt-get download ${DISTROLESS_PKGS[*]}" >/dev/null || return 1
  fi
  mkdir -p "$root/var/lib/dpkg/status.d"
  local deb name
  for deb in "$d"/debs/*.deb; do
    dpkg-deb -x "$deb" "$root"
    name="$(dpkg-deb -f "$deb" Package)"
    dpkg-deb -f "$deb" >"$root/var/lib/dpkg/status.d/$name" # for image scanners
  done
  # usr-merge
  local dir
  for dir in bin sbin lib lib64; do
    if [[ -d "$root/$dir" && ! -L "$root/$dir" ]]; then
      mkdir -p "$root/usr/$dir"
      cp -a "$root/$dir/." "$root/usr/$dir/"
      rm -rf "${root:?}/$dir"
    fi
    [[ -e "$root/usr/$dir" ]] && ln -sfn "usr/$dir" "$root/$dir"
  done
  # Trim what a distroless runtime does not carry.
  rm -rf "$root"/usr/share/{doc,man,info,lintian,locale} "$root"/usr/lib/x86_64-linux-gnu/gconv \
    "$root"/usr/sbin/update-ca-certificates "$root"/etc/ca-certificates "$root"/usr/share/ca-certificates.tmp
  # CA bundle: Mozilla's plus the extra ones.
  mkdir -p "$root/etc/ssl/certs"
  {
    find "$root/usr/share/ca-certificates" -name '*.crt' -type f | sort | xargs cat
    for f in "${CA_CERTS[@]}"; do cat "$f"; echo; done
  } >"$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root/usr/share/ca-certificates"
  # Users, groups and the few files a glibc program expects.
  cat >"$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PW
  cat >"$root/etc/group" <<'GR'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
GR
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
  echo 'include /etc/ld.so.conf.d/*.conf' >"$root/etc/ld.so.conf"
  mkdir -p "$root/tmp" "$root/root" "$root/home/nonroot"
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root" "$root/home/nonroot"
  chown 65532:65532 "$root/home/nonroot"
  ldconfig -r "$root"
  tar -C "$root" -c --numeric-owner . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'USER 65532:65532' --change 'WORKDIR /home/nonroot' \
    - "$RUNTIME_IMAGE" >/dev/null
  rm -rf "$d"
  drop_old "$RUNTIME_IMAGE" "$old"
  log "distroless: built in $(elapsed "$t")s"
}

# ---------------------------------------------------------------- postgres
build_postgres() {
  local t old; t=$(now); old="$(image_id "$POSTGRES_IMAGE")"
  log "postgres: $POSTGRES_IMAGE from Debian's postgresql-15"
  podman build --pull=never --format docker --layers=false -q \
    -f "$REPO_ROOT/docker/base/postgres.Containerfile" \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" \
    -t "$POSTGRES_IMAGE" "$REPO_ROOT/docker/base" >"$WORK/postgres.log" 2>&1 \
    || { tail -n 30 "$WORK/postgres.log" >&2; return 1; }
  drop_old "$POSTGRES_IMAGE" "$old"
  log "postgres: built in $(elapsed "$t")s"
}

# ---------------------------------------------------------------- run
# The distroless runtime needs no Debian image: build it alongside debootstrap.
pids=()
names=()
if need distroless "$RUNTIME_IMAGE"; then
  build_distroless &
  pids+=($!); names+=(distroless)
fi
if need rust "$RUST_IMAGE" || need postgres "$POSTGRES_IMAGE" || need debian "$DEBIAN_IMAGE"; then
  if ((FORCE)) && want debian || ! have "$DEBIAN_IMAGE"; then
    build_debian
  fi
fi
if need rust "$RUST_IMAGE"; then
  build_rust &
  pids+=($!); names+=(rust)
fi
if need postgres "$POSTGRES_IMAGE"; then
  build_postgres &
  pids+=($!); names+=(postgres)
fi
fail=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    warn "${names[$i]} stand-in failed"
    fail=1
  fi
done
((fail)) && die "some base images could not be built"

printf '%-12s %-48s %8s  %s\n' IMAGE TAG SIZE CREATED >&2
for pair in "debian $DEBIAN_IMAGE" "rust $RUST_IMAGE" "distroless $RUNTIME_IMAGE" "postgres $POSTGRES_IMAGE"; do
  n="${pair%% *}"; ref="${pair#* }"
  want "$n" || continue
  have "$ref" || die "$n: $ref missing after build"
  printf '%-12s %-48s %8s  %s\n' "$n" "$ref" \
    "$(podman image inspect --format '{{.Size}}' "$ref" | awk '{printf "%.0fMB", $1/1e6}')" \
    "$(podman image inspect --format '{{.Created}}' "$ref" | cut -d. -f1)" >&2
done
log "base images ready in $(elapsed "$T_ALL")s"
