#include "uring_ring.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__linux__) && __has_include(<linux/io_uring.h>) && defined(__NR_io_uring_setup)
#define STRATA_HAVE_IO_URING 1
#include <linux/io_uring.h>
#endif

namespace strata {

#ifdef STRATA_HAVE_IO_URING

namespace {

int SysSetup(unsigned entries, io_uring_params* p) { return static_cast<int>(syscall(__NR_io_uring_setup, entries, p)); }
int SysEnter(int fd, unsigned toSubmit) { return static_cast<int>(syscall(__NR_io_uring_enter, fd, toSubmit, 0, 0, nullptr, 0)); }
int SysRegister(int fd, unsigned op, const void* arg, unsigned n) { return static_cast<int>(syscall(__NR_io_uring_register, fd, op, arg, n)); }

// The kernel.io_uring_disabled sysctl (Linux 6.6+): 0 allowed, 1 only for members of
// kernel.io_uring_group, 2 nobody; -1 when the kernel has no such sysctl.
int DisabledSysctl() {
  FILE* f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
  if (!f) return -1;
  int v = -1;
  if (fscanf(f, "%d", &v) != 1) v = -1;
  fclose(f);
  return v;
}

std::string ErrnoText(int err) {
  char buf[128];
  const char* text = strerror_r(err, buf, sizeof buf);
  return text;
}

}  // namespace

int UringRing::Setup(unsigned entries, std::string* why) {
  io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_CLAMP;
  int fd = SysSetup(entries, &p);
  if (fd < 0) {
    int err = errno;
    int sysctl = DisabledSysctl();
    if (err == ENOSYS) *why = "io_uring_setup: ENOSYS (this kernel has no io_uring, or a seccomp filter hides it)";
    else if (err == EPERM && sysctl > 0) *why = "io_uring_setup: EPERM (kernel.io_uring_disabled=" + std::to_string(sysctl) + " in /proc/sys/kernel/io_uring_disabled)";
    else if (err == EPERM) *why = "io_uring_setup: EPERM (refused by a seccomp filter or a security module)";
    else *why = "io_uring_setup: " + ErrnoText(err);
    return err;
  }
  // needed: completions never dropped, one mmap of both rings, iovecs copied at submission
  const unsigned needed = IORING_FEAT_NODROP | IORING_FEAT_SINGLE_MMAP | IORING_FEAT_SUBMIT_STABLE;
  if ((p.features & needed) != needed) {
    close(fd);
    *why = "io_uring lacks IORING_FEAT_NODROP, SINGLE_MMAP or SUBMIT_STABLE (Linux 5.5+ needed)";
    return ENOTSUP;
  }
  ringFd_ = fd;
  sqRingBytes_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cqRingBytes_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  size_t ringBytes = sqRingBytes_ > cqRingBytes_ ? sqRingBytes_ : cqRingBytes_;
  void* ring = mmap(nullptr, ringBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (ring == MAP_FAILED) {
    int err = errno;
    Close();
    *why = "mmap of the io_uring rings: " + ErrnoText(err);
    return err;
  }
  sqRing_ = cqRing_ = ring;
  sqRingBytes_ = cqRingBytes_ = ringBytes;
  sqesBytes_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqesBytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    int err = errno;
    Close();
    *why = "mmap of the io_uring submission entries: " + ErrnoText(err);
    return err;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);
  char* base = static_cast<char*>(ring);
  sqHead_ = reinterpret_cast<unsigned*>(base + p.sq_off.head);
  sqTail_ = reinterpret_cast<unsigned*>(base + p.sq_off.tail);
  sqArray_ = reinterpret_cast<unsigned*>(base + p.sq_off.array);
  sqMask_ = *reinterpret_cast<unsigned*>(base + p.sq_off.ring_mask);
  sqEntries_ = p.sq_entries;
  cqHead_ = reinterpret_cast<unsigned*>(base + p.cq_off.head);
  cqTail_ = reinterpret_cast<unsigned*>(base + p.cq_off.tail);
  cqes_ = base + p.cq_off.cqes;
  cqMask_ = *reinterpret_cast<unsigned*>(base + p.cq_off.ring_mask);
  cqEntries_ = p.cq_entries;
  sqeTail_ = submitted_ = *sqTail_;
  return 0;
}

int UringRing::RegisterEventFd(int eventfd) {
  if (SysRegister(ringFd_, IORING_REGISTER_EVENTFD, &eventfd, 1) != 0) return errno;
  return 0;
}

io_uring_sqe* UringRing::NextSqe() {
  unsigned head = __atomic_load_n(sqHead_, __ATOMIC_ACQUIRE);
  if (sqeTail_ - head >= sqEntries_) return nullptr;
  unsigned index = sqeTail_ & sqMask_;
  io_uring_sqe* sqe = &sqes_[index];
  memset(sqe, 0, sizeof *sqe);
  sqArray_[index] = index;
  sqeTail_++;
  return sqe;
}

unsigned UringRing::SqFree() const {
  unsigned head = __atomic_load_n(sqHead_, __ATOMIC_ACQUIRE);
  return sqEntries_ - (sqeTail_ - head);
}

bool UringRing::PrepWritev(int fd, const struct iovec* iov, unsigned count, uint64_t offset, uint64_t userData, bool link) {
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return false;
  sqe->opcode = IORING_OP_WRITEV;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(iov);
  sqe->len = count;
  sqe->off = offset;
  sqe->user_data = userData;
  if (link) sqe->flags |= IOSQE_IO_LINK;
  return true;
}

bool UringRing::PrepRead(int fd, void* buffer, unsigned length, uint64_t offset, uint64_t userData, bool link) {
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return false;
  sqe->opcode = IORING_OP_READ;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(buffer);
  sqe->len = length;
  sqe->off = offset;
  sqe->user_data = userData;
  if (link) sqe->flags |= IOSQE_IO_LINK;
  return true;
}

bool UringRing::PrepFdatasync(int fd, uint64_t userData, bool link) {
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return false;
  sqe->opcode = IORING_OP_FSYNC;
  sqe->fd = fd;
  sqe->fsync_flags = IORING_FSYNC_DATASYNC;
  sqe->user_data = userData;
  if (link) sqe->flags |= IOSQE_IO_LINK;
  return true;
}

int UringRing::Submit() {
  unsigned toSubmit = sqeTail_ - submitted_;
  if (toSubmit == 0) return 0;
  // the entries' contents before the tail that publishes them
  __atomic_store_n(sqTail_, sqeTail_, __ATOMIC_RELEASE);
  int n;
  do n = SysEnter(ringFd_, toSubmit);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  submitted_ += static_cast<unsigned>(n);
  return n;
}

size_t UringRing::Reap(UringCompletion* out, size_t max) {
  unsigned head = *cqHead_;
  unsigned tail = __atomic_load_n(cqTail_, __ATOMIC_ACQUIRE);
  size_t n = 0;
  const io_uring_cqe* cqes = static_cast<const io_uring_cqe*>(cqes_);
  while (head != tail && n < max) {
    const io_uring_cqe& cqe = cqes[head & cqMask_];
    out[n].userData = cqe.user_data;
    out[n].res = cqe.res;
    n++;
    head++;
  }
  // the entries are read before the kernel may reuse their slots
  __atomic_store_n(cqHead_, head, __ATOMIC_RELEASE);
  return n;
}

void UringRing::Close() {
  if (sqes_) munmap(sqes_, sqesBytes_);
  if (sqRing_) munmap(sqRing_, sqRingBytes_);
  if (ringFd_ >= 0) close(ringFd_);
  sqes_ = nullptr;
  sqRing_ = cqRing_ = nullptr;
  ringFd_ = -1;
}

std::string UringUnavailableReason() {
  if (DisabledSysctl() == 2) return "io_uring is disabled for every process (kernel.io_uring_disabled=2 in /proc/sys/kernel/io_uring_disabled)";
  UringRing probe;
  std::string why;
  if (probe.Setup(4, &why) != 0) return why;
  return "";
}

#else  // no <linux/io_uring.h> at build time

int UringRing::Setup(unsigned, std::string* why) {
  *why = "the native addon was built without <linux/io_uring.h> (Linux only; Debian/Ubuntu: apt-get install linux-libc-dev, then npm run build:native)";
  return ENOSYS;
}
int UringRing::RegisterEventFd(int) { return ENOSYS; }
io_uring_sqe* UringRing::NextSqe() { return nullptr; }
unsigned UringRing::SqFree() const { return 0; }
bool UringRing::PrepWritev(int, const struct iovec*, unsigned, uint64_t, uint64_t, bool) { return false; }
bool UringRing::PrepRead(int, void*, unsigned, uint64_t, uint64_t, bool) { return false; }
bool UringRing::PrepFdatasync(int, uint64_t, bool) { return false; }
int UringRing::Submit() { return -ENOSYS; }
size_t UringRing::Reap(UringCompletion*, size_t) { return 0; }
void UringRing::Close() {}
std::string UringUnavailableReason() {
  std::string why;
  UringRing().Setup(0, &why);
  return why;
}

#endif

}  // namespace strata
