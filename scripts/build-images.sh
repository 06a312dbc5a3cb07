#!/usr/bin/env bash
# Build the todo-app container images (todo-api, todo-web) from
# docker/*/Dockerfile with Docker (if its daemon answers) or podman, tag them
# with the workspace version and the git revision, and print their sizes.
#
# An image whose crate is missing is an error; adding an image is one line in IMAGE_TABLE
# (scripts/lib/common.sh).
#
# Usage: scripts/build-images.sh [options] [IMAGE...]
#   IMAGE                 todo-api and/or todo-web (default: all)
#   --engine E            docker or podman (default: docker if its daemon answers, else podman)
#   --base-images MODE    auto (default): pull missing base images, and when that fails
#                         (no registry reachable) build local stand-ins with
#                         scripts/base-images.sh (podman only); always: run base-images.sh
#                         first; never: use what is there
#   --prefix PREFIX       image name prefix (default ghcr.io/todo-app/, the repositories
#                         the Helm chart uses; env IMAGE_PREFIX)
#   --push REGISTRY       also tag as REGISTRY/NAME:TAG and push (e.g. registry.example/acme)
#   --minikube            load the built images into Minikube (minikube image load)
#   --build-arg K=V       extra build argument (repeatable), e.g. RUST_TAG=...
#   --quiet               keep build logs in files, print them only on failure
#   --timings FILE        append "name seconds size_bytes image_id" lines to FILE
#
# Tags: PREFIX/NAME:VERSION (from Cargo.toml), PREFIX/NAME:REV (git short revision)
# and PREFIX/NAME:latest (local only: docker/compose.yaml uses it; not pushed).
set -Eeuo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ENGINE=""
PREFIX="${IMAGE_PREFIX-ghcr.io/todo-app/}"
BASE_MODE=auto
PUSH=""
MINIKUBE=0
QUIET=0
TIMINGS=""
EXTRA_ARGS=()
SELECTED=()
while (($#)); do
  case "$1" in
    --engine) ENGINE="$2"; shift ;;
    --base-images) BASE_MODE="$2"; shift ;;
    --prefix) PREFIX="$2"; shift ;;
    --push) PUSH="${2%/}"; shift ;;
    --minikube) MINIKUBE=1 ;;
    --build-arg) EXTRA_ARGS+=(--build-arg "$2"); shift ;;
    --quiet) QUIET=1 ;;
    --timings) TIMINGS="$2"; shift ;;
    -h|--help) sed -n '2,/^set -E/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) SELECTED+=("$1") ;;
  esac
  shift
done
case "$BASE_MODE" in auto|always|never) ;; *) die "--base-images must be auto, always or never" ;; esac

[[ -n "$ENGINE" ]] || ENGINE="$(detect_engine)"
if [[ "$ENGINE" == none ]]; then
  log "no working container engine: setting up podman"
  "$REPO_ROOT/scripts/base-images.sh" --setup-only
  ENGINE=podman
fi
command -v "$ENGINE" >/dev/null || die "container engine $ENGINE not found"

VERSION="$(cargo_version)"
[[ -n "$VERSION" ]] || die "no version in $REPO_ROOT/Cargo.toml"
REV="$(git_rev)"
REVISION="$(git_rev_full)"
CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
SOURCE_URL="$(awk -F'"' '/^repository[[:space:]]*=/ { print $2; exit }' "$REPO_ROOT/Cargo.toml")"
: "${SOURCE_URL:=https://github.com/todo-app/todo-app}"
log "engine $ENGINE, version $VERSION, revision $REV"

# ---------------------------------------------------------------- what to build
TO_BUILD=()
for row in "${IMAGE_TABLE[@]}"; do
  read -r name crate dockerfile <<<"$row"
  if ((${#SELECTED[@]})) && [[ " ${SELECTED[*]} " != *" $name "* ]]; then continue; fi
  [[ -f "$REPO_ROOT/$crate/Cargo.toml" ]] || die "$name: $crate/Cargo.toml is missing ($dockerfile builds it)"
  TO_BUILD+=("$row")
done
for s in "${SELECTED[@]}"; do
  printf '%s\n' "${IMAGE_TABLE[@]}" | grep -q "^$s " || die "unknown image $s"
done
((${#TO_BUILD[@]})) || die "nothing to build"

# ---------------------------------------------------------------- base images
base_refs() {
  local row name crate dockerfile
  for row in "${TO_BUILD[@]}"; do
    read -r name crate dockerfile <<<"$row"
    dockerfile_image "$REPO_ROOT/$dockerfile" RUST
    dockerfile_image "$REPO_ROOT/$dockerfile" RUNTIME
  done | sort -u
}
ensure_base_images() {
  local ref missing=()
  if [[ "$BASE_MODE" == always ]]; then
    [[ "$ENGINE" == podman ]] || die "--base-images always needs podman (base-images.sh builds with podman)"
    "$REPO_ROOT/scripts/base-images.sh"
    return
  fi
  [[ "$BASE_MODE" == never ]] && return
  while read -r ref; do
    "$ENGINE" image inspect "$ref" >/dev/null 2>&1 || missing+=("$ref")
  done < <(base_refs)
  ((${#missing[@]})) || return 0
  for ref in "${missing[@]}"; do
    log "pulling base image $ref"
    if ! timeout 300 "$ENGINE" pull -q "$ref" >/dev/null 2>&1; then
      warn "cannot pull $ref (no registry reachable?)"
      [[ "$ENGINE" == podman ]] \
        || die "build the stand-ins with scripts/base-images.sh (podman), then: podman save IMAGE | docker load"
      log "building local base image stand-ins"
      "$REPO_ROOT/scripts/base-images.sh"
      return
    fi
  done
}
ensure_base_images

# ---------------------------------------------------------------- build
LOGDIR="$(mktemp -d /tmp/todo-build-images.XXXXXX)"
declare -A BUILD_SECS=() IID=()
for row in "${TO_BUILD[@]}"; do
  read -r name crate dockerfile <<<"$row"
  t=$(now)
  log "building $PREFIX$name:$VERSION from $dockerfile"
  args=(build -f "$REPO_ROOT/$dockerfile"
    --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION"
    --build-arg "CREATED=$CREATED" --build-arg "SOURCE=$SOURCE_URL"
    "${EXTRA_ARGS[@]}"
    # Also as --label: podman 4.3 (buildah 1.28) reuses a cached LABEL layer
    # even when the build arguments it expands have changed.
    --label "org.opencontainers.image.version=$VERSION" --label "org.opencontainers.image.revision=$REVISION"
    --label "org.opencontainers.image.created=$CREATED" --label "org.opencontainers.image.source=$SOURCE_URL"
    -t "$PREFIX$name:$VERSION" -t "$PREFIX$name:$REV" -t "$PREFIX$name:latest")
  # The image id, not a tag, identifies what was built: another build may
  # move the tags meanwhile.
  args+=(--iidfile "$LOGDIR/$name.iid")
  # HEALTHCHECK is a Docker-format feature: podman drops it from OCI images.
  if [[ "$ENGINE" == podman ]]; then args+=(--format docker); fi
  args+=("$REPO_ROOT")
  if ((QUIET)); then
    if ! DOCKER_BUILDKIT=1 "$ENGINE" "${args[@]}" >"$LOGDIR/$name.log" 2>&1; then
      tail -n 60 "$LOGDIR/$name.log" >&2
      die "build of $name failed (full log: $LOGDIR/$name.log)"
    fi
  else
    DOCKER_BUILDKIT=1 "$ENGINE" "${args[@]}" >&2 || die "build of $name failed"
  fi
  BUILD_SECS[$name]=$(elapsed "$t")
  IID[$name]="$(cat "$LOGDIR/$name.iid")"
  log "$name built in ${BUILD_SECS[$name]}s"
done
rm -rf "$LOGDIR"

# ---------------------------------------------------------------- push / minikube
if [[ -n "$PUSH" ]]; then
  for row in "${TO_BUILD[@]}"; do
    read -r name _ _ <<<"$row"
    for tag in "$VERSION" "$REV"; do
      "$ENGINE" tag "$PREFIX$name:$VERSION" "$PUSH/$name:$tag"
      log "pushing $PUSH/$name:$tag"
      "$ENGINE" push "$PUSH/$name:$tag" >&2 || die "push of $PUSH/$name:$tag failed"
    done
  done
fi
if ((MINIKUBE)); then
  command -v minikube >/dev/null || die "--minikube: minikube not found"
  for row in "${TO_BUILD[@]}"; do
    read -r name _ _ <<<"$row"
    for tag in "$VERSION" "$REV"; do
      ref="$PREFIX$name:$tag"
      # podman stores unqualified names under localhost/
      [[ "$ENGINE" == podman && "$PREFIX" != *.*/* && "$PREFIX" != localhost/* ]] && ref="localhost/$ref"
      log "loading $ref into minikube"
      if [[ "$ENGINE" == podman ]]; then
        # minikube image load reads the docker daemon by default: hand it an archive.
        archive="$(mktemp /tmp/todo-image.XXXXXX.tar)"
        podman save -o "$archive" "$ref" >/dev/null
        minikube image load "$archive" >&2 || die "minikube image load $ref failed"
        rm -f "$archive"
      else
        minikube image load "$ref" >&2 || die "minikube image load $ref failed"
      fi
    done
  done
fi

# ---------------------------------------------------------------- report
printf '\n%-10s %-28s %10s %10s   (%s)\n' IMAGE TAGS SIZE BUILD "${PREFIX:-no prefix}" >&2
for row in "${TO_BUILD[@]}"; do
  read -r name _ _ <<<"$row"
  size=$("$ENGINE" image inspect --format '{{.Size}}' "${IID[$name]}")
  printf '%-10s %-28s %9.1fMB %9ss\n' "$name" "$VERSION, $REV" "$(awk -v s="$size" 'BEGIN{print s/1e6}')" \
    "${BUILD_SECS[$name]}" >&2
  [[ -n "$TIMINGS" ]] && echo "$name ${BUILD_SECS[$name]} $size ${IID[$name]}" >>"$TIMINGS"
done
exit 0
