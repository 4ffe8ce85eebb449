#pragma once
#include <napi.h>

namespace strata {
// class Poller: a libuv uv_poll_t on a file descriptor (Node exposes none)
void InitPoller(Napi::Env env, Napi::Object exports);
}
