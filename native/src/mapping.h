#pragma once
#include <napi.h>

namespace strata {
// mmap, munmap, msync, msyncAsync, madvise, mincore and the MADV constants
void InitMapping(Napi::Env env, Napi::Object exports);
}
