/*
 * strata_baseline --op consume: the harness's consumer as a C loop (harness/consumer.ts starts it,
 * one process per consumer), so that what a consume cell measures is the transfer, not a runtime
 * on the receiving end. It connects --partitions sockets to 127.0.0.1:--port, says which consumer
 * and partition each is (8 bytes: int32 consumer id, int32 partition, big-endian), then reads them
 * into one 1 MiB buffer and walks RecordBatch framing (int64 base offset, int32 length of the rest),
 * noting when each batch has arrived (wall clock, ms).
 *
 * stdin, one command a line: `expect B0 B1 ...` (bytes each partition must have received in all)
 * answers on stdout with one JSON line once they have: {"type":"done","report":[{"received":N,
 * "offsets":[...],"times":[...]},...]} (the batches completed since the last answer); `close` or
 * EOF ends it. A bad batch length or a lost connection is {"type":"error","message":...} and exit 1.
 * --delay-us N sleeps that long after each read: a slow consumer, for the harness's own tests.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PARTITIONS_MAX 1024
#define READ_BYTES (1 << 20)
#define LINE_BYTES_MAX (PARTITIONS_MAX * 24 + 64)

struct stream {
  int fd;
  long long received;
  unsigned char header[12];
  int header_fill;
  long long remaining;
  double pending_offset;
  double *offsets, *times;
  long count, cap;
};

static void fail(const char *what, int partition) {
  printf("{\"type\":\"error\",\"message\":\"%s on partition %d: %s\"}\n", what, partition, errno ? strerror(errno) : "protocol");
  fflush(stdout);
  exit(1);
}

static double wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void note_batch(struct stream *s, int partition) {
  if (s->count == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 1024;
    s->offsets = realloc(s->offsets, sizeof(double) * (size_t)s->cap);
    s->times = realloc(s->times, sizeof(double) * (size_t)s->cap);
    if (!s->offsets || !s->times) fail("out of memory noting batches", partition);
  }
  s->offsets[s->count] = s->pending_offset;
  s->times[s->count++] = wall_ms();
}

/* The framing walk: skip each batch's body, note the batch when its last byte arrives. */
static void walk(struct stream *s, const unsigned char *buf, long n, int partition) {
  long at = 0;
  while (at < n) {
    if (s->remaining > 0) {
      long take = n - at < s->remaining ? n - at : (long)s->remaining;
      s->remaining -= take;
      at += take;
      if (s->remaining == 0) note_batch(s, partition);
      continue;
    }
    long take = 12 - s->header_fill < n - at ? 12 - s->header_fill : n - at;
    memcpy(s->header + s->header_fill, buf + at, (size_t)take);
    s->header_fill += (int)take;
    at += take;
    if (s->header_fill < 12) continue;
    s->header_fill = 0;
    uint64_t off = 0;
    for (int i = 0; i < 8; i++) off = off << 8 | s->header[i];
    int32_t len = (int32_t)((uint32_t)s->header[8] << 24 | (uint32_t)s->header[9] << 16 | (uint32_t)s->header[10] << 8 | s->header[11]);
    if (len <= 0) {
      errno = 0;
      fail("bad batch length", partition);
    }
    s->pending_offset = (double)(int64_t)off;
    s->remaining = len;
  }
}

static void print_list(const double *v, long n) {
  putchar('[');
  for (long i = 0; i < n; i++) printf(i ? ",%.17g" : "%.17g", v[i]);
  putchar(']');
}

/* Answers an `expect` once every partition has received its bytes; 1 when it did. */
static int answer(struct stream *st, int partitions, const long long *expected) {
  for (int p = 0; p < partitions; p++) if (st[p].received < expected[p]) return 0;
  printf("{\"type\":\"done\",\"report\":[");
  for (int p = 0; p < partitions; p++) {
    printf(p ? ",{\"received\":%lld,\"offsets\":" : "{\"received\":%lld,\"offsets\":", st[p].received);
    print_list(st[p].offsets, st[p].count);
    printf(",\"times\":");
    print_list(st[p].times, st[p].count);
    putchar('}');
    st[p].count = 0;
  }
  printf("]}\n");
  fflush(stdout);
  return 1;
}

static int connect_partition(int port, int consumer, int partition) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", partition);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) fail("connect", partition);
  uint32_t hello[2] = {htonl((uint32_t)consumer), htonl((uint32_t)partition)};
  if (write(fd, hello, sizeof hello) != (ssize_t)sizeof hello) fail("hello", partition);
  return fd;
}

/* One stdin line: `expect B0 B1 ...` fills expected and returns 1; `close` returns -1. */
static int command(char *line, int partitions, long long *expected) {
  if (!strncmp(line, "close", 5)) return -1;
  if (strncmp(line, "expect", 6)) return 0;
  char *at = line + 6;
  for (int p = 0; p < partitions; p++) expected[p] = strtoll(at, &at, 10);
  return 1;
}

static void pause_us(long us) {
  struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int baseline_consume(int port, int consumer, int partitions, long delay_us) {
  if (partitions < 1 || partitions > PARTITIONS_MAX) {
    fprintf(stderr, "strata_baseline: --partitions must be 1..%d\n", PARTITIONS_MAX);
    return 2;
  }
  static unsigned char buf[READ_BYTES];
  static char line[LINE_BYTES_MAX];
  struct stream *st = calloc((size_t)partitions, sizeof *st);
  struct pollfd *pf = calloc((size_t)partitions + 1, sizeof *pf);
  long long *expected = calloc((size_t)partitions, sizeof *expected);
  if (!st || !pf || !expected) fail("out of memory", 0);
  for (int p = 0; p < partitions; p++) {
    st[p].fd = connect_partition(port, consumer, p);
    pf[p] = (struct pollfd){.fd = st[p].fd, .events = POLLIN};
  }
  pf[partitions] = (struct pollfd){.fd = 0, .events = POLLIN};
  int waiting = 0;
  size_t line_fill = 0;
  for (;;) {
    if (poll(pf, (nfds_t)partitions + 1, -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll", 0);
    }
    for (int p = 0; p < partitions; p++) {
      if (!(pf[p].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(st[p].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) return 0; /* the harness closed the broker side: the run is over */
        fail("read", p);
      }
      st[p].received += n;
      walk(&st[p], buf, n, p);
      if (delay_us > 0) pause_us(delay_us);
    }
    if (pf[partitions].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, line + line_fill, sizeof line - 1 - line_fill);
      if (n <= 0) return 0;
      line_fill += (size_t)n;
      char *nl;
      while ((nl = memchr(line, '\n', line_fill))) {
        *nl = 0;
        int c = command(line, partitions, expected);
        if (c < 0) return 0;
        if (c > 0) waiting = 1;
        line_fill -= (size_t)(nl + 1 - line);
        memmove(line, nl + 1, line_fill);
      }
      if (line_fill == sizeof line - 1) fail("command line too long", 0);
    }
    if (waiting && answer(st, partitions, expected)) waiting = 0;
  }
}
