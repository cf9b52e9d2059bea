#!/bin/bash
# Records pcapng captures the way dumpcap writes them (an Interface Description Block per
# interface, with if_name), from the lab's seed-flannel frames, for the explainer's placement
# tests. Run as root: bash test/explain/record-pcapng.sh OUTDIR
#
# In a namespace of its own (q14-pcapng-$$), two veth pairs whose capturing ends carry the
# lab's interface names (flannel.1, veth6b3caf45); IPv6 is off so the kernel adds no frames of
# its own. dumpcap captures on the named ends while the frames of worker-1's captures of those
# interfaces are sent into the other ends (AF_PACKET), in their recorded order. Out:
#   OUTDIR/two-interfaces.pcapng  dumpcap -i flannel.1 -i veth6b3caf45
#   OUTDIR/one-interface.pcapng   dumpcap -i flannel.1
set -euo pipefail
out=${1:?usage: record-pcapng.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
captures="$here/../../samples/seed-flannel/captures"
ns=q14-pcapng-$$
mkdir -p "$out"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
run() { ip netns exec "$ns" "$@"; }
run sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
run ip link set lo up
run ip link add flannel.1 type veth peer name q14-in1
run ip link add veth6b3caf45 type veth peer name q14-in2
for dev in flannel.1 veth6b3caf45 q14-in1 q14-in2; do run ip link set "$dev" up; done
tmp=$(mktemp -d /tmp/q14-pcapng-XXXX)
chmod 777 "$tmp"
# Started directly (not through a shell function) so $! is dumpcap itself: `ip netns exec` execs it.
ip netns exec "$ns" dumpcap -q -i flannel.1 -i veth6b3caf45 -w "$tmp/two.pcapng" 2>/dev/null &
two=$!
ip netns exec "$ns" dumpcap -q -i flannel.1 -w "$tmp/one.pcapng" 2>/dev/null &
one=$!
# Wait until both have opened their interfaces (their files exist).
for _ in $(seq 50); do [ -s "$tmp/two.pcapng" ] && [ -s "$tmp/one.pcapng" ] && break; sleep 0.1; done
sleep 0.5
run python3 - "$captures/worker-1__flannel.1.pcap" q14-in1 "$captures/worker-1__veth6b3caf45.pcap" q14-in2 <<'PY'
import socket, struct, sys, time
frames = []
args = sys.argv[1:]
for path, dev in zip(args[0::2], args[1::2]):
    data = open(path, 'rb').read()
    assert struct.unpack('<I', data[:4])[0] == 0xa1b2c3d4, path
    off = 24
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack('<IIII', data[off:off + 16])
        frames.append((sec * 1000000 + usec, dev, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
socks = {}
for _, dev, frame in sorted(frames, key=lambda f: f[0]):
    if dev not in socks:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((dev, 0))
        socks[dev] = s
    socks[dev].send(frame)
    time.sleep(0.002)
PY
sleep 1
kill -INT "$two" "$one"
wait "$two" "$one" || true
install -m 644 "$tmp/two.pcapng" "$out/two-interfaces.pcapng"
install -m 644 "$tmp/one.pcapng" "$out/one-interface.pcapng"
rm -rf "$tmp"
