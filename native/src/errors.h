// Errors thrown to JavaScript the way Node's own fs errors look: `code` is the errno name (EBADF),
// `errno` the negative number, `syscall` the call that failed. Callers branch on `code`.
#pragma once
#include <napi.h>

namespace strata {

// Builds (does not throw) an Error for errno `err` from `syscall`.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);
// Throws ErrnoError(errno-or-err) as a C++ exception that node-addon-api turns into a JS throw.
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall);
// Argument errors: TypeError ERR_INVALID_ARG_TYPE / RangeError ERR_OUT_OF_RANGE naming the argument.
[[noreturn]] void ThrowArgType(Napi::Env env, const char* name, const char* expected);
[[noreturn]] void ThrowArgRange(Napi::Env env, const char* name, const char* what);

}  // namespace strata
