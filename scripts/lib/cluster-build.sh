# shellcheck shell=bash
# Builds the local cluster's components from the Go module proxy into a cache
# keyed by their versions (scripts/lib/cluster-versions.sh), once per machine:
#
#   source scripts/lib/common.sh scripts/lib/cluster-build.sh
#   cluster_build            # everything missing; CLUSTER_BIN has the binaries afterwards
#   cluster_build kubernetes # one group (pause etcd kubernetes coredns metrics-server knp traefik gateway-crds)
#
# A finished group leaves a stamp ($CLUSTER_CACHE/stamps/<group>, its build seconds),
# so a warm machine only checks stamps; an interrupted build resumes from Go's own
# build cache, which keeps every finished package. Logs: $CLUSTER_CACHE/logs/.
# Go caches: the module cache is the tool cache's gomod/ (shared with helm), the
# build cache Go's default; both stay outside the repository.
#
# Env: CLUSTER_BUILD_NICE (default 15: the machine is shared, builds yield to tests).

_cb_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/cluster-versions.sh
source "$_cb_here/cluster-versions.sh"

CLUSTER_BIN=$CLUSTER_CACHE/bin
CLUSTER_BUILD_NICE=${CLUSTER_BUILD_NICE:-15}
CLUSTER_GROUPS=(pause etcd kubernetes coredns metrics-server knp traefik gateway-crds)

_cb_go() {
  (cd "$1" && shift && env GOMODCACHE="$TODO_TOOL_CACHE/gomod" GOFLAGS="${_CB_GOFLAGS:--mod=mod -modcacherw -buildvcs=false}" \
    CGO_ENABLED=0 GOTOOLCHAIN=local nice -n "$CLUSTER_BUILD_NICE" go "$@")
}

# The version stamp k8s binaries need: without it /version says v0.0.0-master
# and helm's kubeVersion checks fail.
_cb_k8s_ldflags() {
  local v=$K8S_VERSION minor p ld="-s -w"
  minor=${v#v1.}; minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  echo "$ld"
}

# The wrapper go.mod: k8s.io/kubernetes plus a replace of every staging module
# (local paths upstream, so `go install` cannot build it) by its published tag.
_cb_k8s_gomod() {
  local mod sv=v0.${K8S_VERSION#v1.} m
  mod="$(_cb_go "$1" mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  [[ -f "$mod" ]] || die "cannot download k8s.io/kubernetes@$K8S_VERSION's go.mod"
  echo "module todoapp/$2"; echo
  echo "go $(awk '/^go /{print $2; exit}' "$mod")"; echo
  echo "require k8s.io/kubernetes $K8S_VERSION"; echo
  echo "replace ("
  sed -n '/^replace (/,/^)/p' "$mod" | awk '/=>/{print $1}' | while read -r m; do
    [[ " $K8S_STAGING_SKIP " == *" $m "* ]] || printf '\t%s => %s %s\n' "$m" "$m" "$sv"
  done
  echo ")"
}

_cb_pause() {
  local d=$CLUSTER_CACHE/build/pause
  mkdir -p "$d"; cp "$_cb_here/cluster/build/pause/main.go" "$d/"
  printf 'module todoapp/pause\n\ngo 1.24\n' >"$d/go.mod"
  _cb_go "$d" build -trimpath -ldflags="-s -w" -o "$CLUSTER_BIN/pause" .
}

_cb_etcd() {
  local d=$CLUSTER_CACHE/build/etcd
  mkdir -p "$d"; cp "$_cb_here/cluster/build/etcd-main.go" "$d/main.go"
  printf 'module todoapp/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >"$d/go.mod"
  _cb_go "$d" build -trimpath -ldflags="-s -w" -o "$CLUSTER_BIN/etcd" .
}

_cb_kubernetes() {
  local d=$CLUSTER_CACHE/build/kubernetes c pkgs=()
  mkdir -p "$d"
  _cb_k8s_gomod "$d" kubernetes >"$d/go.mod.new" && mv "$d/go.mod.new" "$d/go.mod"
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    pkgs+=("k8s.io/kubernetes/cmd/$c")
  done
  _cb_go "$d" build -trimpath -ldflags="$(_cb_k8s_ldflags)" -o "$CLUSTER_BIN/" "${pkgs[@]}"
}

# CoreDNS in the same module graph as Kubernetes (its k8s.io libraries resolved
# to Kubernetes' own), so Go's build cache shares every package the graphs agree
# on, and with only the plugins the cluster uses (cluster/build/coredns-main.go).
_cb_coredns() {
  local d=$CLUSTER_CACHE/build/coredns
  mkdir -p "$d/coredns"
  cp "$_cb_here/cluster/build/coredns-main.go" "$d/coredns/main.go"
  { _cb_k8s_gomod "$d" coredns
    printf '\nrequire github.com/coredns/coredns %s\n' "$COREDNS_VERSION"; } >"$d/go.mod.new" && mv "$d/go.mod.new" "$d/go.mod"
  _cb_go "$d" build -trimpath -ldflags="-s -w" -o "$CLUSTER_BIN/" ./coredns
}

# metrics-server in its own module graph, as published: built against
# Kubernetes' libraries it compiles, but panics at start ("unable to get openapi
# models ... PodMetrics"): its generated OpenAPI code predates the model names
# k8s.io/apiserver v0.37 looks up.
_cb_metrics-server() {
  _CB_GOFLAGS="-modcacherw -buildvcs=false" GOBIN=$CLUSTER_BIN _cb_go "$TODO_TOOL_CACHE" install -trimpath \
    -ldflags="-s -w" "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION"
}

# kube-network-policies with the patch in cluster/build/knp: this kernel lacks
# nftables' queue expression (CONFIG_NFT_QUEUE), so packets are queued with the
# xtables NFQUEUE target inside its nftables table; and SIGTERM (what the kubelet
# sends) removes the table as SIGINT does, so a stopped agent blocks nothing.
_cb_knp() {
  local d=$CLUSTER_CACHE/build/knp src
  src="$(_cb_go "$CLUSTER_CACHE" mod download -json "sigs.k8s.io/kube-network-policies@$KNP_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  [[ -d "$src" ]] || die "cannot download kube-network-policies@$KNP_VERSION"
  rm -rf "$d"; mkdir -p "$(dirname "$d")"; cp -r "$src" "$d"; chmod -R u+w "$d"
  patch -s -p1 -d "$d" <"$_cb_here/cluster/build/knp/knp-xt-nfqueue.patch"
  _cb_go "$d" build -trimpath -ldflags="-s -w" -o "$CLUSTER_BIN/kube-network-policies" ./cmd/
}

# Traefik through a wrapper module (its go.mod has replace directives) with three
# local stand-ins for modules the proxy refuses (see cluster/build/traefik-wrapper).
_cb_traefik() {
  local d=$CLUSTER_CACHE/build/traefik w=$_cb_here/cluster/build/traefik-wrapper dir
  rm -rf "$d"; mkdir -p "$d"; cp -r "$w/ext" "$d/"
  cat >"$d/go.mod" <<EOF
module todoapp/traefik

go 1.26.0

require (
	github.com/traefik/traefik/v3 $TRAEFIK_VERSION
	github.com/traefik/traefik/dynamic/ext v0.0.0-00010101000000-000000000000
)

// The nested module is neither in the v3 zip nor on the proxy: a stub with upstream's four empty types.
replace github.com/traefik/traefik/dynamic/ext => ./ext

// As traefik's own go.mod.
replace github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59

exclude github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible

// traefik's go-http-auth fork is not served: upstream $GO_HTTP_AUTH_VERSION plus the two functions the fork adds.
replace github.com/abbot/go-http-auth => ./go-http-auth

// lego without the 13 DNS providers whose SDKs the proxy refuses (only ACME DNS-01 for them is lost).
replace github.com/go-acme/lego/v5 => ./lego-v5
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/traefik/traefik/v3/cmd/traefik"\n' >"$d/tools.go"
  dir="$(_cb_go "$d" mod download -json "github.com/go-acme/lego/v5@$LEGO_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  cp -r "$dir" "$d/lego-v5"; chmod -R u+w "$d/lego-v5"
  patch -s -p0 "$d/lego-v5/providers/dns/zz_gen_dns_providers.go" <"$w/lego-v5.4.1-drop-403-providers.patch"
  dir="$(_cb_go "$d" mod download -json "github.com/abbot/go-http-auth@$GO_HTTP_AUTH_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  cp -r "$dir" "$d/go-http-auth"; chmod -R u+w "$d/go-http-auth"; rm -rf "$d/go-http-auth/examples"
  cp "$w/go-http-auth-compat/"* "$d/go-http-auth/"
  _cb_go "$d" build -trimpath \
    -ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    -o "$CLUSTER_BIN/traefik" github.com/traefik/traefik/v3/cmd/traefik
}

_cb_gateway-crds() {
  local dir
  dir="$(_cb_go "$CLUSTER_CACHE" mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  [[ -d "$dir/config/crd/standard" ]] || die "no CRDs in sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"
  rm -rf "$CLUSTER_CACHE/gateway-crds"; mkdir -p "$CLUSTER_CACHE/gateway-crds"
  cp "$dir"/config/crd/standard/*.yaml "$CLUSTER_CACHE/gateway-crds/"
}

# cluster_build [GROUP...]: builds every group without a stamp.
cluster_build() {
  local g t groups=("$@")
  ((${#groups[@]})) || groups=("${CLUSTER_GROUPS[@]}")
  command -v go >/dev/null 2>&1 || die "Go >= 1.26 is needed to build the cluster (https://go.dev/dl/)"
  ensure_cmds patch:patch
  mkdir -p "$CLUSTER_BIN" "$CLUSTER_CACHE/stamps" "$CLUSTER_CACHE/logs"
  for g in "${groups[@]}"; do
    [[ -f "$CLUSTER_CACHE/stamps/$g" ]] && continue
    log "building $g (cache $CLUSTER_CACHE; log logs/build-$g.log)"
    t=$(now)
    "_cb_$g" >"$CLUSTER_CACHE/logs/build-$g.log" 2>&1 || {
      tail -25 "$CLUSTER_CACHE/logs/build-$g.log" >&2; die "building $g failed (log: $CLUSTER_CACHE/logs/build-$g.log)"; }
    elapsed "$t" >"$CLUSTER_CACHE/stamps/$g"
    log "built $g in $(cat "$CLUSTER_CACHE/stamps/$g") s"
  done
}

# The build time of each group (seconds, as measured when it was built).
cluster_build_times() {
  local g
  for g in "${CLUSTER_GROUPS[@]}"; do
    printf '%-14s %s\n' "$g" "$(cat "$CLUSTER_CACHE/stamps/$g" 2>/dev/null || echo -)"
  done
}
