# shellcheck shell=bash
# Every version the local Kubernetes cluster (scripts/cluster.sh) is built from,
# in one place. Changing any of them changes CLUSTER_KEY, so the next run builds
# into a fresh cache folder instead of mixing binaries of two versions.
#
#   source scripts/lib/cluster-versions.sh

K8S_VERSION=v1.37.2                 # kube-apiserver, -controller-manager, -scheduler, kubelet, kube-proxy, kubectl
ETCD_VERSION=v3.6.16                # go.etcd.io/etcd/server/v3 (apiserver wants >= 3.5.13)
COREDNS_VERSION=v1.15.0             # github.com/coredns/coredns
METRICS_SERVER_VERSION=v0.8.0       # sigs.k8s.io/metrics-server
TRAEFIK_VERSION=v3.7.13             # github.com/traefik/traefik/v3 (Ingress + Gateway API controller)
LEGO_VERSION=v5.4.1                 # traefik's ACME library, rebuilt without 13 refused DNS SDKs
GO_HTTP_AUTH_VERSION=v0.4.0         # github.com/abbot/go-http-auth, stand-in for traefik's fork
GATEWAY_API_VERSION=v1.6.3          # sigs.k8s.io/gateway-api CRDs (config/crd/standard)
KNP_VERSION=v0.8.0                  # sigs.k8s.io/kube-network-policies (+ scripts/lib/cluster/knp patch)
PAUSE_TAG=3.10                      # registry.k8s.io/pause:<tag>, containerd's sandbox_image (built here)

# The staging modules k8s.io/kubernetes replaces with local paths, which the
# wrapper module replaces with their published v0.X.Y tags instead. These two
# are not served by the proxy and nothing needs them.
K8S_STAGING_SKIP="k8s.io/sample-cli-plugin k8s.io/sample-controller"

# The cache key: these pins, the build inputs (scripts/lib/cluster/build: patches,
# stand-ins) and the Go version.
_cluster_key() {
  local here="${BASH_SOURCE[0]%/*}"
  { cat "$here/cluster-versions.sh"
    find "$here/cluster/build" -type f -print0 | sort -z | xargs -0 cat
    go env GOVERSION 2>/dev/null; } | sha256sum | cut -c1-12
}
TODO_TOOL_CACHE=${TODO_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-app}
CLUSTER_KEY=${CLUSTER_KEY:-k8s-${K8S_VERSION}-$(_cluster_key)}
CLUSTER_CACHE=${CLUSTER_CACHE:-$TODO_TOOL_CACHE/k8s/$CLUSTER_KEY}
