#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, built from upstream sources, for
# scripts/test-cluster.sh (and for trying the chart by hand).
#
#   scripts/cluster.sh build        build the components into the version-keyed cache
#   scripts/cluster.sh up           build if needed, start everything, wait for node Ready
#   scripts/cluster.sh status       what runs, the node, the add-ons
#   scripts/cluster.sh kubeconfig   print the admin kubeconfig's path
#   scripts/cluster.sh down         stop everything and restore the host as it was
#   scripts/cluster.sh times        cold build time of each component group
#
# What runs: etcd, containerd (Debian's, own root, state, socket and config),
# kube-apiserver (PodSecurity admission; the app namespaces enforce "restricted"),
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy (iptables mode) as
# host processes; CoreDNS, metrics-server, Traefik (Ingress and Gateway API) and
# kube-network-policies as pods. Versions: scripts/lib/cluster-versions.sh.
#
# Host changes, all undone by `down` (recorded in $CLUSTER_ROOT/host-state):
# the bridge $CLUSTER_BRIDGE ($CLUSTER_NODE_IP/24), one filter chain TODO-K8S-FWD
# jumped to from FORWARD (pods may talk to each other and to this machine, never
# beyond it), the KUBE-* chains kube-proxy and kubelet create (only those that did
# not exist before `up`), the nftables table of the policy agent, the sysctls the
# kubelet changes, mounts and cgroups under the cluster's own paths. podman's
# CNI-*/NETAVARK* chains and bridges are never touched.
#
# Env: CLUSTER_ROOT (state, default /var/lib/todo-app-cluster), CLUSTER_BRIDGE
# (todok8s0), CLUSTER_NET (10.244.0; the node is .1), and the cache variables of
# scripts/lib/cluster-build.sh. Needs root.
set -Eeuo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/cluster-build.sh
source "$REPO_ROOT/scripts/lib/cluster-build.sh"
# shellcheck source=scripts/lib/cluster-lib.sh
source "$REPO_ROOT/scripts/lib/cluster-lib.sh"

cmd=${1:-}
case "$cmd" in
  build)
    # shellcheck disable=SC2119 # cluster_build takes no arguments from the command line
    cluster_build
    cluster_build_times
    ;;
  up) cluster_up ;;
  down) cluster_down ;;
  status) cluster_status ;;
  kubeconfig) echo "$CLUSTER_KUBECONFIG" ;;
  times) cluster_build_times ;;
  -h|--help|"") sed -n '2,/^set -E/p' "$0" | sed '$d; s/^# \{0,1\}//'; [[ -n "$cmd" ]] ;;
  *) die "unknown command $cmd (see --help)" ;;
esac
