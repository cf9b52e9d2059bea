#!/usr/bin/env bash
# Records the outputs of the route/iptables/ip commands people paste instead of
# `ip route` / `iptables-save`, from a real kernel, into this folder. Run as root:
#   bash test/corpus/formats/record.sh
# It builds two network namespaces (q12-node, q12-peer) joined by a veth pair,
# gives them IPv4 and IPv6 addresses, routes (via a gateway, on-link, host,
# unreachable, blackhole) and a few kube-proxy-shaped iptables rules, runs each
# command inside q12-node, and deletes both namespaces again. Tests read the
# files; their expected values come from the same text with awk/grep.
set -euo pipefail
cd "$(dirname "$0")"
NS=q12-node PEER=q12-peer
cleanup() { ip netns del "$NS" 2>/dev/null || true; ip netns del "$PEER" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add "$NS"; ip netns add "$PEER"
ip link add eth0 netns "$NS" type veth peer name eth0 netns "$PEER"
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up; nsx ip link set eth0 up
ip -n "$PEER" link set lo up; ip -n "$PEER" link set eth0 up
nsx ip link add cni0 type bridge; nsx ip link set cni0 up
nsx ip link add flannel.1 type vxlan id 1 dstport 8472 dev eth0 nolearning; nsx ip link set flannel.1 up
nsx ip addr add 10.74.107.63/24 dev eth0
nsx ip addr add 192.168.1.1/24 dev cni0
nsx ip -6 addr add fd00:74::63/64 dev eth0 nodad
nsx ip -6 addr add fd00:168:1::1/64 dev cni0 nodad
nsx ip route add default via 10.74.107.154 dev eth0
nsx ip route add 192.168.2.0/24 via 10.74.107.62 dev eth0
nsx ip route add 192.168.3.0/24 via 192.168.3.0 dev flannel.1 onlink
nsx ip route add 10.96.0.10 dev cni0
nsx ip route add unreachable 192.168.9.0/24
nsx ip route add blackhole 192.168.226.64/26
nsx ip route add 10.99.0.0/16 via 10.74.107.62 dev eth0 metric 200
nsx ip -6 route add default via fd00:74::1 dev eth0
nsx ip -6 route add fd00:168:2::/64 via fd00:74::62 dev eth0
nsx ip -6 route add unreachable fd00:dead::/64
nsx iptables -t nat -N KUBE-SERVICES
nsx iptables -t nat -N KUBE-SVC-TCOU7JCQXEZGVUNU
nsx iptables -t nat -N KUBE-SEP-AAAAAAAAAAAAAAAA
nsx iptables -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
nsx iptables -t nat -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
nsx iptables -t nat -A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
nsx iptables -t nat -A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 192.168.1.5:53" -j KUBE-SEP-AAAAAAAAAAAAAAAA
nsx iptables -t nat -A KUBE-SEP-AAAAAAAAAAAAAAAA -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 192.168.1.5:53
nsx iptables -t nat -A POSTROUTING -s 192.168.0.0/16 ! -d 192.168.0.0/16 -j MASQUERADE
nsx iptables -N KUBE-FORWARD
nsx iptables -P FORWARD DROP
nsx iptables -A FORWARD -j KUBE-FORWARD
nsx iptables -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
nsx iptables -A KUBE-FORWARD -s 192.168.0.0/16 -j ACCEPT
nsx iptables -A KUBE-FORWARD -d 192.168.0.0/16 -j ACCEPT
# IPv6 rules, which a bundle may carry beside the IPv4 ones (collect gathers ip6tables-save).
nsx ip6tables -N KUBE-FORWARD
nsx ip6tables -A FORWARD -j KUBE-FORWARD
nsx ip6tables -A KUBE-FORWARD -s fd00:168::/32 -j ACCEPT

rec() { local file="$1"; shift; nsx "$@" > "$file"; }
rec ip-route.txt ip route
rec ip-6-route.txt ip -6 route
rec ip-6-addr.txt ip -6 addr
rec ip-addr.txt ip addr
rec ip-br-addr.txt ip -br addr
rec ip-o-addr.txt ip -o addr
rec ip-o-link.txt ip -o link
rec ip-br-link.txt ip -br link
rec route-n.txt route -n
rec route-6-n.txt route -6 -n
rec netstat-rn.txt netstat -rn
rec netstat-6-rn.txt netstat -6 -rn
rec iptables-save.txt iptables-save
rec ip6tables-save.txt ip6tables-save
rec iptables-S.txt iptables -S
rec iptables-t-nat-S.txt iptables -t nat -S
rec iptables-L-n-v.txt iptables -L -n -v
rec iptables-t-nat-L-n-v.txt iptables -t nat -L -n -v
# A transcript as people paste it: prompts, then each command's output.
{
  for cmd in "ip route" "route -n" "iptables -t nat -S" "iptables -S" "ip -6 route" "ip -br addr" "iptables -L -n -v"; do
    echo "root@q12-node:~# $cmd"; nsx $cmd
  done
} > transcript.txt
{ ip -V; route --version 2>&1 | head -1; iptables -V; uname -r; } > versions.txt

# IPv4-mapped prefixes (CentOS's initscripts add `unreachable ::ffff:0.0.0.0/96`): net-tools prints
# them as bare dotted quads in its IPv6 table (`0.0.0.0/96`), `ip -6 route` as `::ffff:0.0.0.0/96`.
V4M=q12-v4mapped
ip netns del "$V4M" 2>/dev/null || true
ip netns add "$V4M"
ip -n "$V4M" link set lo up
ip -n "$V4M" -6 route add unreachable ::/96 dev lo metric 1024
ip -n "$V4M" -6 route add unreachable ::ffff:0.0.0.0/96 dev lo metric 1024
ip -n "$V4M" -6 route add unreachable ::ffff:10.1.2.0/120 dev lo metric 1024
ip -n "$V4M" -6 route add unreachable 2002:a00::/24 dev lo metric 1024
ip netns exec "$V4M" ip -6 route > ip-6-route-v4mapped.txt
ip netns exec "$V4M" netstat -6 -rn > netstat-6-rn-v4mapped.txt
ip netns del "$V4M"
