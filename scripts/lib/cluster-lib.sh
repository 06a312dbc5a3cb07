# shellcheck shell=bash
# The local cluster's start, stop and status (scripts/cluster.sh is the command;
# scripts/test-cluster.sh sources this for the paths and helpers). Source after
# common.sh and cluster-build.sh.

CLUSTER_ROOT=${CLUSTER_ROOT:-/var/lib/todo-app-cluster}
CLUSTER_BRIDGE=${CLUSTER_BRIDGE:-todok8s0}
CLUSTER_NET=${CLUSTER_NET:-10.244.0}
CLUSTER_NODE_IP=$CLUSTER_NET.1
CLUSTER_POD_CIDR=$CLUSTER_NET.0/24
CLUSTER_SVC_CIDR=${CLUSTER_SVC_CIDR:-10.96.0.0/16}
CLUSTER_API_SVC_IP=10.96.0.1
CLUSTER_DNS_IP=10.96.0.10
# Traefik's Service: a fixed ClusterIP, so the host reaches the Ingress at a known
# address (http :80, https :443) without a NodePort or a host port.
CLUSTER_INGRESS_IP=10.96.0.80
CLUSTER_NODE=todo-node
CLUSTER_API_PORT=${CLUSTER_API_PORT:-6443}
CLUSTER_ETCD_PORT=${CLUSTER_ETCD_PORT:-23790}
CLUSTER_PKI=$CLUSTER_ROOT/pki
CLUSTER_KUBECONFIG=$CLUSTER_PKI/admin.kubeconfig
CLUSTER_CTRD_SOCK=$CLUSTER_ROOT/containerd/containerd.sock
CLUSTER_LOGS=$CLUSTER_ROOT/logs
CLUSTER_RUN=$CLUSTER_ROOT/run
CLUSTER_FWD_CHAIN=TODO-K8S-FWD
# Host processes, in start order (down stops them in reverse).
CLUSTER_PROCS=(etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
# Sysctls the kubelet (protectKernelDefaults=false) and kube-proxy may change.
CLUSTER_SYSCTLS=(net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet)
_CL_DATA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cluster"

# shellcheck disable=SC2153 # CLUSTER_BIN comes from cluster-build.sh, sourced first
kc() { "$CLUSTER_BIN/kubectl" --kubeconfig "$CLUSTER_KUBECONFIG" "$@"; }
ctrd() { ctr --address "$CLUSTER_CTRD_SOCK" -n k8s.io "$@"; }

# ---------------------------------------------------------------- PKI
_cl_cert() { # name CN O sans [ca]
  local n=$1 cn=$2 o=$3 sans=$4 ca=${5:-ca} p=$CLUSTER_PKI
  openssl req -newkey rsa:2048 -nodes -keyout "$p/$n.key" -out "$p/$n.csr" -subj "/CN=$cn${o:+/O=$o}" 2>/dev/null
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n "$sans" ]]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$sans"
    else echo "extendedKeyUsage=clientAuth"; fi; } >"$p/$n.ext"
  openssl x509 -req -in "$p/$n.csr" -CA "$p/$ca.crt" -CAkey "$p/$ca.key" -CAcreateserial \
    -out "$p/$n.crt" -days 3650 -extfile "$p/$n.ext" 2>/dev/null
  rm -f "$p/$n.csr" "$p/$n.ext"
}
_cl_kubeconfig() { # name
  cat >"$CLUSTER_PKI/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: todo-local
  cluster:
    certificate-authority: $CLUSTER_PKI/ca.crt
    server: https://$CLUSTER_NODE_IP:$CLUSTER_API_PORT
users:
- name: $1
  user:
    client-certificate: $CLUSTER_PKI/$1.crt
    client-key: $CLUSTER_PKI/$1.key
contexts:
- name: todo-local
  context: {cluster: todo-local, user: $1}
current-context: todo-local
EOF
}
# Everything with plain openssl: a CA, the apiserver's serving certificate, one
# client certificate per component, the service-account key pair and the
# front-proxy CA the aggregated metrics API needs. Generated once per CLUSTER_ROOT.
_cl_pki() {
  [[ -f $CLUSTER_PKI/admin.kubeconfig ]] && return 0
  local p=$CLUSTER_PKI
  mkdir -p "$p"; chmod 700 "$p"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$p/ca.key" -out "$p/ca.crt" -days 3650 -subj "/CN=todo-local-ca" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$p/front-proxy-ca.key" -out "$p/front-proxy-ca.crt" -days 3650 -subj "/CN=front-proxy-ca" 2>/dev/null
  _cl_cert apiserver kube-apiserver "" "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,DNS:$CLUSTER_NODE,IP:127.0.0.1,IP:$CLUSTER_API_SVC_IP,IP:$CLUSTER_NODE_IP"
  _cl_cert admin kubernetes-admin system:masters ""
  _cl_cert controller-manager system:kube-controller-manager "" ""
  _cl_cert scheduler system:kube-scheduler "" ""
  _cl_cert kubelet "system:node:$CLUSTER_NODE" system:nodes ""
  _cl_cert kube-proxy system:kube-proxy "" ""
  _cl_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters ""
  _cl_cert front-proxy-client front-proxy-client "" "" front-proxy-ca
  openssl genrsa -out "$p/sa.key" 2048 2>/dev/null; openssl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
  local n; for n in admin controller-manager scheduler kubelet kube-proxy; do _cl_kubeconfig "$n"; done
}

# ---------------------------------------------------------------- configs
_cl_render() { # template -> stdout, with the @NAME@ placeholders filled
  sed -e "s|@ROOT@|$CLUSTER_ROOT|g" -e "s|@NODE_IP@|$CLUSTER_NODE_IP|g" -e "s|@NODE@|$CLUSTER_NODE|g" \
    -e "s|@BRIDGE@|$CLUSTER_BRIDGE|g" -e "s|@POD_CIDR@|$CLUSTER_POD_CIDR|g" -e "s|@DNS_IP@|$CLUSTER_DNS_IP|g" \
    -e "s|@INGRESS_IP@|$CLUSTER_INGRESS_IP|g" -e "s|@PAUSE_TAG@|$PAUSE_TAG|g" \
    -e "s|@COREDNS_VERSION@|$COREDNS_VERSION|g" -e "s|@METRICS_SERVER_VERSION@|$METRICS_SERVER_VERSION|g" \
    -e "s|@TRAEFIK_VERSION@|$TRAEFIK_VERSION|g" -e "s|@KNP_VERSION@|$KNP_VERSION|g" "$1"
}
_cl_configs() {
  mkdir -p "$CLUSTER_ROOT/etc/cni" "$CLUSTER_ROOT/containerd" "$CLUSTER_LOGS" "$CLUSTER_RUN" "$CLUSTER_ROOT/pv/pv1" "$CLUSTER_ROOT/pv/pv2"
  # The development PostgreSQL (uid 999) creates its data directory inside.
  chmod 0777 "$CLUSTER_ROOT/pv/pv1" "$CLUSTER_ROOT/pv/pv2"
  local f
  for f in containerd.toml kubelet.yaml kube-proxy.yaml resolv.conf; do
    _cl_render "$_CL_DATA/$f" >"$CLUSTER_ROOT/etc/$f"
  done
  _cl_render "$_CL_DATA/cni.conflist" >"$CLUSTER_ROOT/etc/cni/10-todo-k8s.conflist"
}

# ---------------------------------------------------------------- images
# The add-ons' images: each binary in a scratch image, built by podman, saved,
# imported into the cluster's containerd and removed from podman again.
_cl_image_tar() { # name tag binary [user]
  local name=$1 tag=$2 bin=$3 user=${4:-} tar=$CLUSTER_CACHE/images/${1//\//_}-$2.tar ctx
  [[ -s $tar ]] && { echo "$tar"; return 0; }
  mkdir -p "$CLUSTER_CACHE/images"
  ctx=$(mktemp -d); cp "$CLUSTER_BIN/$bin" "$ctx/"
  { echo "FROM scratch"; echo "COPY $bin /$bin"; [[ -n $user ]] && echo "USER $user"; echo "ENTRYPOINT [\"/$bin\"]"; } >"$ctx/Containerfile"
  podman build -q -t "$name:$tag" -f "$ctx/Containerfile" "$ctx" >/dev/null || die "podman build $name failed"
  if ! { podman save -q -o "$tar.tmp" "$name:$tag" && mv "$tar.tmp" "$tar"; }; then die "podman save $name failed"; fi
  podman rmi -f "$name:$tag" >/dev/null 2>&1 || true
  rm -rf "$ctx"
  echo "$tar"
}
cluster_import_tar() { ctrd images import --no-unpack=false "$1" >/dev/null || die "ctr images import $1 failed"; }
_cl_images() {
  local t
  t=$(_cl_image_tar registry.k8s.io/pause "$PAUSE_TAG" pause 65535:65535); cluster_import_tar "$t"
  t=$(_cl_image_tar localhost/todo-k8s/coredns "$COREDNS_VERSION" coredns); cluster_import_tar "$t"
  t=$(_cl_image_tar localhost/todo-k8s/metrics-server "$METRICS_SERVER_VERSION" metrics-server 65534:65534); cluster_import_tar "$t"
  t=$(_cl_image_tar localhost/todo-k8s/traefik "$TRAEFIK_VERSION" traefik 65532:65532); cluster_import_tar "$t"
  t=$(_cl_image_tar localhost/todo-k8s/kube-network-policies "$KNP_VERSION" kube-network-policies); cluster_import_tar "$t"
}

# ---------------------------------------------------------------- host state
_cl_state() { echo "$1" >>"$CLUSTER_ROOT/host-state"; }
_cl_kube_chains() { # table -> the KUBE-* chains of iptables TABLE
  iptables-save -t "$1" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p' | sort
}
_cl_net_up() {
  local s t
  if [[ ! -f $CLUSTER_ROOT/host-state ]]; then
    : >"$CLUSTER_ROOT/host-state"
    for s in "${CLUSTER_SYSCTLS[@]}"; do _cl_state "sysctl $s $(sysctl -n "$s" 2>/dev/null)"; done
    for t in filter nat mangle raw; do
      for s in $(_cl_kube_chains "$t"); do _cl_state "kube-chain-before $t $s"; done
    done
    [[ -d /var/lib/kubelet ]] && _cl_state "existed /var/lib/kubelet"
    [[ -d /run/containerd ]] && _cl_state "existed /run/containerd"
    nft list tables 2>/dev/null | while read -r _ fam name; do _cl_state "nft-table-before $fam $name"; done
  fi
  if ! ip link show "$CLUSTER_BRIDGE" >/dev/null 2>&1; then
    ip -4 route | grep -q "^$CLUSTER_NET\." && die "$CLUSTER_POD_CIDR is already routed here; set CLUSTER_NET"
    ip link add "$CLUSTER_BRIDGE" type bridge
    _cl_state "bridge $CLUSTER_BRIDGE"
  fi
  ip addr show "$CLUSTER_BRIDGE" | grep -q "$CLUSTER_NODE_IP/24" || ip addr add "$CLUSTER_NODE_IP/24" dev "$CLUSTER_BRIDGE"
  ip link set "$CLUSTER_BRIDGE" up
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
  # Pods may reach each other (bridge to bridge) and this machine (INPUT), and
  # nothing beyond it: every forwarded packet from the bridge to another
  # interface is dropped, first in FORWARD, before podman's or kube's chains.
  iptables -N "$CLUSTER_FWD_CHAIN" 2>/dev/null || true
  iptables -F "$CLUSTER_FWD_CHAIN"
  iptables -A "$CLUSTER_FWD_CHAIN" -i "$CLUSTER_BRIDGE" ! -o "$CLUSTER_BRIDGE" -j DROP
  iptables -C FORWARD -j "$CLUSTER_FWD_CHAIN" 2>/dev/null || iptables -I FORWARD 1 -j "$CLUSTER_FWD_CHAIN"
  # Service addresses never leave through the default route either: the host's
  # packets to them are DNATed by kube-proxy after this route was chosen, and
  # an address kube-proxy does not know dies on the bridge (no blackhole route:
  # it would refuse the connection before kube-proxy's rules see it).
  ip route replace "$CLUSTER_SVC_CIDR" dev "$CLUSTER_BRIDGE" src "$CLUSTER_NODE_IP"
}

_cl_net_down() {
  local t c r
  if [[ -x $CLUSTER_BIN/kube-proxy ]]; then "$CLUSTER_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  # The KUBE-* chains that were not there before `up`: first the jumps from the
  # built-in chains into them, then their rules, then the chains.
  for t in filter nat mangle raw; do
    local mine=()
    for c in $(_cl_kube_chains "$t"); do
      grep -qx "kube-chain-before $t $c" "$CLUSTER_ROOT/host-state" 2>/dev/null || mine+=("$c")
    done
    ((${#mine[@]})) || continue
    for c in "${mine[@]}"; do
      { iptables-save -t "$t" | grep -E "^-A [A-Z]+ .*-j $c( |\$)" || true; } | while read -r r; do
        # shellcheck disable=SC2086 # the saved rule is a word list
        iptables -t "$t" ${r/-A/-D} 2>/dev/null || true
      done
    done
    for c in "${mine[@]}"; do iptables -t "$t" -F "$c" 2>/dev/null || true; done
    for c in "${mine[@]}"; do iptables -t "$t" -X "$c" 2>/dev/null || true; done
  done
  ip6tables-save 2>/dev/null | grep -q ':KUBE-' && for t in filter nat mangle; do
    for c in $(ip6tables-save -t "$t" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p'); do
      { ip6tables-save -t "$t" | grep -E "^-A [A-Z]+ .*-j $c( |\$)" || true; } | while read -r r; do
        # shellcheck disable=SC2086
        ip6tables -t "$t" ${r/-A/-D} 2>/dev/null || true; done
      ip6tables -t "$t" -F "$c" 2>/dev/null || true
    done
    for c in $(ip6tables-save -t "$t" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p'); do ip6tables -t "$t" -X "$c" 2>/dev/null || true; done
  done
  while iptables -D FORWARD -j "$CLUSTER_FWD_CHAIN" 2>/dev/null; do :; done
  if iptables -F "$CLUSTER_FWD_CHAIN" 2>/dev/null; then iptables -X "$CLUSTER_FWD_CHAIN" 2>/dev/null || true; fi
  ip route del "$CLUSTER_SVC_CIDR" dev "$CLUSTER_BRIDGE" 2>/dev/null || true
  # The policy agent removes its table on SIGTERM; if it was killed, this does.
  if command -v nft >/dev/null && nft list table inet kube-network-policies >/dev/null 2>&1; then
    nft delete table inet kube-network-policies
  fi
  if grep -qx "bridge $CLUSTER_BRIDGE" "$CLUSTER_ROOT/host-state" 2>/dev/null; then ip link del "$CLUSTER_BRIDGE" 2>/dev/null || true; fi
  # iptables-nft made tables (ip mangle, ip6 filter, ...) for the kubelet's
  # chains: the ones that were not there before and hold no rule now go too.
  local fam name
  nft list tables 2>/dev/null | while read -r _ fam name; do
    grep -qx "nft-table-before $fam $name" "$CLUSTER_ROOT/host-state" 2>/dev/null && continue
    grep -q '^[[:space:]]*\(meta\|ip\|iif\|oif\|counter\|jump\|tcp\|udp\|ct\|xt\)' < <(nft list table "$fam" "$name" 2>/dev/null) && continue
    nft delete table "$fam" "$name" 2>/dev/null || true
  done
}

# Sysctls back to their value before `up`, each only if it still has the value
# the cluster set (so a change someone else made meanwhile stays).
_cl_sysctls_restore() {
  local _ name before now
  [[ -f $CLUSTER_ROOT/host-state ]] || return 0
  while read -r _ name before; do
    [[ -n $before ]] || continue
    now=$(sysctl -n "$name" 2>/dev/null) || continue
    [[ $now == "$before" ]] && continue
    case $name in
      # podman's networks need forwarding, and it was on when they were made.
      net.ipv4.ip_forward|net.bridge.*) ip -br link | grep -q -e podman -e netavark && continue ;;
    esac
    sysctl -qw "$name=$before" || warn "could not restore $name=$before"
  done < <(grep '^sysctl ' "$CLUSTER_ROOT/host-state")
}

# ---------------------------------------------------------------- processes
_cl_pid() { cat "$CLUSTER_RUN/$1.pid" 2>/dev/null; }
_cl_running() { local p; p=$(_cl_pid "$1") && [[ -n $p ]] && kill -0 "$p" 2>/dev/null; }
_cl_cmd() {
  local b=$CLUSTER_BIN p=$CLUSTER_PKI r=$CLUSTER_ROOT
  case $1 in
    etcd) echo "$b/etcd --name todo-local --data-dir $r/etcd
      --listen-client-urls http://127.0.0.1:$CLUSTER_ETCD_PORT --advertise-client-urls http://127.0.0.1:$CLUSTER_ETCD_PORT
      --listen-peer-urls http://127.0.0.1:$((CLUSTER_ETCD_PORT + 1)) --initial-advertise-peer-urls http://127.0.0.1:$((CLUSTER_ETCD_PORT + 1))
      --initial-cluster todo-local=http://127.0.0.1:$((CLUSTER_ETCD_PORT + 1)) --listen-metrics-urls http://127.0.0.1:$((CLUSTER_ETCD_PORT + 2))
      --quota-backend-bytes 2147483648 --unsafe-no-fsync" ;;
    containerd) echo "/usr/bin/containerd --config $r/etc/containerd.toml" ;;
    kube-apiserver) echo "$b/kube-apiserver --etcd-servers=http://127.0.0.1:$CLUSTER_ETCD_PORT
      --advertise-address=$CLUSTER_NODE_IP --bind-address=$CLUSTER_NODE_IP --secure-port=$CLUSTER_API_PORT
      --service-cluster-ip-range=$CLUSTER_SVC_CIDR --allow-privileged=true
      --client-ca-file=$p/ca.crt --tls-cert-file=$p/apiserver.crt --tls-private-key-file=$p/apiserver.key
      --kubelet-client-certificate=$p/apiserver-kubelet-client.crt --kubelet-client-key=$p/apiserver-kubelet-client.key
      --kubelet-preferred-address-types=InternalIP
      --service-account-issuer=https://kubernetes.default.svc.cluster.local
      --service-account-key-file=$p/sa.pub --service-account-signing-key-file=$p/sa.key
      --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction,PodSecurity
      --requestheader-client-ca-file=$p/front-proxy-ca.crt --requestheader-allowed-names=front-proxy-client
      --requestheader-extra-headers-prefix=X-Remote-Extra- --requestheader-group-headers=X-Remote-Group
      --requestheader-username-headers=X-Remote-User
      --proxy-client-cert-file=$p/front-proxy-client.crt --proxy-client-key-file=$p/front-proxy-client.key
      --enable-aggregator-routing=true" ;;
    kube-controller-manager) echo "$b/kube-controller-manager --kubeconfig=$p/controller-manager.kubeconfig
      --authentication-kubeconfig=$p/controller-manager.kubeconfig --authorization-kubeconfig=$p/controller-manager.kubeconfig
      --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true
      --cluster-signing-cert-file=$p/ca.crt --cluster-signing-key-file=$p/ca.key
      --root-ca-file=$p/ca.crt --service-account-private-key-file=$p/sa.key
      --service-cluster-ip-range=$CLUSTER_SVC_CIDR --horizontal-pod-autoscaler-sync-period=5s" ;;
    kube-scheduler) echo "$b/kube-scheduler --kubeconfig=$p/scheduler.kubeconfig
      --authentication-kubeconfig=$p/scheduler.kubeconfig --authorization-kubeconfig=$p/scheduler.kubeconfig
      --bind-address=127.0.0.1 --leader-elect=false" ;;
    kubelet) echo "$b/kubelet --config=$r/etc/kubelet.yaml --kubeconfig=$p/kubelet.kubeconfig
      --hostname-override=$CLUSTER_NODE --node-ip=$CLUSTER_NODE_IP --root-dir=$r/kubelet --cert-dir=$r/kubelet/pki --v=1" ;;
    kube-proxy) echo "$b/kube-proxy --config=$r/etc/kube-proxy.yaml --v=1" ;;
  esac
}
_cl_start() {
  _cl_running "$1" && return 0
  # shellcheck disable=SC2046 # the command line is a word list
  setsid $(_cl_cmd "$1") >>"$CLUSTER_LOGS/$1.log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_RUN/$1.pid"
}
_cl_stop() { # name [seconds]
  local p i
  p=$(_cl_pid "$1") || return 0
  if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    for ((i = 0; i < ${2:-100}; i++)); do
      kill -0 "$p" 2>/dev/null || break
      # kube-apiserver sometimes ignores the first SIGTERM.
      ((i == 25)) && kill -TERM "$p" 2>/dev/null
      sleep 0.2
    done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  fi
  rm -f "$CLUSTER_RUN/$1.pid"
}
_cl_wait() { # description seconds command...
  local what=$1 secs=$2 end; shift 2
  end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || die "$what not after ${secs}s (logs: $CLUSTER_LOGS)"
    sleep 0.2
  done
}
_cl_readyz() {
  [[ $(curl -s --max-time 2 --cacert "$CLUSTER_PKI/ca.crt" --cert "$CLUSTER_PKI/admin.crt" --key "$CLUSTER_PKI/admin.key" \
    "https://$CLUSTER_NODE_IP:$CLUSTER_API_PORT/readyz") == ok ]]
}
_cl_node_ready() {
  [[ $(kc get node "$CLUSTER_NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

_cl_check_ports() {
  local port
  for port in "$CLUSTER_ETCD_PORT" $((CLUSTER_ETCD_PORT + 1)) $((CLUSTER_ETCD_PORT + 2)) 10248 10249 10256 10257 10259; do
    ss -Hltn "sport = :$port" | grep -q . && die "port $port is in use; the cluster needs it (set CLUSTER_ETCD_PORT for etcd's)"
  done
  return 0
}

# ---------------------------------------------------------------- up / down
cluster_up() {
  [[ $(id -u) == 0 ]] || die "the cluster needs root (bridge, iptables, containerd)"
  ensure_cmds containerd:containerd runc:runc nft:nftables openssl:openssl curl:curl "ss:iproute2"
  [[ -x /usr/lib/cni/bridge ]] || ensure_cmds "cni-bridge-marker:containernetworking-plugins"
  cluster_build
  local t0 t; t0=$(now)
  mkdir -p "$CLUSTER_ROOT" "$CLUSTER_LOGS" "$CLUSTER_RUN"
  if ! _cl_running kube-apiserver; then _cl_check_ports; fi
  _cl_pki; _cl_configs
  _cl_net_up
  log "starting etcd and containerd"
  _cl_start etcd; _cl_start containerd
  _cl_wait "etcd healthy" 60 curl -sf "http://127.0.0.1:$CLUSTER_ETCD_PORT/health"
  _cl_wait "containerd answering" 60 ctrd version
  t=$(now); _cl_images; log "add-on images imported in $(elapsed "$t") s"
  _cl_start kube-apiserver
  _cl_wait "kube-apiserver /readyz ok" 120 _cl_readyz
  log "kube-apiserver ready at $(elapsed "$t0") s"
  _cl_start kube-controller-manager; _cl_start kube-scheduler; _cl_start kubelet; _cl_start kube-proxy
  _cl_wait "node $CLUSTER_NODE Ready" 180 _cl_node_ready
  CLUSTER_NODE_READY_S=$(elapsed "$t0")
  # kube-proxy inserts its FORWARD jumps in front; the no-egress rule goes first again.
  _cl_wait "kube-proxy's FORWARD rules" 60 iptables -C FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
  iptables -D FORWARD -j "$CLUSTER_FWD_CHAIN" && iptables -I FORWARD 1 -j "$CLUSTER_FWD_CHAIN"
  log "node Ready at $CLUSTER_NODE_READY_S s"
  _cl_addons
  echo "$CLUSTER_NODE_READY_S $(elapsed "$t0")" >"$CLUSTER_RUN/up-times"
  log "cluster up in $(elapsed "$t0") s (node Ready at $CLUSTER_NODE_READY_S s); KUBECONFIG=$CLUSTER_KUBECONFIG"
}

_cl_addons() {
  local t; t=$(now)
  kc apply --server-side -f "$CLUSTER_CACHE/gateway-crds" >/dev/null
  kc wait --for=condition=Established --timeout=60s crd/gatewayclasses.gateway.networking.k8s.io \
    crd/gateways.gateway.networking.k8s.io crd/httproutes.gateway.networking.k8s.io >/dev/null
  local f
  for f in storage coredns metrics-server traefik kube-network-policies; do
    _cl_render "$_CL_DATA/manifests/$f.yaml" | kc apply -f - >/dev/null || die "applying the $f manifests failed"
  done
  kc -n kube-system rollout status deploy/coredns --timeout=120s >/dev/null || die "CoreDNS not Ready"
  kc -n kube-system rollout status ds/kube-network-policies --timeout=120s >/dev/null || die "kube-network-policies not Ready"
  kc -n traefik rollout status deploy/traefik --timeout=120s >/dev/null || die "Traefik not Ready"
  kc -n kube-system rollout status deploy/metrics-server --timeout=120s >/dev/null || die "metrics-server not Ready"
  _cl_wait "the metrics API (kubectl top node)" 120 kc top node
  _cl_wait "Gateway traefik/web Programmed" 60 bash -c \
    "[[ \$('$CLUSTER_BIN/kubectl' --kubeconfig '$CLUSTER_KUBECONFIG' -n traefik get gateway web -o jsonpath='{.status.conditions[?(@.type==\"Programmed\")].status}') == True ]]"
  log "add-ons Ready in $(elapsed "$t") s"
}

cluster_down() {
  [[ $(id -u) == 0 ]] || die "needs root"
  [[ -d $CLUSTER_ROOT ]] || { log "no cluster in $CLUSTER_ROOT"; return 0; }
  local c i p
  # The policy agent first, through the API, so it removes its nftables table.
  if _cl_running kube-apiserver && _cl_running kubelet; then
    kc -n kube-system delete ds kube-network-policies --wait=true --timeout=30s >/dev/null 2>&1 || true
  fi
  for c in kube-proxy kubelet kube-scheduler kube-controller-manager; do _cl_stop "$c"; done
  # Every pod's containers, then containerd's shims (they outlive containerd).
  if _cl_running containerd; then
    for c in $(ctrd tasks ls -q 2>/dev/null); do ctrd tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true; done
    sleep 1
    for c in $(ctrd containers ls -q 2>/dev/null); do
      ctrd tasks rm -f "$c" >/dev/null 2>&1 || true; ctrd containers rm "$c" >/dev/null 2>&1 || true
    done
  fi
  _cl_stop kube-apiserver
  _cl_stop containerd
  for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $CLUSTER_CTRD_SOCK" || true); do kill -KILL "$p" 2>/dev/null || true; done
  _cl_stop etcd
  # Mounts under the cluster's paths, deepest first.
  for i in 1 2 3; do
    awk -v r="$CLUSTER_ROOT/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r | while read -r c; do
      umount "$c" 2>/dev/null || umount -l "$c" 2>/dev/null || true
    done
  done
  # cgroups the kubelet made (cgroupfs driver: kubepods under each hierarchy).
  for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/unified/kubepods; do
    if [[ -d $c ]]; then find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  done
  _cl_net_down
  _cl_sysctls_restore
  # Paths the kubelet and CNI use whatever the configured roots say.
  grep -qx "existed /var/lib/kubelet" "$CLUSTER_ROOT/host-state" 2>/dev/null || rm -rf /var/lib/kubelet
  grep -qx "existed /run/containerd" "$CLUSTER_ROOT/host-state" 2>/dev/null || rm -rf /run/containerd
  rm -rf /var/lib/cni/results/todo-k8s-* /var/lib/cni/networks/todo-k8s
  rm -rf "$CLUSTER_ROOT"
  log "cluster down; host restored"
}

cluster_status() {
  local c
  for c in "${CLUSTER_PROCS[@]}"; do
    if _cl_running "$c"; then printf '%-24s up (pid %s)\n' "$c" "$(_cl_pid "$c")"; else printf '%-24s down\n' "$c"; fi
  done
  _cl_running kube-apiserver || return 0
  kc get nodes -o wide 2>/dev/null || true
  kc get pods -A -o wide 2>/dev/null || true
}
