#!/bin/bash
# Records, for one lab scenario, a pcapng per namespace the way dumpcap writes it (an
# Interface Description Block per interface, with if_name), for the explainer's placement
# tests. Run as root: bash test/explain/record-pcapng-scenario.sh SCENARIO OUTDIR
#
# For every node or pod of samples/SCENARIO/captures/<at>__<iface>.pcap (the `-i any` and the
# empty captures left out), a namespace of its own (q14-ng-$$-N) with one veth pair per
# interface, whose capturing end carries the lab's interface name (cni0, flannel.1,
# veth6b3caf45, eth0 …); IPv6 is off so the kernel adds no frames of its own, and the MTU is
# the largest so GRO-merged frames pass. `dumpcap -i <each interface>` captures while the
# frames of the lab's captures of those interfaces are sent into the other ends (AF_PACKET),
# all namespaces' in one recorded order, 2 ms apart. Out: OUTDIR/<at>.pcapng, one per namespace.
set -euo pipefail
scenario=${1:?usage: record-pcapng-scenario.sh SCENARIO OUTDIR}
out=${2:?usage: record-pcapng-scenario.sh SCENARIO OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
captures="$here/../../samples/$scenario/captures"
mkdir -p "$out"
declare -A ifaces=()
for f in "$captures"/*.pcap; do
  b=$(basename "$f" .pcap)
  at=${b%%__*}
  iface=${b#*__}
  [ "$iface" = any ] && continue
  [ "$(stat -c %s "$f")" -le 24 ] && continue
  ifaces[$at]+=" $iface"
done
namespaces=()
cleanup() { for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done; }
trap cleanup EXIT
tmp=$(mktemp -d /tmp/q14-ng-XXXX)
chmod 777 "$tmp"
cat > "$tmp/replay.py" <<'PY'
# One sender for every namespace, so the frames go out in the lab's recorded order across
# namespaces too (a pod's eth0 before its host veth): each AF_PACKET socket is made inside
# its namespace (setns(2)) and keeps sending there.
import ctypes, os, socket, struct, sys, time
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL('libc.so.6', use_errno=True)
frames = []
socks = {}
args = sys.argv[1:]
for ns, path, dev in zip(args[0::3], args[1::3], args[2::3]):
    fd = os.open(f'/run/netns/{ns}', os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), f'setns {ns}')
    os.close(fd)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((dev, 0))
    socks[(ns, dev)] = s
    data = open(path, 'rb').read()
    assert struct.unpack('<I', data[:4])[0] == 0xa1b2c3d4, path
    off = 24
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack('<IIII', data[off:off + 16])
        frames.append((sec * 1000000 + usec, (ns, dev), data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
for _, key, frame in sorted(frames, key=lambda f: f[0]):
    socks[key].send(frame)
    time.sleep(0.002)
PY
declare -A dumpcaps=()
n=0
for at in "${!ifaces[@]}"; do
  n=$((n + 1))
  ns=q14-ng-$$-$n
  namespaces+=("$ns")
  ip netns add "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  args=()
  k=0
  for iface in ${ifaces[$at]}; do
    k=$((k + 1))
    ip netns exec "$ns" ip link add "$iface" mtu 65535 type veth peer name "q14-in$k" mtu 65535
    ip netns exec "$ns" ip link set "$iface" up
    ip netns exec "$ns" ip link set "q14-in$k" up
    args+=(-i "$iface")
  done
  # Started directly so $! is dumpcap itself: `ip netns exec` execs it.
  ip netns exec "$ns" dumpcap -q "${args[@]}" -w "$tmp/$at.pcapng" 2>/dev/null &
  dumpcaps[$at]=$!
done
for at in "${!ifaces[@]}"; do
  for _ in $(seq 100); do [ -s "$tmp/$at.pcapng" ] && break; sleep 0.1; done
done
sleep 0.5
triples=()
n=0
for at in "${!ifaces[@]}"; do
  n=$((n + 1))
  k=0
  for iface in ${ifaces[$at]}; do
    k=$((k + 1))
    triples+=("q14-ng-$$-$n" "$captures/${at}__${iface}.pcap" "q14-in$k")
  done
done
python3 "$tmp/replay.py" "${triples[@]}"
sleep 1
for at in "${!ifaces[@]}"; do kill -INT "${dumpcaps[$at]}"; done
for at in "${!ifaces[@]}"; do wait "${dumpcaps[$at]}" || true; cp "$tmp/$at.pcapng" "$out/$at.pcapng"; done
rm -rf "$tmp"
