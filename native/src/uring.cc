// IoUring: an io_uring (uring_ring.cc) whose completions reach JavaScript on Node's own event loop.
//
// An eventfd is registered with the ring, so the kernel signals it on every completion, and a
// libuv uv_poll_t watches it: the loop never waits in io_uring_enter, which is only ever called to
// submit. Each operation holds references to the Buffers it reads or writes, and its iovec array,
// until its completion has been reaped, so the garbage collector cannot free memory the kernel
// still writes into. While operations are in flight the poll handle is referenced (it keeps the
// loop alive) and so is the JS object (it cannot be collected under them); when none are, neither.
#include "uring.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <unordered_map>
#include <vector>

#include "args.h"
#include "errors.h"
#include "uring_ring.h"

namespace strata {

namespace {

// Linux's IOV_MAX: buffers one writev may take.
constexpr uint32_t kIovMax = 1024;
// Completions copied out of the ring per batch handed to JavaScript.
constexpr size_t kReapBatch = 256;

class IoUring;

struct PollState {
  uv_poll_t handle;
  IoUring* owner;  // null once the JS object was closed or collected
  int eventFd;     // closed in uv_close's callback, after libuv stopped watching it
};

// What an operation in flight keeps alive until its completion.
struct Op {
  std::vector<iovec> iov;
  std::vector<Napi::Reference<Napi::Value>> buffers;
};

class IoUring : public Napi::ObjectWrap<IoUring> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "IoUring",
                       {
                           InstanceMethod<&IoUring::Writev>("writev"),
                           InstanceMethod<&IoUring::Read>("read"),
                           InstanceMethod<&IoUring::Fdatasync>("fdatasync"),
                           InstanceMethod<&IoUring::Submit>("submit"),
                           InstanceMethod<&IoUring::Close>("close"),
                           InstanceAccessor<&IoUring::GetSqFree>("sqFree"),
                           InstanceAccessor<&IoUring::GetSqEntries>("sqEntries"),
                           InstanceAccessor<&IoUring::GetCqEntries>("cqEntries"),
                           InstanceAccessor<&IoUring::GetInFlight>("inFlight"),
                       });
  }

  // new IoUring(entries, onComplete(userDatas: number[], results: number[]))
  explicit IoUring(const Napi::CallbackInfo& info) : Napi::ObjectWrap<IoUring>(info) {
    Napi::Env env = info.Env();
    int64_t entries = ArgSize(info, 0, "entries");
    if (entries < 1 || entries > 4096) ThrowArgRange(env, "entries", "It must be >= 1 and <= 4096.");
    if (info.Length() < 2 || !info[1].IsFunction()) ThrowArgType(env, "onComplete", "of type function");
    std::string why;
    int err = ring_.Setup(static_cast<unsigned>(entries), &why);
    if (err != 0) {
      Napi::Error e = ErrnoError(env, err, "io_uring_setup");
      e.Set("reason", Napi::String::New(env, why));
      throw e;
    }
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) ThrowErrno(env, errno, "eventfd");
    err = ring_.RegisterEventFd(efd);
    if (err != 0) {
      close(efd);
      ThrowErrno(env, err, "io_uring_register");
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      close(efd);
      ThrowErrno(env, EINVAL, "uv_default_loop");
    }
    state_ = new PollState();
    state_->owner = this;
    state_->eventFd = efd;
    int rc = uv_poll_init(loop, &state_->handle, efd);
    if (rc == 0) rc = uv_poll_start(&state_->handle, UV_READABLE, OnPoll);
    if (rc != 0) {
      close(efd);
      delete state_;
      state_ = nullptr;
      ThrowErrno(env, -rc, "uv_poll_init");
    }
    state_->handle.data = state_;
    // idle: the ring must not keep the process alive
    uv_unref(reinterpret_cast<uv_handle_t*>(&state_->handle));
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    asyncContext_.reset(new Napi::AsyncContext(env, "strata:IoUring"));
  }

  ~IoUring() override { Release(); }

 private:
  // writev(fd, buffers, position, userData, link): false when the submission queue is full
  Napi::Value Writev(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    int fd = ArgFd(info, 0, "fd");
    if (info.Length() < 2 || !info[1].IsArray()) ThrowArgType(env, "buffers", "an Array of Buffers");
    Napi::Array list = info[1].As<Napi::Array>();
    uint32_t count = list.Length();
    if (count < 1 || count > kIovMax) ThrowArgRange(env, "buffers", "It must hold 1 to 1024 Buffers.");
    int64_t position = ArgSize(info, 2, "position");
    uint64_t userData = UserData(info, 3);
    bool link = ArgBool(info, 4, "link");
    if (ring_.SqFree() == 0) return Napi::Boolean::New(env, false);
    Op op;
    op.iov.resize(count);
    op.buffers.reserve(count);
    for (uint32_t i = 0; i < count; i++) {
      Napi::Value v = list.Get(i);
      if (!v.IsBuffer()) ThrowArgType(env, "buffers", "an Array of Buffers");
      Napi::Buffer<uint8_t> b = v.As<Napi::Buffer<uint8_t>>();
      op.iov[i].iov_base = b.Data();
      op.iov[i].iov_len = b.Length();
      op.buffers.push_back(Napi::Persistent(v));
    }
    auto it = ops_.emplace(userData, std::move(op)).first;
    ring_.PrepWritev(fd, it->second.iov.data(), count, static_cast<uint64_t>(position), userData, link);
    Started();
    return Napi::Boolean::New(env, true);
  }

  // read(fd, buffer, offset, length, position, userData, link): into buffer[offset, offset+length)
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    int fd = ArgFd(info, 0, "fd");
    if (info.Length() < 2 || !info[1].IsBuffer()) ThrowArgType(env, "buffer", "a Buffer");
    Napi::Buffer<uint8_t> b = info[1].As<Napi::Buffer<uint8_t>>();
    int64_t offset = ArgSize(info, 2, "offset");
    int64_t length = ArgSize(info, 3, "length");
    if (offset + length > static_cast<int64_t>(b.Length()) || length > 0x7ffff000) ThrowArgRange(env, "length", "offset + length must fit in the buffer.");
    int64_t position = ArgSize(info, 4, "position");
    uint64_t userData = UserData(info, 5);
    bool link = ArgBool(info, 6, "link");
    if (ring_.SqFree() == 0) return Napi::Boolean::New(env, false);
    Op op;
    op.buffers.push_back(Napi::Persistent(info[1]));
    ops_.emplace(userData, std::move(op));
    ring_.PrepRead(fd, b.Data() + offset, static_cast<unsigned>(length), static_cast<uint64_t>(position), userData, link);
    Started();
    return Napi::Boolean::New(env, true);
  }

  // fdatasync(fd, userData, link)
  Napi::Value Fdatasync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    int fd = ArgFd(info, 0, "fd");
    uint64_t userData = UserData(info, 1);
    bool link = ArgBool(info, 2, "link");
    if (ring_.SqFree() == 0) return Napi::Boolean::New(env, false);
    ops_.emplace(userData, Op());
    ring_.PrepFdatasync(fd, userData, link);
    Started();
    return Napi::Boolean::New(env, true);
  }

  // submit(): hands every filled entry to the kernel (io_uring_enter, never waiting)
  Napi::Value Submit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    int n = ring_.Submit();
    if (n < 0) ThrowErrno(env, -n, "io_uring_enter");
    return Napi::Number::New(env, n);
  }

  // close(): EBUSY while operations are in flight; idempotent
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!ops_.empty()) ThrowErrno(info.Env(), EBUSY, "io_uring close");
    Release();
    return info.Env().Undefined();
  }

  Napi::Value GetSqFree(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ring_.IsOpen() ? ring_.SqFree() : 0); }
  Napi::Value GetSqEntries(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ring_.SqEntries()); }
  Napi::Value GetCqEntries(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ring_.CqEntries()); }
  Napi::Value GetInFlight(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(ops_.size())); }

  void CheckOpen(Napi::Env env) {
    if (!ring_.IsOpen()) ThrowErrno(env, EBADF, "io_uring");
  }

  // a userData not already in flight (its completion would be ambiguous)
  uint64_t UserData(const Napi::CallbackInfo& info, size_t index) {
    uint64_t userData = static_cast<uint64_t>(ArgSize(info, index, "userData"));
    if (ops_.count(userData) != 0) ThrowArgRange(info.Env(), "userData", "It is already in flight.");
    return userData;
  }

  // the first operation in flight: keep the loop alive and this object from being collected
  void Started() {
    if (ops_.size() != 1) return;
    uv_ref(reinterpret_cast<uv_handle_t*>(&state_->handle));
    Ref();
  }

  void Finished() {
    uv_unref(reinterpret_cast<uv_handle_t*>(&state_->handle));
    Unref();
  }

  void Release() {
    if (state_) {
      state_->owner = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(&state_->handle), [](uv_handle_t* h) {
        PollState* st = static_cast<PollState*>(h->data);
        close(st->eventFd);
        delete st;
      });
      state_ = nullptr;
    }
    ring_.Close();
  }

  static void OnPoll(uv_poll_t* handle, int status, int) {
    PollState* st = static_cast<PollState*>(handle->data);
    IoUring* self = st->owner;
    if (!self) return;
    if (status < 0) return;  // an eventfd reports no errors; the completions are reaped next time
    uint64_t counter;
    // cleared before reaping: a completion posted after the reap signals the eventfd again
    while (read(st->eventFd, &counter, sizeof counter) < 0 && errno == EINTR) {
    }
    self->Deliver();
  }

  void Deliver() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    UringCompletion batch[kReapBatch];
    for (;;) {
      size_t n = ring_.Reap(batch, kReapBatch);
      if (n == 0) return;
      Napi::Array userDatas = Napi::Array::New(env, n);
      Napi::Array results = Napi::Array::New(env, n);
      for (size_t i = 0; i < n; i++) {
        ops_.erase(batch[i].userData);
        userDatas.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(batch[i].userData)));
        results.Set(static_cast<uint32_t>(i), Napi::Number::New(env, batch[i].res));
      }
      bool idle = ops_.empty();
      if (idle) Finished();
      try {
        callback_.MakeCallback(Value(), {userDatas, results}, *asyncContext_);
      } catch (const Napi::Error& e) {
        napi_fatal_exception(env, e.Value());
      }
      if (!ring_.IsOpen()) return;  // closed by the callback
    }
  }

  UringRing ring_;
  PollState* state_ = nullptr;
  std::unordered_map<uint64_t, Op> ops_;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
};

// ioUringUnavailable(): "" when a ring can be set up here, else why not
Napi::Value Unavailable(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), UringUnavailableReason()); }

}  // namespace

void InitUring(Napi::Env env, Napi::Object exports) {
  exports.Set("IoUring", IoUring::Define(env));
  exports.Set("ioUringUnavailable", Napi::Function::New(env, Unavailable));
}

}  // namespace strata
