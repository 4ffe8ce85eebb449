/*
 * c_sender: the bare C senders the transfer benchmark (harness/bench/transfer-vs-iperf.ts) puts
 * beside strata's transfers, on the same files and into the same sink (discard_sink.c). They are
 * what the kernel's loopback path allows a sender with no runtime at all: strata's `sendfile`
 * transfer is measured against the sendfile loop, its `buffered` transfer against pread+write.
 *
 *   c_sender sendfile|rw PORT CHUNK_BYTES FILE...
 *
 * Connects to 127.0.0.1:PORT (blocking socket, TCP_NODELAY like strata's broker), sends every FILE
 * whole in order, `sendfile` with at most CHUNK_BYTES per call, or `rw` with pread into one
 * CHUNK_BYTES buffer and write until it is written. Then shuts down its side and reads until the
 * sink closes the connection (the sink closes after counting every byte): the time is from the
 * connect to that close, as strata's figure runs to the sink's count. Prints one line:
 *   bytes=N seconds=S user_seconds=U system_seconds=Y
 * with the CPU this process used over the same interval (getrusage). Exit 1 with a message on any
 * error, naming the file and position.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 64 MiB: bounds the rw buffer (and the sendfile count per call, which needs no buffer) */
#define CHUNK_BYTES_MAX (64L << 20)

static void die(const char *what, const char *file, long long position) {
  if (file) fprintf(stderr, "c_sender: %s %s at byte %lld: %s\n", what, file, position, strerror(errno));
  else fprintf(stderr, "c_sender: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv_seconds(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

/* write() until all `len` bytes are in the socket (a blocking socket may still return short). */
static void write_all(int sock, const char *buf, size_t len, const char *file, long long position) {
  while (len > 0) {
    ssize_t n = write(sock, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write of", file, position);
    }
    buf += n;
    len -= (size_t)n;
    position += n;
  }
}

static long long send_file_sendfile(int sock, int fd, off_t size, long chunk, const char *file) {
  off_t offset = 0;
  while (offset < size) {
    size_t want = (size_t)(size - offset < chunk ? size - offset : chunk);
    ssize_t n = sendfile(sock, fd, &offset, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("sendfile of", file, (long long)offset);
    }
    if (n == 0) {
      errno = EIO;
      die("sendfile hit end of file early in", file, (long long)offset); /* the file shrank */
    }
  }
  return (long long)size;
}

static long long send_file_rw(int sock, int fd, off_t size, char *buf, long chunk, const char *file) {
  off_t offset = 0;
  while (offset < size) {
    size_t want = (size_t)(size - offset < chunk ? size - offset : chunk);
    ssize_t n = pread(fd, buf, want, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("pread of", file, (long long)offset);
    }
    if (n == 0) {
      errno = EIO;
      die("pread hit end of file early in", file, (long long)offset);
    }
    write_all(sock, buf, (size_t)n, file, (long long)offset);
    offset += n;
  }
  return (long long)size;
}

int main(int argc, char **argv) {
  if (argc < 5 || (strcmp(argv[1], "sendfile") != 0 && strcmp(argv[1], "rw") != 0)) {
    fprintf(stderr, "usage: c_sender sendfile|rw PORT CHUNK_BYTES FILE...\n");
    return 1;
  }
  int use_sendfile = strcmp(argv[1], "sendfile") == 0;
  long port = strtol(argv[2], NULL, 10);
  long chunk = strtol(argv[3], NULL, 10);
  if (port <= 0 || port > 65535) {
    fprintf(stderr, "c_sender: PORT \"%s\" is not a port number\n", argv[2]);
    return 1;
  }
  if (chunk <= 0 || chunk > CHUNK_BYTES_MAX) {
    fprintf(stderr, "c_sender: CHUNK_BYTES \"%s\" must be 1..%ld\n", argv[3], CHUNK_BYTES_MAX);
    return 1;
  }
  char *buf = NULL;
  if (!use_sendfile && !(buf = malloc((size_t)chunk))) die("malloc", NULL, 0);

  int sock = socket(AF_INET, SOCK_STREAM, 0);
  if (sock < 0) die("socket", NULL, 0);
  int one = 1;
  if (setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) die("setsockopt", NULL, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect", NULL, 0);

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  double t0 = now_seconds();
  long long total = 0;
  for (int i = 4; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) die("open", argv[i], 0);
    struct stat st;
    if (fstat(fd, &st) != 0) die("fstat", argv[i], 0);
    total += use_sendfile ? send_file_sendfile(sock, fd, st.st_size, chunk, argv[i])
                          : send_file_rw(sock, fd, st.st_size, buf, chunk, argv[i]);
    close(fd);
  }
  if (shutdown(sock, SHUT_WR) != 0) die("shutdown", NULL, 0);
  char tail[64];
  for (;;) { /* the sink sends nothing; EOF means it has read everything and closed */
    ssize_t n = read(sock, tail, sizeof tail);
    if (n == 0) break;
    if (n < 0 && errno != EINTR) die("read of the sink's close", NULL, 0);
  }
  double seconds = now_seconds() - t0;
  getrusage(RUSAGE_SELF, &ru1);
  close(sock);
  printf("bytes=%lld seconds=%.6f user_seconds=%.6f system_seconds=%.6f\n", total, seconds,
         tv_seconds(ru1.ru_utime) - tv_seconds(ru0.ru_utime), tv_seconds(ru1.ru_stime) - tv_seconds(ru0.ru_stime));
  free(buf);
  return 0;
}
