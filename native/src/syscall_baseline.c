/*
 * strata_baseline: the hardware limit `strata bench` sets beside each figure when fio or iperf3 is
 * not installed (and beside theirs when they are). A bare C loop of the same system calls the
 * engines and transfers make, with nothing else around them:
 *
 *   write: pwrite(2) of --bs bytes at the end of a growing file up to --size (fio psync,
 *          --fallocate=none); --dsync opens it O_DSYNC (each write returns when durable, like the
 *          fsync-per-write engine); --mmap copies into a shared mapping of the fallocated file.
 *   read:  pread(2) of --bs through a --size file written first; hot = its pages cached (a pass
 *          before the timed one), --cold = fdatasync + POSIX_FADV_DONTNEED first (fio's invalidate).
 *   net:   --bytes of a --size file to a TCP sink on 127.0.0.1 (a forked child reading into a 1 MiB
 *          buffer to EOF, like iperf3 -s), by sendfile(2) (--mode sendfile, iperf3 -Z) or by
 *          pread + write (--mode copy, plain iperf3), --bs per call. --fd N sends into an inherited
 *          connected socket instead (another program's consumer: the harness's consume ceiling),
 *          waiting in poll(2) when it is non-blocking and full; the figure then ends at the last send.
 *          --existing sends the --file as it is (its own size) instead of writing one: bytes the
 *          receiver can parse (the harness's consumers walk RecordBatch framing).
 *
 *   consume: the harness's consumer (baseline_consume.c): --port N [--consumer ID] [--partitions N] [--delay-us N].
 *
 * Prints one JSON object: bytes, seconds, mbPerSec (10^6 B), iops, per-call latency percentiles
 * (microseconds) and the process's own CPU time (the sink's is not counted: it is the receiver).
 * Stops at --seconds like fio's --runtime. Built by binding.gyp beside the addon.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* limits: a typo must not fill the disk or memory */
#define BS_MAX (64LL << 20)
#define SIZE_MAX_BYTES (8LL << 30)
#define NET_BYTES_MAX (64LL << 30)
#define SAMPLES_MAX (8 * 1024 * 1024)
#define SINK_BYTES (1 << 20)

/* baseline_consume.c: the harness's consumer (--op consume) */
int baseline_consume(int port, int consumer, int partitions, long delay_us);

static void die(const char *what) {
  fprintf(stderr, "strata_baseline: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(const char *why) {
  fprintf(stderr, "strata_baseline: %s\nusage: strata_baseline --op write|read|net --file PATH --bs N --size N "
                  "[--dsync] [--mmap] [--cold] [--mode sendfile|copy] [--bytes N] [--seconds N] [--fd N] [--existing]\n", why);
  exit(2);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long parse_size(const char *flag, const char *v, long long max) {
  char *end = NULL;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || !end || *end || n < 1 || n > max) {
    fprintf(stderr, "strata_baseline: %s takes an integer between 1 and %lld, got \"%s\"\n", flag, max, v);
    exit(2);
  }
  return n;
}

static struct rusage r0;

/* The clock and the CPU count start here, after the op's own preparation (writing its file). */
static void start_clock(double *started) {
  getrusage(RUSAGE_SELF, &r0);
  *started = now_s();
}

static float *samples;
static long nsamples;

static void sample(double seconds) {
  if (nsamples < SAMPLES_MAX) samples[nsamples++] = (float)(seconds * 1e6);
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

static double pct(double p) {
  if (nsamples == 0) return 0;
  long i = (long)(p / 100.0 * (double)(nsamples - 1) + 0.5);
  return samples[i];
}

/* A non-blocking socket (an inherited one may be) is full: wait until it takes more. */
static void wait_writable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  if (poll(&p, 1, -1) < 0 && errno != EINTR) die("poll");
}

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        wait_writable(fd);
        continue;
      }
      die("write");
    }
    buf += n;
    len -= (size_t)n;
  }
}

/* A --size file of non-zero bytes, synced, for the read and net ops. */
static int make_file(const char *path, long long size, char *buf, long long bs) {
  int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) die("open");
  for (long long off = 0; off < size; off += bs) {
    long long n = size - off < bs ? size - off : bs;
    if (pwrite(fd, buf, (size_t)n, off) != n) die("pwrite");
  }
  if (fdatasync(fd) != 0) die("fdatasync");
  return fd;
}

static long long op_write(const char *path, long long bs, long long size, int dsync, int use_mmap, char *buf, double deadline) {
  long long done = 0;
  if (use_mmap) {
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) die("open");
    if (posix_fallocate(fd, 0, size) != 0) die("posix_fallocate");
    char *map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) die("mmap");
    while (done < size && now_s() < deadline) {
      long long n = size - done < bs ? size - done : bs;
      double t0 = now_s();
      memcpy(map + done, buf, (size_t)n);
      sample(now_s() - t0);
      done += n;
    }
    munmap(map, (size_t)size);
    close(fd);
    return done;
  }
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | (dsync ? O_DSYNC : 0), 0644);
  if (fd < 0) die("open");
  while (done < size && now_s() < deadline) {
    long long n = size - done < bs ? size - done : bs;
    double t0 = now_s();
    if (pwrite(fd, buf, (size_t)n, done) != n) die("pwrite");
    sample(now_s() - t0);
    done += n;
  }
  close(fd);
  return done;
}

static long long op_read(const char *path, long long bs, long long size, int cold, char *buf, double *started) {
  int fd = make_file(path, size, buf, bs);
  if (cold) {
    if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) die("posix_fadvise");
  } else {
    for (long long off = 0; off < size; off += bs) if (pread(fd, buf, (size_t)bs, off) < 0) die("pread");
  }
  start_clock(started);
  long long done = 0;
  while (done < size) {
    double t0 = now_s();
    ssize_t n = pread(fd, buf, (size_t)bs, done);
    if (n < 0) die("pread");
    if (n == 0) break;
    sample(now_s() - t0);
    done += n;
  }
  close(fd);
  return done;
}

static int sink_child(int srv) {
  static char rbuf[SINK_BYTES];
  int conn = accept(srv, NULL, NULL);
  if (conn < 0) _exit(1);
  for (;;) {
    ssize_t n = read(conn, rbuf, sizeof rbuf);
    if (n == 0) _exit(0);
    if (n < 0 && errno != EINTR) _exit(1);
  }
}

/* A connected TCP socket to our own forked sink; its pid in *child. */
static int connect_own_sink(pid_t *child) {
  int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv < 0) die("socket");
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(srv, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(srv, 1) != 0) die("bind/listen");
  if (getsockname(srv, (struct sockaddr *)&addr, &len) != 0) die("getsockname");
  *child = fork();
  if (*child < 0) die("fork");
  if (*child == 0) sink_child(srv);
  close(srv);
  int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect");
  return sock;
}

/* An existing file to send, cached; its size in *size. */
static int open_existing(const char *path, long long *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open");
  struct stat st;
  if (fstat(fd, &st) != 0) die("fstat");
  if (st.st_size < 1) {
    errno = EINVAL;
    die("--existing file is empty");
  }
  *size = (long long)st.st_size;
  return fd;
}

static long long op_net(const char *path, long long bs, long long size, long long bytes, int use_sendfile, int sink_fd, int existing, char *buf, double deadline, double *started, double *ended) {
  int fd = existing ? open_existing(path, &size) : make_file(path, size, buf, bs);
  for (long long off = 0; off < size; off += bs) if (pread(fd, buf, (size_t)bs, off) < 0) die("pread");
  pid_t child = -1;
  int sock = sink_fd >= 0 ? sink_fd : connect_own_sink(&child);
  start_clock(started);
  long long done = 0;
  while (done < bytes && now_s() < deadline) {
    off_t pos = (off_t)(done % size);
    long long want = bs;
    if (want > size - pos) want = size - pos;
    if (want > bytes - done) want = bytes - done;
    double t0 = now_s();
    if (use_sendfile) {
      ssize_t n = sendfile(sock, fd, &pos, (size_t)want);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          wait_writable(sock);
          continue;
        }
        die("sendfile");
      }
      done += n;
    } else {
      ssize_t n = pread(fd, buf, (size_t)want, pos);
      if (n <= 0) die("pread");
      write_all(sock, buf, (size_t)n);
      done += n;
    }
    sample(now_s() - t0);
  }
  if (sink_fd >= 0) { /* the other program's consumer counts what it received */
    *ended = now_s();
    close(fd);
    return done;
  }
  shutdown(sock, SHUT_WR);
  int status = 0;
  /* the figure counts until the sink has read everything, as iperf3's receiver side does */
  if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) die("sink");
  *ended = now_s();
  close(sock);
  close(fd);
  return done;
}

int main(int argc, char **argv) {
  const char *op = NULL, *path = NULL, *mode = "copy";
  long long bs = 0, size = 0, bytes = 0, seconds = 60, sink_fd = -1, port = 0, consumer = 0, partitions = 1, delay_us = 0;
  int dsync = 0, use_mmap = 0, cold = 0, existing = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--dsync")) dsync = 1;
    else if (!strcmp(a, "--mmap")) use_mmap = 1;
    else if (!strcmp(a, "--cold")) cold = 1;
    else if (!strcmp(a, "--existing")) existing = 1;
    else if (!v) usage("a flag is missing its value");
    else if (!strcmp(a, "--op")) op = v, i++;
    else if (!strcmp(a, "--file")) path = v, i++;
    else if (!strcmp(a, "--mode")) mode = v, i++;
    else if (!strcmp(a, "--bs")) bs = parse_size(a, v, BS_MAX), i++;
    else if (!strcmp(a, "--size")) size = parse_size(a, v, SIZE_MAX_BYTES), i++;
    else if (!strcmp(a, "--bytes")) bytes = parse_size(a, v, NET_BYTES_MAX), i++;
    else if (!strcmp(a, "--seconds")) seconds = parse_size(a, v, 3600), i++;
    else if (!strcmp(a, "--fd")) sink_fd = parse_size(a, v, 1024), i++;
    else if (!strcmp(a, "--port")) port = parse_size(a, v, 65535), i++;
    else if (!strcmp(a, "--consumer")) consumer = atoll(v), i++;
    else if (!strcmp(a, "--partitions")) partitions = parse_size(a, v, 1024), i++;
    else if (!strcmp(a, "--delay-us")) delay_us = parse_size(a, v, 1000000), i++;
    else usage("unknown flag");
  }
  if (op && !strcmp(op, "consume")) {
    if (!port) usage("--op consume needs --port");
    return baseline_consume((int)port, (int)consumer, (int)partitions, (long)delay_us);
  }
  if (!op || !path || !bs || !size) usage("--op, --file, --bs and --size are required");
  int is_write = !strcmp(op, "write"), is_read = !strcmp(op, "read"), is_net = !strcmp(op, "net");
  if (!is_write && !is_read && !is_net) usage("--op must be write, read or net");
  if (is_net && strcmp(mode, "sendfile") && strcmp(mode, "copy")) usage("--mode must be sendfile or copy");
  if (is_net && !bytes) bytes = size;
  char *buf = aligned_alloc(4096, (size_t)((bs + 4095) / 4096 * 4096));
  samples = malloc(sizeof(float) * SAMPLES_MAX);
  if (!buf || !samples) die("malloc");
  uint32_t x = 2463534242u; /* xorshift: incompressible bytes, not zeros */
  for (long long i = 0; i < bs; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    buf[i] = (char)x;
  }
  struct rusage r1;
  double t0 = 0, t1 = 0;
  start_clock(&t0);
  double deadline = t0 + (double)seconds;
  long long done;
  if (is_write) {
    done = op_write(path, bs, size, dsync, use_mmap, buf, deadline);
    t1 = now_s();
  } else if (is_read) {
    done = op_read(path, bs, size, cold, buf, &t0);
    t1 = now_s();
  } else {
    done = op_net(path, bs, size, bytes, !strcmp(mode, "sendfile"), (int)sink_fd, existing, buf, deadline + (double)seconds, &t0, &t1);
  }
  getrusage(RUSAGE_SELF, &r1);
  if (!existing) unlink(path);
  double elapsed = t1 - t0 > 1e-9 ? t1 - t0 : 1e-9;
  long calls = nsamples;
  qsort(samples, (size_t)nsamples, sizeof(float), cmp_float);
  double user = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6;
  double sys = (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
  printf("{\"op\":\"%s\",\"bytes\":%lld,\"calls\":%ld,\"seconds\":%.6f,\"mbPerSec\":%.3f,\"iops\":%.1f,"
         "\"latencyUsP50\":%.2f,\"latencyUsP99\":%.2f,\"latencyUsP999\":%.2f,\"cpuUserSeconds\":%.4f,\"cpuSystemSeconds\":%.4f}\n",
         op, done, calls, elapsed, (double)done / elapsed / 1e6, (double)calls / elapsed, pct(50), pct(99), pct(99.9), user, sys);
  return 0;
}
