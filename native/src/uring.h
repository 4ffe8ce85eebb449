#pragma once
#include <napi.h>

namespace strata {
// class IoUring (an io_uring whose completions arrive on Node's event loop) and
// ioUringUnavailable() (why a ring cannot be set up here)
void InitUring(Napi::Env env, Napi::Object exports);
}
