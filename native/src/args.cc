#include "args.h"

#include <math.h>

#include "errors.h"

namespace strata {

static const double kMaxSafe = 9007199254740991.0;

static double ArgNumber(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || !info[index].IsNumber()) ThrowArgType(info.Env(), name, "of type number");
  double v = info[index].As<Napi::Number>().DoubleValue();
  if (!(v == floor(v)) || fabs(v) > kMaxSafe) ThrowArgRange(info.Env(), name, "It must be an integer.");
  return v;
}

int ArgFd(const Napi::CallbackInfo& info, size_t index, const char* name) {
  double v = ArgNumber(info, index, name);
  if (v < 0 || v > 2147483647.0) ThrowArgRange(info.Env(), name, "It must be >= 0 and <= 2147483647 (a file descriptor).");
  return static_cast<int>(v);
}

int64_t ArgSize(const Napi::CallbackInfo& info, size_t index, const char* name) {
  double v = ArgNumber(info, index, name);
  if (v < 0) ThrowArgRange(info.Env(), name, "It must be >= 0.");
  return static_cast<int64_t>(v);
}

int ArgInt(const Napi::CallbackInfo& info, size_t index, const char* name) {
  double v = ArgNumber(info, index, name);
  if (v < -2147483648.0 || v > 2147483647.0) ThrowArgRange(info.Env(), name, "It must fit in 32 bits.");
  return static_cast<int>(v);
}

bool ArgBool(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || !info[index].IsBoolean()) ThrowArgType(info.Env(), name, "of type boolean");
  return info[index].As<Napi::Boolean>().Value();
}

Napi::ArrayBuffer ArgArrayBuffer(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || !info[index].IsArrayBuffer()) ThrowArgType(info.Env(), name, "an ArrayBuffer returned by mmap()");
  return info[index].As<Napi::ArrayBuffer>();
}

}  // namespace strata
