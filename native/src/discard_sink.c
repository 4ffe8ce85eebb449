/*
 * discard_sink: the receiving end of the transfer benchmark (harness/bench/transfer-vs-iperf.ts).
 * Listens on 127.0.0.1 (an ephemeral port, printed first), accepts one connection at a time, reads
 * it into one 1 MiB buffer until EOF and prints the byte count. A C loop like iperf3's own
 * receiver, so the sink costs what iperf3 -s costs and the comparison is of the senders; the
 * Python sink (discard-sink.py) is the fallback when this is not built.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_BYTES_MAX (1 << 20)

static void die(const char *what) {
  fprintf(stderr, "discard_sink: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(void) {
  static char buf[READ_BYTES_MAX];
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  if (srv < 0) die("socket");
  int one = 1;
  if (setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) die("setsockopt");
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(srv, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
  if (listen(srv, 1) != 0) die("listen");
  socklen_t len = sizeof addr;
  if (getsockname(srv, (struct sockaddr *)&addr, &len) != 0) die("getsockname");
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  for (;;) {
    int conn = accept(srv, NULL, NULL);
    if (conn < 0) {
      if (errno == EINTR) continue;
      die("accept");
    }
    long long total = 0;
    for (;;) {
      ssize_t n = read(conn, buf, sizeof buf);
      if (n > 0) total += n;
      else if (n == 0) break;
      else if (errno != EINTR) break; /* a reset peer ends the count; the sender reports it */
    }
    close(conn);
    printf("%lld\n", total);
    fflush(stdout);
  }
}
