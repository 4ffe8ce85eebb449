#include "errors.h"

#include <string.h>
#include <uv.h>

#include <string>

namespace strata {

static std::string ErrnoName(int err) {
  // libuv's codes are -errno on Unix, so uv_err_name gives the same names Node's fs errors carry
  char buf[64];
  uv_err_name_r(-err, buf, sizeof buf);
  std::string name(buf);
  if (name.rfind("Unknown", 0) == 0) return "E" + std::to_string(err);
  return name;
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  std::string code = ErrnoName(err);
  char msgbuf[256];
  const char* text = strerror_r(err, msgbuf, sizeof msgbuf);  // GNU variant returns the string
  std::string message = code + ": " + text + ", " + syscall;
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

void ThrowErrno(Napi::Env env, int err, const char* syscall) { throw ErrnoError(env, err, syscall); }

void ThrowArgType(Napi::Env env, const char* name, const char* expected) {
  std::string message = std::string("The \"") + name + "\" argument must be " + expected;
  Napi::TypeError e = Napi::TypeError::New(env, message);
  e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  throw e;
}

void ThrowArgRange(Napi::Env env, const char* name, const char* what) {
  std::string message = std::string("The value of \"") + name + "\" is out of range. " + what;
  Napi::RangeError e = Napi::RangeError::New(env, message);
  e.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  throw e;
}

}  // namespace strata
