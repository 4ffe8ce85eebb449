// File descriptor calls Node does not expose: posix_fadvise, fallocate, sendfile to any fd, a
// pread that never waits for the disk (preadv2 RWF_NOWAIT), the data directory's lock (fcntl OFD),
// plus dup/close/O_NONBLOCK for the socket descriptor a non-blocking sendfile works on.
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

// The data directory's lock: an open file description lock (fcntl F_OFD_SETLK) on the whole file.
// Like flock it belongs to the open file description, so another open() of the same file conflicts
// even in the same process, and the kernel drops it when the last descriptor closes (exit,
// SIGKILL); unlike flock it is in the same lock table as POSIX record locks, so it also conflicts
// with Java's FileChannel.tryLock, which Kafka takes on the `.lock` of every log dir.
static struct flock WholeFile(short type) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // to the end, however far the file grows
  return fl;
}

// lockFile(fd, exclusive) -> true when locked; false when a conflicting lock is held (EAGAIN).
Napi::Value LockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  bool exclusive = ArgBool(info, 1, "exclusive");
  struct flock fl = WholeFile(exclusive ? F_WRLCK : F_RDLCK);
  int rc;
  do rc = fcntl(fd, F_OFD_SETLK, &fl);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EAGAIN || errno == EACCES) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "fcntl(F_OFD_SETLK)");
  }
  return Napi::Boolean::New(env, true);
}

// unlockFile(fd): drops this open file description's lock.
Napi::Value UnlockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  struct flock fl = WholeFile(F_UNLCK);
  if (fcntl(fd, F_OFD_SETLK, &fl) != 0) ThrowErrno(env, errno, "fcntl(F_OFD_SETLK)");
  return env.Undefined();
}

// lockHolder(fd, exclusive) -> 0 when a lock of that kind could be taken now; otherwise the pid of
// a process-associated (POSIX) holder, e.g. Kafka's JVM, or -1 for an open file description lock,
// which has no pid (F_OFD_GETLK).
Napi::Value LockHolder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  bool exclusive = ArgBool(info, 1, "exclusive");
  struct flock fl = WholeFile(exclusive ? F_WRLCK : F_RDLCK);
  if (fcntl(fd, F_OFD_GETLK, &fl) != 0) ThrowErrno(env, errno, "fcntl(F_OFD_GETLK)");
  if (fl.l_type == F_UNLCK) return Napi::Number::New(env, 0);
  return Napi::Number::New(env, fl.l_pid > 0 ? fl.l_pid : -1);
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
  exports.Set("lockFile", Napi::Function::New(env, LockFile, "lockFile"));
  exports.Set("unlockFile", Napi::Function::New(env, UnlockFile, "unlockFile"));
  exports.Set("lockHolder", Napi::Function::New(env, LockHolder, "lockHolder"));
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
