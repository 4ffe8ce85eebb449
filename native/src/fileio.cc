// File descriptor calls Node does not expose: posix_fadvise, fallocate, sendfile to any fd, a
// pread that never waits for the disk (preadv2 RWF_NOWAIT), flock (the data directory's lock),
// plus dup/close/O_NONBLOCK for the socket descriptor a non-blocking sendfile works on.
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

namespace strata {

namespace {

// posix_fadvise(fd, offset, length, advice); length 0 means "to the end of the file"
Napi::Value Fadvise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  int64_t offset = ArgSize(info, 1, "offset");
  int64_t length = ArgSize(info, 2, "length");
  int advice = ArgInt(info, 3, "advice");
  // returns the error number instead of setting errno
  int err = posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(length), advice);
  if (err != 0) ThrowErrno(env, err, "posix_fadvise");
  return env.Undefined();
}

// fallocate(fd, offset, length): mode 0, allocates blocks and extends the file size if needed
Napi::Value Fallocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  int64_t offset = ArgSize(info, 1, "offset");
  int64_t length = ArgSize(info, 2, "length");
  int rc;
  do rc = fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(length));
  while (rc != 0 && errno == EINTR);
  if (rc != 0) ThrowErrno(env, errno, "fallocate");
  return env.Undefined();
}

// dup(fd) -> new fd (close-on-exec)
Napi::Value Dup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (nfd < 0) ThrowErrno(env, errno, "dup");
  return Napi::Number::New(env, nfd);
}

// close(fd)
Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  // Linux releases the descriptor even when close reports EINTR, so it is never retried
  if (close(fd) != 0 && errno != EINTR) ThrowErrno(env, errno, "close");
  return env.Undefined();
}

// setNonBlocking(fd, on = true)
Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  bool on = info.Length() < 2 || info[1].IsUndefined() ? true : ArgBool(info, 1, "on");
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) ThrowErrno(env, errno, "fcntl");
  int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (want != flags && fcntl(fd, F_SETFL, want) != 0) ThrowErrno(env, errno, "fcntl");
  return env.Undefined();
}

// sendfile(outFd, inFd, position, length) -> bytes sent; 0 at end of file; -1 when outFd would
// block (EAGAIN: wait for writability and call again). Reads from `position` without moving inFd's
// file offset. One call: it may send fewer than `length` bytes.
Napi::Value Sendfile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int outFd = ArgFd(info, 0, "outFd");
  int inFd = ArgFd(info, 1, "inFd");
  int64_t position = ArgSize(info, 2, "position");
  int64_t length = ArgSize(info, 3, "length");
  const int64_t kMaxChunk = 0x7ffff000;  // what Linux transfers at most per call anyway
  size_t count = static_cast<size_t>(length < kMaxChunk ? length : kMaxChunk);
  off_t off = static_cast<off_t>(position);
  ssize_t n;
  do n = sendfile(outFd, inFd, &off, count);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
    ThrowErrno(env, errno, "sendfile");
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

// preadNoWait(fd, buffer, position) -> bytes read into buffer from position, only what the page
// cache holds: -1 when the first byte would need the disk (EAGAIN), -2 when this kernel or file
// system has no RWF_NOWAIT for buffered reads (EOPNOTSUPP, ENOSYS, EINVAL: ask the thread pool).
// It runs on the calling thread: a read from the page cache costs a copy, where a thread pool
// read costs two thread wake-ups (futex) and an eventfd round trip on top (strace: 21 futex calls
// per 1 MiB Fetch before this, for 4 header reads).
Napi::Value PreadNoWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  if (info.Length() < 2 || !info[1].IsBuffer()) {
    Napi::TypeError::New(env, "buffer must be a Buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> buffer = info[1].As<Napi::Buffer<uint8_t>>();
  int64_t position = ArgSize(info, 2, "position");
  struct iovec iov = {buffer.Data(), buffer.Length()};
  ssize_t n;
#ifdef RWF_NOWAIT
  do n = preadv2(fd, &iov, 1, static_cast<off_t>(position), RWF_NOWAIT);
  while (n < 0 && errno == EINTR);
#else
  n = -1;
  errno = EOPNOTSUPP;
#endif
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
    if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL) return Napi::Number::New(env, -2);
    ThrowErrno(env, errno, "preadv2");
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

// flock(fd, operation) -> true when done; false when LOCK_NB was given and another open file
// description holds a conflicting lock (EWOULDBLOCK). flock locks belong to the open file
// description, not the process: a second open() of the same file in the same process conflicts
// too, and the kernel drops the lock when the last descriptor of it closes, at exit or SIGKILL.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  int operation = ArgInt(info, 1, "operation");
  int rc;
  do rc = flock(fd, operation);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EWOULDBLOCK && (operation & LOCK_NB) != 0) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "flock");
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value PageSizeFn(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(sysconf(_SC_PAGESIZE)));
}

}  // namespace

void InitFileIo(Napi::Env env, Napi::Object exports) {
  exports.Set("posix_fadvise", Napi::Function::New(env, Fadvise, "posix_fadvise"));
  exports.Set("fallocate", Napi::Function::New(env, Fallocate, "fallocate"));
  exports.Set("dup", Napi::Function::New(env, Dup, "dup"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("setNonBlocking", Napi::Function::New(env, SetNonBlocking, "setNonBlocking"));
  exports.Set("sendfile", Napi::Function::New(env, Sendfile, "sendfile"));
  exports.Set("pageSize", Napi::Function::New(env, PageSizeFn, "pageSize"));
  exports.Set("preadNoWait", Napi::Function::New(env, PreadNoWait, "preadNoWait"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  Napi::Object lock = Napi::Object::New(env);
  lock.Set("SH", LOCK_SH);
  lock.Set("EX", LOCK_EX);
  lock.Set("NB", LOCK_NB);
  lock.Set("UN", LOCK_UN);
  exports.Set("LOCK", lock);
  Napi::Object fadv = Napi::Object::New(env);
  fadv.Set("NORMAL", POSIX_FADV_NORMAL);
  fadv.Set("SEQUENTIAL", POSIX_FADV_SEQUENTIAL);
  fadv.Set("RANDOM", POSIX_FADV_RANDOM);
  fadv.Set("WILLNEED", POSIX_FADV_WILLNEED);
  fadv.Set("DONTNEED", POSIX_FADV_DONTNEED);
  fadv.Set("NOREUSE", POSIX_FADV_NOREUSE);
  exports.Set("FADV", fadv);
}

}  // namespace strata
