// The collector `podpath collect` prints: a bash script the user runs as root
// on each node. It writes that node's bundle folder, in the layout
// inputs/read.ts reads (`<out>/<node>/<dump>` and `<out>/<node>/pods/<pod>/<dump>`):
// the node's ip/bridge/brctl/iptables-save/nft/ipset/ipvsadm dumps, and per pod namespace the
// same ip dumps, entered with `ip netns exec` (named netns, as containerd and
// CNI plugins create them) or `nsenter -t PID -n` (Docker-run pods).

export function collectScript(outDir: string): string {
  const quoted = `'${outDir.replace(/'/g, `'\\''`)}'`;
  return `#!/usr/bin/env bash
# podpath collector: writes this node's network dumps for \`podpath topology\`.
#   podpath collect > collect.sh; sudo bash collect.sh [OUT_DIR]
# then copy OUT_DIR from every node into one folder and run: podpath topology OUT_DIR
set -u
DEFAULT_OUT=${quoted}
OUT="\${1:-$DEFAULT_OUT}"
if [ -n "\${PODPATH_NODE:-}" ]; then
  NODE="$PODPATH_NODE"
  echo "podpath: node name $NODE (from PODPATH_NODE)" >&2
else
  NODE="$(hostname -s 2>/dev/null || hostname)"
  echo "podpath: node name $NODE (from hostname; if Kubernetes calls this node otherwise, run again with PODPATH_NODE=<name as kubectl get nodes shows it>)" >&2
fi
DIR="$OUT/$NODE"
mkdir -p "$DIR/pods" || exit 1

# run FILE CMD...: the command's output into FILE; a command that is missing or fails leaves no file.
run() {
  local file="$1"; shift
  if "$@" > "$file.tmp" 2>/dev/null && [ -s "$file.tmp" ]; then mv "$file.tmp" "$file"; else rm -f "$file.tmp"; fi
}

node_dumps() {
  local d="$1"; shift
  # "$@" is a prefix that enters the namespace (empty for the node itself).
  run "$d/ip-addr.txt" "$@" ip addr
  run "$d/ip-j-addr.json" "$@" ip -j addr
  run "$d/ip-d-link.txt" "$@" ip -d link
  run "$d/ip-route.txt" "$@" ip route
  run "$d/ip-rule.txt" "$@" ip rule
  run "$d/ip-neigh.txt" "$@" ip neigh
}

node_dumps "$DIR"
run "$DIR/bridge-fdb.txt" bridge fdb show
command -v brctl >/dev/null && run "$DIR/brctl-show.txt" brctl show
command -v iptables-save >/dev/null && run "$DIR/iptables-save.txt" iptables-save
# Carried for the reader, not modelled by podpath (it traces IPv4; it says so when it reads them).
command -v ip6tables-save >/dev/null && run "$DIR/ip6tables-save.txt" ip6tables-save
command -v conntrack >/dev/null && run "$DIR/conntrack-S.txt" conntrack -S
# kube-proxy's nftables mode (table ip kube-proxy) and IPVS mode (virtual services, ip sets); absent tools leave no file.
command -v nft >/dev/null && run "$DIR/nft-ruleset.txt" nft list ruleset
command -v ipset >/dev/null && run "$DIR/ipset-list.txt" ipset list
command -v ipvsadm >/dev/null && run "$DIR/ipvsadm-ln.txt" ipvsadm -Ln
# The kernel switches that decide forwarding: ip_forward, per-device forwarding/proxy_arp/rp_filter, bridge-nf-call-iptables.
sysctls() { sysctl -a 2>/dev/null | grep -E '^net\\.(ipv4\\.(ip_forward|conf\\.[^.]+\\.(forwarding|proxy_arp|rp_filter))|bridge\\.bridge-nf-call-iptables) '; }
run "$DIR/sysctl.txt" sysctls
# The cluster's names (pods, services, endpoints' readiness, namespace labels, policies), when kubectl works here.
kubectl_files() {
  run "$1/kubectl-pods.json" kubectl get pods -A -o json
  run "$1/kubectl-svc-endpointslices.json" kubectl get svc,endpointslices -A -o json
  run "$1/kubectl-ns.json" kubectl get ns -o json
  run "$1/kubectl-networkpolicy.yaml" kubectl get networkpolicy -A -o yaml
}
command -v kubectl >/dev/null && kubectl_files "$OUT"

# Pod namespaces: named ones (containerd, CNI: /var/run/netns/cni-…).
if command -v ip >/dev/null; then
  # PODPATH_NETNS limits which named namespaces are read (default: all of them).
  if [ -n "\${PODPATH_NETNS:-}" ]; then
    echo "podpath: pods: the named netns in PODPATH_NETNS ($PODPATH_NETNS)" >&2
  else
    echo "podpath: pods: every named netns is read as a pod ($(ip netns list 2>/dev/null | awk '{print $1}' | tr '\n' ' ')); set PODPATH_NETNS='ns1 ns2' to choose" >&2
  fi
  for ns in \${PODPATH_NETNS:-$(ip netns list 2>/dev/null | awk '{print $1}')}; do
    d="$DIR/pods/$ns"; mkdir -p "$d"
    node_dumps "$d" ip netns exec "$ns"
    rmdir "$d" 2>/dev/null
  done
fi
# Docker-run pods (skipped when PODPATH_NETNS is set): enter the pause container's namespace by PID (names k8s_POD_<pod>_<namespace>_…).
if [ -z "\${PODPATH_NETNS:-}" ] && command -v docker >/dev/null && command -v nsenter >/dev/null; then
  for id in $(docker ps -q --filter name=k8s_POD_ 2>/dev/null); do
    name=$(docker inspect -f '{{.Name}}' "$id" | sed -e 's|^/k8s_POD_||' -e 's|_.*||')
    pid=$(docker inspect -f '{{.State.Pid}}' "$id")
    [ -n "$name" ] && [ "$pid" -gt 0 ] 2>/dev/null || continue
    d="$DIR/pods/$name"; mkdir -p "$d"
    node_dumps "$d" nsenter -t "$pid" -n
    rmdir "$d" 2>/dev/null
  done
fi
rmdir "$DIR/pods" 2>/dev/null
echo "podpath: wrote $DIR" >&2
# Names from the cluster: podpath names pods, services and endpoints from kubectl's JSON (above, when
# kubectl is on this node). Where it is not, run these where kubectl works and put the files beside
# the node folders (the bundle reader picks them up by content; these are the names collect uses):
if [ -s "$OUT/kubectl-pods.json" ]; then
  echo "podpath: kubectl works here: wrote $OUT/kubectl-pods.json, kubectl-svc-endpointslices.json, kubectl-ns.json, kubectl-networkpolicy.yaml" >&2
else
  echo "podpath: no kubectl here: for pod and service names, labels, named ports and policies, run where kubectl works and put the files in $OUT/:" >&2
  echo "  kubectl get pods -A -o json > kubectl-pods.json" >&2
  echo "  kubectl get svc,endpointslices -A -o json > kubectl-svc-endpointslices.json" >&2
  echo "  kubectl get ns -o json > kubectl-ns.json" >&2
  echo "  kubectl get networkpolicy -A -o yaml > kubectl-networkpolicy.yaml" >&2
fi
`;
}
