# A pod's UDP echo server for the lab: sends every datagram back to where it came from.
#   python3 udp-echo.py PORT
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', int(sys.argv[1])))
print('listening', flush=True)
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(data, peer)
