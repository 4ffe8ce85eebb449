// Memory-mapped files as external ArrayBuffers.
//
// Each mapping is registered by address so munmap() can refuse anything that is not a live mapping
// of ours, and it DETACHES the ArrayBuffer after unmapping: every view over it (Buffer, Uint8Array)
// then reads as length 0 instead of touching unmapped memory and crashing the process. A mapping
// that is never unmapped is unmapped when its ArrayBuffer is garbage collected.
//
// Touching a mapped page that lies wholly past the end of the file raises SIGBUS; this layer mirrors
// mmap(2) and does not prevent that. The caller (engines/mmap.ts) keeps the file at least as long as
// every byte it touches.
#include "mapping.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <unordered_map>
#include <vector>

#include "args.h"
#include "errors.h"

// Linux 5.14+; older C library headers lack the names (an older kernel answers EINVAL)
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace strata {

namespace {

struct Mapping {
  void* addr;
  size_t length;
  bool unmapped;
  // async msyncs in flight: munmap must wait for them (they hold the ArrayBuffer alive meanwhile)
  int busy;
};

// Process-wide (worker threads may load the addon too), so guarded by a mutex. A Mapping itself is
// only ever used by the thread whose ArrayBuffer owns it.
std::mutex registryMutex;
std::unordered_map<void*, Mapping*> registry;

void RegistryAdd(Mapping* m) {
  std::lock_guard<std::mutex> lock(registryMutex);
  registry[m->addr] = m;
}

void RegistryRemove(void* addr) {
  std::lock_guard<std::mutex> lock(registryMutex);
  registry.erase(addr);
}

Mapping* RegistryFind(void* addr) {
  std::lock_guard<std::mutex> lock(registryMutex);
  auto it = registry.find(addr);
  return it == registry.end() ? nullptr : it->second;
}

size_t PageSize() {
  static size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

void FinalizeMapping(Napi::Env, void*, Mapping* m) {
  if (!m->unmapped) {
    RegistryRemove(m->addr);
    munmap(m->addr, m->length);
  }
  delete m;
}

// The live mapping behind `ab`; throws EINVAL when it is detached or not from mmap().
Mapping* LiveMapping(Napi::Env env, Napi::ArrayBuffer ab, const char* syscall) {
  void* data = ab.Data();
  Mapping* m = data ? RegistryFind(data) : nullptr;
  if (!m) {
    Napi::Error e = ErrnoError(env, EINVAL, syscall);
    e.Set("message", Napi::String::New(env, std::string("EINVAL: not a live mapping from mmap() (already unmapped?), ") + syscall));
    throw e;
  }
  return m;
}

// [offset, offset + length) inside the mapping, widened down to a page boundary as msync/madvise
// require. Returns the aligned address and sets *alignedLength.
char* MappedRange(const Napi::CallbackInfo& info, Mapping* m, int64_t offset, int64_t length, size_t* alignedLength) {
  if (static_cast<uint64_t>(offset) > m->length || static_cast<uint64_t>(length) > m->length - static_cast<uint64_t>(offset)) {
    ThrowArgRange(info.Env(), "length", "offset + length must not exceed the mapping's byteLength.");
  }
  size_t start = static_cast<size_t>(offset) & ~(PageSize() - 1);
  *alignedLength = static_cast<size_t>(offset + length) - start;
  return static_cast<char*>(m->addr) + start;
}

// mmap(fd, offset, length, writable) -> ArrayBuffer
Napi::Value Mmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  int64_t offset = ArgSize(info, 1, "offset");
  int64_t length = ArgSize(info, 2, "length");
  bool writable = ArgBool(info, 3, "writable");
  if (length == 0) ThrowErrno(env, EINVAL, "mmap");  // as mmap(2) itself answers
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* addr = mmap(nullptr, static_cast<size_t>(length), prot, MAP_SHARED, fd, static_cast<off_t>(offset));
  if (addr == MAP_FAILED) ThrowErrno(env, errno, "mmap");
  Mapping* m = new Mapping{addr, static_cast<size_t>(length), false, 0};
  RegistryAdd(m);
  return Napi::ArrayBuffer::New(env, addr, m->length, FinalizeMapping, m);
}

// munmap(ab): unmaps, then detaches ab so stale views read as empty.
Napi::Value Munmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::ArrayBuffer ab = ArgArrayBuffer(info, 0, "buffer");
  Mapping* m = LiveMapping(env, ab, "munmap");
  if (m->busy > 0) ThrowErrno(env, EBUSY, "munmap");  // an msyncAsync still works on it
  // out of the registry before the address is free for another thread's mmap to reuse
  RegistryRemove(m->addr);
  if (munmap(m->addr, m->length) != 0) {
    int err = errno;
    RegistryAdd(m);
    ThrowErrno(env, err, "munmap");
  }
  m->unmapped = true;
  // last: detaching may run the finalizer (which frees m) at once
  ab.Detach();
  return env.Undefined();
}

// msync(ab, offset, length, sync)
Napi::Value Msync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::ArrayBuffer ab = ArgArrayBuffer(info, 0, "buffer");
  int64_t offset = ArgSize(info, 1, "offset");
  int64_t length = ArgSize(info, 2, "length");
  bool sync = ArgBool(info, 3, "sync");
  Mapping* m = LiveMapping(env, ab, "msync");
  size_t len;
  char* addr = MappedRange(info, m, offset, length, &len);
  if (length == 0) return env.Undefined();
  if (msync(addr, len, sync ? MS_SYNC : MS_ASYNC) != 0) ThrowErrno(env, errno, "msync");
  return env.Undefined();
}

// msync(MS_SYNC) on the libuv thread pool, so a flush does not stall the event loop.
class MsyncWorker : public Napi::AsyncWorker {
 public:
  MsyncWorker(Napi::Env env, Napi::ArrayBuffer ab, Mapping* m, char* addr, size_t len)
      : Napi::AsyncWorker(env, "strata:msync"), deferred_(Napi::Promise::Deferred::New(env)), m_(m), addr_(addr), len_(len) {
    abRef_ = Napi::Persistent(ab);  // keeps the mapping from being collected (and unmapped) meanwhile
    m_->busy++;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    if (len_ > 0 && msync(addr_, len_, MS_SYNC) != 0) err_ = errno;
  }
  void OnOK() override {
    m_->busy--;
    if (err_) deferred_.Reject(ErrnoError(Env(), err_, "msync").Value());
    else deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override {
    m_->busy--;
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::ArrayBuffer> abRef_;
  Mapping* m_;
  char* addr_;
  size_t len_;
  int err_ = 0;
};

// msyncAsync(ab, offset, length) -> Promise<void>
Napi::Value MsyncAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::ArrayBuffer ab = ArgArrayBuffer(info, 0, "buffer");
  int64_t offset = ArgSize(info, 1, "offset");
  int64_t length = ArgSize(info, 2, "length");
  Mapping* m = LiveMapping(env, ab, "msync");
  size_t len;
  char* addr = MappedRange(info, m, offset, length, &len);
  if (length == 0) len = 0;
  MsyncWorker* w = new MsyncWorker(env, ab, m, addr, len);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// madvise(ab, offset, length, advice)
Napi::Value Madvise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::ArrayBuffer ab = ArgArrayBuffer(info, 0, "buffer");
  int64_t offset = ArgSize(info, 1, "offset");
  int64_t length = ArgSize(info, 2, "length");
  int advice = ArgInt(info, 3, "advice");
  Mapping* m = LiveMapping(env, ab, "madvise");
  size_t len;
  char* addr = MappedRange(info, m, offset, length, &len);
  if (length == 0) return env.Undefined();
  if (madvise(addr, len, advice) != 0) ThrowErrno(env, errno, "madvise");
  return env.Undefined();
}

// Bytes of [offset, end) whose pages are resident, for a mapping at `base` whose byte 0 is file or
// mapping position `baseOffset` (page aligned), covering `len` bytes.
int64_t CountResident(Napi::Env env, char* base, int64_t baseOffset, size_t len, int64_t offset, int64_t end) {
  size_t page = PageSize();
  size_t pages = (len + page - 1) / page;
  std::vector<unsigned char> vec(pages);
  if (mincore(base, len, vec.data()) != 0) ThrowErrno(env, errno, "mincore");
  int64_t resident = 0;
  for (size_t i = 0; i < pages; i++) {
    if (!(vec[i] & 1)) continue;
    int64_t ps = baseOffset + static_cast<int64_t>(i * page);
    int64_t pe = ps + static_cast<int64_t>(page);
    int64_t s = ps > offset ? ps : offset;
    int64_t e = pe < end ? pe : end;
    if (e > s) resident += e - s;
  }
  return resident;
}

// mincore(fdOrBuffer, offset, length) -> resident bytes of that range.
// With a file descriptor the range is clipped to the file's size and mapped read-only, window by
// window (mapping never touches a page, so nothing faults and nothing is read in).
Napi::Value Mincore(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t offset = ArgSize(info, 1, "offset");
  int64_t length = ArgSize(info, 2, "length");
  size_t page = PageSize();
  if (info.Length() > 0 && info[0].IsArrayBuffer()) {
    Mapping* m = LiveMapping(env, info[0].As<Napi::ArrayBuffer>(), "mincore");
    size_t len;
    char* addr = MappedRange(info, m, offset, length, &len);
    if (length == 0) return Napi::Number::New(env, 0);
    int64_t base = addr - static_cast<char*>(m->addr);
    return Napi::Number::New(env, static_cast<double>(CountResident(env, addr, base, len, offset, offset + length)));
  }
  int fd = ArgFd(info, 0, "fd");
  struct stat st;
  if (fstat(fd, &st) != 0) ThrowErrno(env, errno, "fstat");
  if (!S_ISREG(st.st_mode)) ThrowErrno(env, EINVAL, "mincore");
  int64_t end = offset + length;
  if (end > st.st_size) end = st.st_size;
  int64_t resident = 0;
  const int64_t window = 256LL << 20;  // bounds the mapping and the residency vector
  for (int64_t at = offset & ~static_cast<int64_t>(page - 1); at < end; at += window) {
    int64_t wend = at + window < end ? at + window : end;
    size_t wlen = static_cast<size_t>(wend - at);
    void* addr = mmap(nullptr, wlen, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(at));
    if (addr == MAP_FAILED) ThrowErrno(env, errno, "mmap");
    try {
      resident += CountResident(env, static_cast<char*>(addr), at, wlen, offset, end);
    } catch (...) {
      munmap(addr, wlen);
      throw;
    }
    munmap(addr, wlen);
  }
  return Napi::Number::New(env, static_cast<double>(resident));
}

}  // namespace

void InitMapping(Napi::Env env, Napi::Object exports) {
  exports.Set("mmap", Napi::Function::New(env, Mmap, "mmap"));
  exports.Set("munmap", Napi::Function::New(env, Munmap, "munmap"));
  exports.Set("msync", Napi::Function::New(env, Msync, "msync"));
  exports.Set("msyncAsync", Napi::Function::New(env, MsyncAsync, "msyncAsync"));
  exports.Set("madvise", Napi::Function::New(env, Madvise, "madvise"));
  exports.Set("mincore", Napi::Function::New(env, Mincore, "mincore"));
  Napi::Object madv = Napi::Object::New(env);
  madv.Set("NORMAL", MADV_NORMAL);
  madv.Set("RANDOM", MADV_RANDOM);
  madv.Set("SEQUENTIAL", MADV_SEQUENTIAL);
  madv.Set("WILLNEED", MADV_WILLNEED);
  madv.Set("DONTNEED", MADV_DONTNEED);
  madv.Set("POPULATE_READ", MADV_POPULATE_READ);
  madv.Set("POPULATE_WRITE", MADV_POPULATE_WRITE);
  exports.Set("MADV", madv);
}

}  // namespace strata
