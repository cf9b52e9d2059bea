#!/usr/bin/env bash
# Records the decoder's own test captures with real tools in throwaway network
# namespaces (prefix pd-), so the formats issue 4 names are covered by real files:
#   vxlan-8472.pcap        tcpdump on the underlay veth: Ethernet, µs, VXLAN 8472 (Linux default)
#                          with HTTP, ping, an ICMP port-unreachable, and IP-in-IP HTTP
#   any-nano-sll2.pcap     tcpdump -i any --time-stamp-precision=nano (Linux cooked v2, ns magic)
#   any-sll.pcap           tcpdump -i any -y LINUX_SLL (cooked v1)
#   dumpcap-2if.pcapng     dumpcap on two interfaces (underlay and the vxlan device): pcapng, 2 IDBs
#   vxlan-8472-be.pcapng   editcap -F pcapng of vxlan-8472.pcap
# Run as root: bash test/decode/make-captures.sh  (writes into test/decode/captures/)
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/captures"
mkdir -p "$out"
work="$(mktemp -d /tmp/pd-captures.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  ip netns del pd-a 2>/dev/null || true
  ip netns del pd-b 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cleanup_first() { ip netns del pd-a 2>/dev/null || true; ip netns del pd-b 2>/dev/null || true; }
cleanup_first

ip netns add pd-a
ip netns add pd-b
ip link add pd-va netns pd-a type veth peer name pd-vb netns pd-b
A="ip netns exec pd-a"
B="ip netns exec pd-b"
$A ip link set lo up; $B ip link set lo up
$A ip addr add 10.99.0.1/24 dev pd-va; $A ip link set pd-va up
$B ip addr add 10.99.0.2/24 dev pd-vb; $B ip link set pd-vb up
# VXLAN on the Linux default port 8472 (as Flannel uses it).
$A ip link add pd-vx type vxlan id 42 local 10.99.0.1 remote 10.99.0.2 dstport 8472 dev pd-va
$B ip link add pd-vx type vxlan id 42 local 10.99.0.2 remote 10.99.0.1 dstport 8472 dev pd-vb
$A ip addr add 192.168.42.1/24 dev pd-vx; $A ip link set pd-vx up
$B ip addr add 192.168.42.2/24 dev pd-vx; $B ip link set pd-vx up
# IP-in-IP (Calico's tunl0 style), when the kernel has the ipip module (the corpus
# covers IP-in-IP with real captures either way).
ipip=no
if $A ip link add pd-ipip type ipip local 10.99.0.1 remote 10.99.0.2 2>/dev/null; then
  $B ip link add pd-ipip type ipip local 10.99.0.2 remote 10.99.0.1
  $A ip addr add 172.31.9.1/30 dev pd-ipip; $A ip link set pd-ipip up
  $B ip addr add 172.31.9.2/30 dev pd-ipip; $B ip link set pd-ipip up
  ipip=yes
fi

$B python3 -m http.server 80 --bind 0.0.0.0 >/dev/null 2>&1 &
pids+=($!)
sleep 1

$B tcpdump -i pd-vb -U -w "$work/vxlan-8472.pcap" >/dev/null 2>&1 & pids+=($!)
$B tcpdump -i any -U --time-stamp-precision=nano -y LINUX_SLL2 -w "$work/any-nano-sll2.pcap" >/dev/null 2>&1 & pids+=($!)
$B tcpdump -i any -U -y LINUX_SLL -w "$work/any-sll.pcap" >/dev/null 2>&1 & pids+=($!)
$B dumpcap -q -i pd-vb -i pd-vx -w "$work/dumpcap-2if.pcapng" >/dev/null 2>&1 & pids+=($!)
sleep 2

# Two ICMP echo requests (no ping binary here: a raw socket does the same).
$A python3 - <<'PY'
import socket, struct, time
def checksum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
sock.settimeout(1)
for seq in (1, 2):
    body = b'podpath-echo-test'  + b'\0'
    head = struct.pack('!BBHHH', 8, 0, 0, 0x1234, seq)
    head = struct.pack('!BBHHH', 8, 0, checksum(head + body), 0x1234, seq)
    sock.sendto(head + body, ('192.168.42.2', 0))
    try: sock.recv(2048)
    except OSError: pass
    time.sleep(0.2)
PY
$A curl -s -o /dev/null -H 'User-Agent: podpath-test' http://192.168.42.2/
$A bash -c 'echo probe > /dev/udp/192.168.42.2/9999' || true
sleep 0.3
if [ "$ipip" = yes ]; then $A curl -s -o /dev/null http://172.31.9.2/; fi
sleep 1

for pid in "${pids[@]:1}"; do kill -INT "$pid" 2>/dev/null || true; done
sleep 1
cp "$work/vxlan-8472.pcap" "$work/any-nano-sll2.pcap" "$work/any-sll.pcap" "$work/dumpcap-2if.pcapng" "$out/"
editcap -F pcapng "$out/vxlan-8472.pcap" "$out/vxlan-8472-editcap.pcapng"
capinfos -t -E -c "$out"/*.pcap "$out"/*.pcapng
