// UringRing: one io_uring instance made with the raw system calls (io_uring_setup, io_uring_enter,
// io_uring_register) and mmap of its rings, from <linux/io_uring.h> alone, so building the addon
// needs no liburing. No Node-API here: uring.cc wraps it for JavaScript.
//
// One thread owns a ring (the event loop's): it fills submission entries, submits them, and reaps
// completions. The kernel writes completions; the memory barriers at the ring heads and tails are
// the ones io_uring(7) prescribes.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <string>

struct io_uring_sqe;
struct iovec;

namespace strata {

struct UringCompletion {
  uint64_t userData;
  int32_t res;
};

class UringRing {
 public:
  UringRing() = default;
  ~UringRing() { Close(); }
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  // Sets the ring up with at least `entries` submission entries; 0 or an errno. On failure `why`
  // says what refused it (the sysctl, the kernel, a missing feature).
  int Setup(unsigned entries, std::string* why);
  // Registers `eventfd` to be signalled on every completion; 0 or an errno.
  int RegisterEventFd(int eventfd);
  // Free submission entries (fill at most this many before Submit).
  unsigned SqFree() const;
  // Fill one submission entry each (false when the queue is full: submit first). `link` sets
  // IOSQE_IO_LINK: the next entry starts only after this one completed in full (a failed or short
  // one cancels the rest of the chain with -ECANCELED). `iov` must stay valid until completion.
  bool PrepWritev(int fd, const struct iovec* iov, unsigned count, uint64_t offset, uint64_t userData, bool link);
  bool PrepRead(int fd, void* buffer, unsigned length, uint64_t offset, uint64_t userData, bool link);
  // fdatasync (IORING_FSYNC_DATASYNC) of `fd`.
  bool PrepFdatasync(int fd, uint64_t userData, bool link);
  // Entries filled and not yet handed to the kernel.
  unsigned Unsubmitted() const { return sqeTail_ - submitted_; }
  unsigned SqEntries() const { return sqEntries_; }
  unsigned CqEntries() const { return cqEntries_; }
  // io_uring_enter for every filled entry, never waiting for a completion: the number the kernel
  // took (all of them unless it reports an error) or a negative errno.
  int Submit();
  // Copies up to `max` completions out of the completion queue: how many.
  size_t Reap(UringCompletion* out, size_t max);
  bool IsOpen() const { return ringFd_ >= 0; }
  void Close();

 private:
  int ringFd_ = -1;
  void* sqRing_ = nullptr;
  size_t sqRingBytes_ = 0;
  void* cqRing_ = nullptr;  // == sqRing_ with IORING_FEAT_SINGLE_MMAP
  size_t cqRingBytes_ = 0;
  io_uring_sqe* NextSqe();
  io_uring_sqe* sqes_ = nullptr;
  size_t sqesBytes_ = 0;

  unsigned* sqHead_ = nullptr;
  unsigned* sqTail_ = nullptr;
  unsigned* sqArray_ = nullptr;
  unsigned sqMask_ = 0;
  unsigned sqEntries_ = 0;
  unsigned* cqHead_ = nullptr;
  unsigned* cqTail_ = nullptr;
  void* cqes_ = nullptr;
  unsigned cqMask_ = 0;
  unsigned cqEntries_ = 0;

  // our tail of filled entries, and how far they were handed to the kernel
  unsigned sqeTail_ = 0;
  unsigned submitted_ = 0;
};

// Why io_uring cannot be used here ("" when a ring can be set up): the kernel.io_uring_disabled
// sysctl, or io_uring_setup's errno with what it means.
std::string UringUnavailableReason();

}  // namespace strata
