// Poller: watch a descriptor for writability (or readability) on Node's own event loop.
//
// A non-blocking sendfile that answers EAGAIN has to wait until the socket drains; Node has no API
// to wait on a raw fd, so this wraps libuv's uv_poll_t. The uv handle lives in its own heap block
// because libuv needs it until uv_close's callback, which may come after the JS object is gone.
// While started, the JS object is referenced so it cannot be collected under a pending callback.
#include "poller.h"

#include <uv.h>

#include "args.h"
#include "errors.h"

namespace strata {

namespace {

class Poller;

struct PollState {
  uv_poll_t handle;
  Poller* owner;  // null once the JS object was collected or closed
};

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Poller",
                       {
                           InstanceMethod<&Poller::Start>("start"),
                           InstanceMethod<&Poller::Stop>("stop"),
                           InstanceMethod<&Poller::Close>("close"),
                           InstanceAccessor<&Poller::GetFd>("fd"),
                           InstanceAccessor<&Poller::GetActive>("active"),
                           StaticValue("READABLE", Napi::Number::New(env, UV_READABLE)),
                           StaticValue("WRITABLE", Napi::Number::New(env, UV_WRITABLE)),
                           StaticValue("DISCONNECT", Napi::Number::New(env, UV_DISCONNECT)),
                       });
  }

  // new Poller(fd)
  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
    Napi::Env env = info.Env();
    fd_ = ArgFd(info, 0, "fd");
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) ThrowErrno(env, EINVAL, "uv_default_loop");
    state_ = new PollState();
    state_->owner = this;
    int rc = uv_poll_init(loop, &state_->handle, fd_);
    if (rc != 0) {
      delete state_;  // never initialised, so no uv_close
      state_ = nullptr;
      ThrowErrno(env, -rc, "uv_poll_init");
    }
    state_->handle.data = state_;
  }

  ~Poller() override { CloseHandle(); }

 private:
  // start(callback, events = Poller.WRITABLE): callback(err, events) fires each time the fd is
  // ready (level triggered) until stop(); on error/hangup it fires with the error or with the events
  // that libuv reports (a hung-up socket reports writable; the next write says EPIPE).
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!state_) ThrowErrno(env, EBADF, "uv_poll_start");
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowArgType(env, "callback", "of type function");
    int events = UV_WRITABLE;
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      events = ArgInt(info, 1, "events");
      if (events <= 0 || (events & ~(UV_READABLE | UV_WRITABLE | UV_DISCONNECT)) != 0) {
        ThrowArgRange(env, "events", "It must be a non-empty combination of Poller.READABLE, WRITABLE, DISCONNECT.");
      }
    }
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (!asyncContext_) asyncContext_.reset(new Napi::AsyncContext(env, "strata:Poller"));
    int rc = uv_poll_start(&state_->handle, events, OnPoll);
    if (rc != 0) ThrowErrno(env, -rc, "uv_poll_start");
    if (!active_) {
      active_ = true;
      Ref();
    }
    return env.Undefined();
  }

  // stop(): no more callbacks until start() again
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopHandle();
    return info.Env().Undefined();
  }

  // close(): stops and releases the handle; idempotent. Does NOT close the fd.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopHandle();
    CloseHandle();
    callback_.Reset();
    return info.Env().Undefined();
  }

  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }
  Napi::Value GetActive(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), active_); }

  void StopHandle() {
    if (state_) uv_poll_stop(&state_->handle);
    if (active_) {
      active_ = false;
      Unref();
    }
  }

  void CloseHandle() {
    if (!state_) return;
    state_->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&state_->handle), [](uv_handle_t* h) { delete static_cast<PollState*>(h->data); });
    state_ = nullptr;
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    PollState* st = static_cast<PollState*>(handle->data);
    Poller* self = st->owner;
    if (!self || self->callback_.IsEmpty()) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    // libuv stops the handle itself after reporting an error
    if (status < 0 && self->active_) {
      self->active_ = false;
      self->Unref();
    }
    Napi::Value err = status < 0 ? ErrnoError(env, -status, "uv_poll").Value() : env.Null();
    try {
      self->callback_.MakeCallback(self->Value(), {err, Napi::Number::New(env, events)}, *self->asyncContext_);
    } catch (const Napi::Error& e) {
      // nothing in C++ can handle it: report it as Node reports any uncaught exception
      napi_fatal_exception(env, e.Value());
    }
  }

  int fd_ = -1;
  PollState* state_ = nullptr;
  bool active_ = false;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
};

}  // namespace

void InitPoller(Napi::Env env, Napi::Object exports) { exports.Set("Poller", Poller::Define(env)); }

}  // namespace strata
