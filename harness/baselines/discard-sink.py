# A TCP sink for the transfer benchmark: accepts connections one at a time on 127.0.0.1, reads
# into one 1 MiB buffer until EOF (recv_into: no per-read allocation) and closes. Written in C-backed
# Python so the receiving side costs about what iperf3's receiver does, not a Node stream's.
import socket
import sys

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
buf = bytearray(1 << 20)
while True:
    conn, _ = srv.accept()
    total = 0
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        total += n
    conn.close()
    print(total, flush=True)
