# The lab's UDP client: one datagram of a given IP total length, with or without DF, from a
# fixed source port, then waits for the echo. Prints what the socket API told it, so the
# record has the client's own view (EMSGSIZE, EHOSTUNREACH, ECONNREFUSED) besides the wire.
#   python3 udp-probe.py DST PORT SPORT SIZE df|no-df TIMEOUT_SECONDS
# Exit: 0 echo received, 3 a socket error (printed as its errno name), 28 timed out.
import errno
import socket
import sys

IP_MTU_DISCOVER, IP_PMTUDISC_DONT, IP_PMTUDISC_DO = 10, 0, 2  # linux/in.h
dst, port, sport, size, df, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == 'df', float(sys.argv[6])

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO if df else IP_PMTUDISC_DONT)
s.bind(('0.0.0.0', sport))
s.connect((dst, port))  # connected: ICMP errors for the flow are reported to this socket
s.settimeout(timeout)

def fail(stage, error):
    name = errno.errorcode.get(error.errno, str(error.errno))
    print(f'{stage}: {name} ({error.strerror})')
    sys.exit(3)

try:
    s.send(b'x' * (size - 28))  # 20-byte IP header + 8-byte UDP header
except OSError as error:
    fail('send', error)
try:
    data = s.recv(65535)
    print(f'echo: {len(data) + 28} bytes')
except socket.timeout:
    print('recv: timed out')
    sys.exit(28)
except OSError as error:
    fail('recv', error)
